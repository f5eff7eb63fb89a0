"""Headless Chromium driven by Selenium (Debian's /usr/bin/chromium and /usr/bin/chromedriver), with
what the web UI's tests need: waits that fail with the page's console log, screenshots, and the
console errors a page logged."""

from __future__ import annotations

import base64
import re
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
WINDOW = (1366, 900)  # a laptop screen
PHONE = (390, 844)  # a phone held upright
SIZES = {"1366": WINDOW, "390": PHONE}
WAIT_S = 20.0
T = TypeVar("T")


def missing_browser() -> str | None:
    """What is missing to run the browser tests, or None."""
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not path.exists() and not shutil.which(path.name):
            return f"{path} is missing: install Debian's {package} package (make test's system dependencies do)"
    return None


class Browser:
    """One Chromium window on the gateway at ``base_url``; screenshots go to ``artifacts``."""

    def __init__(self, base_url: str, artifacts: Path) -> None:
        self.base_url = base_url.rstrip("/")
        self.artifacts = artifacts
        options = webdriver.ChromeOptions()
        options.binary_location = str(CHROMIUM)
        for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     f"--window-size={WINDOW[0]},{WINDOW[1]}", "--lang=en-GB"):
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
        self.driver.set_window_size(*WINDOW)
        self.log: list[dict] = []  # every console entry so far

    def quit(self) -> None:
        self.driver.quit()

    def resize(self, size: tuple[int, int]) -> None:
        """Give the page's viewport ``size`` (CSS pixels), as a window of that size shows it."""
        width, height = size
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})
        self.wait(lambda: self.script("return window.innerWidth") == width, f"a viewport {width} px wide")

    def horizontal_overflow(self) -> int:
        """How many pixels the page is wider than the window (0: no horizontal scrolling)."""
        return int(self.script("return document.scrollingElement.scrollWidth - window.innerWidth"))

    # Pages and elements -----------------------------------------------------------------------

    def open(self, route: str) -> None:
        """Show a route of the app, e.g. ``open("apps")`` for ``/#/apps``."""
        self.driver.get(f"{self.base_url}/#/{route}")

    def find(self, css: str, within: WebElement | None = None) -> WebElement:
        """The first element matching ``css`` once it is displayed."""
        return self.wait(lambda: self._displayed(css, within), f"{css} to be shown")

    def find_all(self, css: str) -> list[WebElement]:
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def _displayed(self, css: str, within: WebElement | None) -> WebElement | None:
        root = within or self.driver
        for element in root.find_elements(By.CSS_SELECTOR, css):
            if element.is_displayed():
                return element
        return None

    def text(self, css: str) -> str:
        return self.find(css).text

    def fill(self, css: str, value: str) -> None:
        """Replace the text of an input by typing, as a person does (every keystroke's events fire)."""
        element = self.find(css)
        element.send_keys(Keys.CONTROL, "a")
        element.send_keys(Keys.BACKSPACE)
        if value:
            element.send_keys(value)

    def click(self, css: str, within: WebElement | None = None) -> None:
        self.find(css, within).click()

    def click_text(self, text: str, tag: str = "button", within: WebElement | None = None) -> None:
        """Click the displayed ``tag`` element whose text is ``text``."""
        def match() -> WebElement | None:
            for element in (within or self.driver).find_elements(By.TAG_NAME, tag):
                if element.is_displayed() and element.is_enabled() and element.text.strip() == text:
                    return element
            return None
        self.wait(match, f"a {tag} saying {text!r}").click()

    def choose_files(self, css: str, paths: list[Path]) -> None:
        """Give files to a file input (hidden inputs included, as a person's file chooser would)."""
        element = self.wait(lambda: self.find_all(css)[0] if self.find_all(css) else None, f"{css} to exist")
        element.send_keys("\n".join(str(path) for path in paths))

    def wait_text(self, css: str, pattern: str, timeout: float = WAIT_S) -> str:
        """The text of ``css`` once it matches the regular expression ``pattern``."""
        def matching() -> str | None:
            element = self._displayed(css, None)
            return element.text if element is not None and re.search(pattern, element.text) else None
        return self.wait(matching, f"{css} to say {pattern!r}", timeout)

    def script(self, source: str, *arguments: object) -> object:
        return self.driver.execute_script(source, *arguments)

    def wait(self, condition: Callable[[], T | None], what: str, timeout: float = WAIT_S) -> T:
        """``condition()``'s first truthy value; on time-out fails with the page's state and console."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                value = condition()
                if value:
                    return value
            except (NoSuchElementException, StaleElementReferenceException):
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"Waited {timeout:.0f} s for {what}.\n{self.report()}")
            time.sleep(0.1)

    # What went wrong ---------------------------------------------------------------------------

    def console(self) -> list[dict]:
        """Every console entry so far (Chromium hands each one over once, so they are kept here)."""
        try:
            self.log += self.driver.get_log("browser")
        except WebDriverException:
            pass
        return self.log

    def console_errors(self, since: int = 0, allowed: tuple[str, ...] = ()) -> list[str]:
        """Console errors from entry ``since`` on, less those containing one of ``allowed``."""
        return [entry["message"] for entry in self.console()[since:]
                if entry["level"] == "SEVERE" and not any(text in entry["message"] for text in allowed)]

    def report(self) -> str:
        """The page's address, visible error messages and console log, for failure messages."""
        try:
            url = self.driver.current_url
            alerts = [element.text for element in self.find_all(".error-box, .toast.error") if element.is_displayed()]
        except WebDriverException as error:
            return f"(the browser does not answer: {error})"
        console = "\n".join(f"  {entry['level']} {entry['message']}" for entry in self.console()) or "  (empty)"
        return f"Page: {url}\nErrors shown: {alerts or 'none'}\nConsole log:\n{console}"

    def screenshot(self, name: str, whole_page: bool = True) -> Path:
        """Save the page as ``<artifacts>/<name>.png``: the whole page beyond the window's height
        (messages in the corner left out: a whole-page capture would draw them mid-page), or
        the window as it is."""
        self.artifacts.mkdir(parents=True, exist_ok=True)
        path = self.artifacts / f"{name}.png"
        if not whole_page:
            path.write_bytes(self.driver.get_screenshot_as_png())
            return path
        size = self.driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
        width = self.script("return window.innerWidth")
        self.script("const t = document.getElementById('toasts'); if (t) t.style.visibility = 'hidden'")
        try:
            shot = self.driver.execute_cdp_cmd("Page.captureScreenshot", {
                "format": "png", "captureBeyondViewport": True,
                "clip": {"x": 0, "y": 0, "width": width, "height": max(size["height"], 1), "scale": 1}})
        finally:
            self.script("const t = document.getElementById('toasts'); if (t) t.style.visibility = ''")
        path.write_bytes(base64.b64decode(shot["data"]))
        return path
