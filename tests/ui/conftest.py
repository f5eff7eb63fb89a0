"""Fixtures of the browser tests: one headless Chromium per module on the platform's gateway; every
test fails on console errors it did not expect, and a failing test leaves a screenshot and the
page's console log in its report."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.paths import PROJECT_ROOT
from tests.ui.browser import Browser, missing_browser

ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "ui"


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """The screenshots' folder, emptied of an earlier run's."""
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    return ARTIFACTS


@pytest.fixture(scope="module")
def browser(platform, artifacts: Path) -> Iterator[Browser]:
    missing = missing_browser()
    if missing:
        pytest.fail(missing)
    window = Browser(platform.url, artifacts)
    yield window
    window.quit()


@pytest.fixture(autouse=True)
def expected_console_errors(request: pytest.FixtureRequest) -> Iterator[list[str]]:
    """The test's expected console errors (parts of their text); any other one fails the test."""
    if "browser" not in request.fixturenames:
        yield []
        return
    window: Browser = request.getfixturevalue("browser")
    start = len(window.console())
    expected: list[str] = []
    yield expected
    errors = window.console_errors(start, tuple(expected))
    assert not errors, "The browser console has errors:\n" + "\n".join(errors) + f"\n{window.report()}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    window = getattr(item, "funcargs", {}).get("browser")
    if report.failed and report.when == "call" and isinstance(window, Browser):
        shot = window.screenshot(f"FAILED-{item.name}")
        report.sections.append(("browser", f"Screenshot: {shot}\n{window.report()}"))
