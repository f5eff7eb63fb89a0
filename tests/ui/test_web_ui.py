"""The web UI in headless Chromium against the real gateway, as a new installation's owner uses it:
sign up, create an application and services, bring people in (accounts with one-time links), hand
an application over, enrol people from LFW, look at them as people, move and merge faces,
recognise, detect and verify on the test pages, read the dashboard and the status page, change
the password. The tests run in order and build on each other (one browser, one platform).

Every page is photographed at 1366 and at 390 px wide (test-artifacts/ui/<name>-1366.png and
<name>-390.png); at each width the page's own checks hold and it never scrolls sideways. Names
start with the issue's point they show (p01 … p10, "small" for the smaller points)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.select import Select
from sqlalchemy import select

from admin.applications import create_app
from admin.permissions import CONSOLE
from db.engine import make_engine, make_sessions
from db.models import RequestCount, Service
from tests.support.paths import DATA_DIR
from tests.ui.browser import SIZES, WINDOW, Browser

LFW = DATA_DIR / "lfw-dev" / "images"
PEOPLE = ["Amelia_Vega", "Bill_Gates", "Bill_Simon", "Britney_Spears"]  # one face in each of images 1 to 6
ENROLLED = [LFW / name / f"{name}_{number:04d}.jpg" for name in PEOPLE for number in range(1, 5)]
PROBE = LFW / "Bill_Gates" / "Bill_Gates_0006.jpg"
STRANGER = LFW / "Al_Gore" / "Al_Gore_0001.jpg"  # never enrolled
GROUP_PHOTO = DATA_DIR / "group-photos" / "insightface_t1.jpg"
GROUP_FACES = 6
NO_FACE = DATA_DIR / "no-face" / "coffee.png"
EMAIL = "owner@example.org"
COLLEAGUE = "colleague@example.org"
NEWCOMER = "newcomer@example.org"
PASSWORD = "correct horse battery"
NEW_PASSWORD = "staple battery horse"
REFUSED = "Failed to load resource: the server responded with a status of"
SIGN_IN_REFUSED = f"sign-in - {REFUSED} 401"
BOX_COLOUR = (31, 157, 85)  # draw.js MATCH_COLOUR
HIGHLIGHT = (255, 212, 59)  # draw.js HIGHLIGHT_COLOUR
CROP_SIDE = 192  # crops.js THUMBNAIL_SIDE; LFW photos are 250 px


@pytest.fixture(scope="module")
def app_path() -> dict[str, str]:
    """Where the scenario's application and services live ("#/" routes), filled in as they are made."""
    return {}


def both_widths(browser: Browser, name: str, check: Callable[[], object] | None = None) -> None:
    """The page as it is now at 1366 and at 390 px wide: ``check()`` holds at each, the page does
    not scroll sideways, and a screenshot ``<name>-<width>.png`` is left; back to 1366 after."""
    try:
        for label, size in SIZES.items():
            browser.resize(size)
            if check is not None:
                check()
            overflow = browser.horizontal_overflow()
            browser.screenshot(f"{name}-{label}")
            assert overflow <= 0, f"{name} at {label} px wide scrolls sideways by {overflow} px"
    finally:
        browser.resize(WINDOW)


def rect(browser: Browser, css: str) -> dict[str, float]:
    return browser.script("const r = document.querySelector(arguments[0]).getBoundingClientRect();"
                          "return {left: r.left, right: r.right, top: r.top, bottom: r.bottom};", css)


def sign_in(browser: Browser, email: str, password: str) -> None:
    browser.open("sign-in")
    browser.fill("#sign-in-form input[name=email]", email)
    browser.fill("#sign-in-form input[name=password]", password)
    browser.click("#sign-in-form button[type=submit]")


def sign_out(browser: Browser) -> None:
    browser.click("#sign-out")
    browser.find("#sign-in-form")


def create_service(browser: Browser, name: str, kind: str) -> str:
    """Create a service on the application page; the route of its page."""
    browser.fill("#create-service input[name=name]", name)
    Select(browser.find("#create-service select[name=type]")).select_by_visible_text(kind)
    browser.click("#create-service button[type=submit]")
    link = browser.find(f'#services tr[data-service="{name}"] td a')
    return link.get_attribute("href").split("#/", 1)[1]


def pixel(browser: Browser, canvas: str, x: float, y: float) -> tuple[int, int, int]:
    """The colour drawn at image pixel (x, y) of ``canvas``."""
    return tuple(browser.script(
        "const c = document.querySelector(arguments[0]), k = Number(c.dataset.scale);"
        "return Array.from(c.getContext('2d').getImageData(arguments[1] * k, arguments[2] * k, 1, 1).data.slice(0, 3));",
        canvas, x, y))


def near(colour: tuple[int, int, int], wanted: tuple[int, int, int]) -> bool:
    return sum(abs(a - b) for a, b in zip(colour, wanted)) < 60


def close_dialog(browser: Browser) -> None:
    browser.click_text("Close", within=browser.find("dialog"))
    browser.wait(lambda: not browser.find_all("dialog"), "the dialog to close")


def images_loaded(browser: Browser, css: str) -> bool:
    images = browser.find_all(css)
    return bool(images) and all(browser.script("return arguments[0].complete && arguments[0].naturalWidth > 0", image)
                                for image in images)


# Arriving ------------------------------------------------------------------------------------------


def test_sign_up_makes_the_first_user_the_owner(browser: Browser) -> None:
    browser.open("")
    browser.find("#sign-in-form")
    both_widths(browser, "p03-sign-in", lambda: browser.find('#sign-in-form a[href="#/sign-up"]'))
    browser.click_text("Sign up", tag="a")
    browser.fill("#sign-up-form input[name=email]", EMAIL)
    browser.fill("#sign-up-form input[name=firstName]", "Olga")
    browser.fill("#sign-up-form input[name=lastName]", "Owner")
    browser.fill("#sign-up-form input[name=password]", PASSWORD)
    browser.fill("#sign-up-form input[name=repeat]", PASSWORD)

    def fields_inside_the_card() -> None:
        card = rect(browser, "#sign-up-form")
        for name in ("firstName", "lastName", "email"):
            field = rect(browser, f"#sign-up-form input[name={name}]")
            assert card["left"] < field["left"] and field["right"] < card["right"], (name, field, card)
    both_widths(browser, "p03-sign-up", fields_inside_the_card)
    browser.click("#sign-up-form button[type=submit]")
    browser.wait_text(".page-head h1", "^Applications$")
    assert browser.text("#nav-user") == EMAIL
    assert browser.driver.title == "Applications · Likeness"
    # Only the installation's owner and administrators are offered to create applications.
    assert browser.find_all("#create-app"), f"{EMAIL} is not the owner: the platform's database had users already"


def test_a_wrong_password_says_so(browser: Browser, expected_console_errors: list[str]) -> None:
    expected_console_errors.append(SIGN_IN_REFUSED)
    sign_out(browser)
    sign_in(browser, EMAIL, "not the password")
    assert browser.text("#sign-in-form .error-box") == "Wrong e-mail address or password"
    both_widths(browser, "sign-in-wrong-password")
    browser.fill("#sign-in-form input[name=password]", PASSWORD)
    browser.click("#sign-in-form button[type=submit]")
    browser.find("#create-app")


def test_the_top_bar_stays_readable_on_a_phone(browser: Browser) -> None:
    def links_on_the_dark_bar() -> None:
        bar = rect(browser, ".topbar")
        for css in ("#sign-out", "#nav-user", "#nav-docs"):
            link = rect(browser, css)
            assert bar["top"] <= link["top"] and link["bottom"] <= bar["bottom"], (css, link, bar)
            assert link["right"] <= browser.script("return window.innerWidth"), css
        assert browser.script("return getComputedStyle(document.querySelector('.topbar')).backgroundColor") == "rgb(19, 37, 68)"
    both_widths(browser, "p03-applications-empty", links_on_the_dark_bar)


def test_skip_link_moves_the_keyboard_to_the_content(browser: Browser) -> None:
    browser.open("apps")
    browser.driver.refresh()  # the keyboard starts at the top of a page just loaded
    browser.find("#create-app")
    browser.driver.find_element("css selector", "body").send_keys(Keys.TAB)
    assert browser.script("return document.activeElement.id") == "skip-link"
    assert rect(browser, "#skip-link")["top"] >= 0  # shown while focused
    browser.screenshot("small-skip-link-1366")
    browser.script("document.activeElement.click()")
    assert browser.script("return document.activeElement.id") == "view"


# Applications, services, members --------------------------------------------------------------------


def add_cli_application(database_url: str) -> None:
    """The application ``likeness service create`` makes (``make run``'s first API key goes there)."""
    engine = make_engine(database_url)
    try:
        with make_sessions(engine).begin() as db:
            create_app(db, CONSOLE, "Default")
    finally:
        engine.dispose()


def test_create_an_application_and_a_recognition_service(browser: Browser, platform, app_path: dict[str, str]) -> None:
    browser.fill("#create-app input[name=name]", "Front door")
    browser.click("#create-app button[type=submit]")
    browser.wait_text(".page-head h1", "^Front door$")
    assert browser.driver.title == "Front door · Likeness"
    Select(browser.find("#create-service select[name=type]")).select_by_visible_text("Detection")
    assert "Finds the faces" in browser.text("#service-type-help")
    Select(browser.find("#create-service select[name=type]")).select_by_visible_text("Verification")
    assert "Compares the face" in browser.text("#service-type-help")
    app_path["recognition"] = create_service(browser, "Staff", "Recognition")
    row = browser.find('#services tr[data-service="Staff"]')
    assert re.fullmatch(r"[0-9a-f-]{36}", browser.find(".api-key", row).text)
    assert browser.find('#members tr[data-member="owner@example.org"] select').get_attribute("value") == "OWNER"
    assert browser.find('#services a[href="/swagger/"]').text.startswith("API documentation")
    both_widths(browser, "small-application-service-types", lambda: browser.find('#services tr[data-service="Staff"] .api-key'))
    add_cli_application(platform.database_url)
    browser.open("apps")
    assert re.match(r"Front door\s+your role: OWNER\s+Olga Owner", browser.find('#apps tr[data-app="Front door"]').text)
    assert "Made by the likeness command" in browser.text('#apps tr[data-app="Default"]')
    both_widths(browser, "p03-applications", lambda: browser.find('#apps tr[data-app="Front door"]'))


def sign_up_elsewhere(base_url: str, email: str) -> None:
    """Another person signs up in their own browser (here: over HTTP, as the UI does)."""
    other = requests.Session()
    other.get(f"{base_url}/admin/csrf").raise_for_status()
    answer = other.post(f"{base_url}/admin/sign-up", json={"email": email, "password": PASSWORD},
                        headers={"X-CSRF-Token": other.cookies["csrf_token"]})
    assert answer.status_code == 201, answer.text


def test_members_keys_and_clones_on_the_application_page(browser: Browser, platform, app_path: dict[str, str]) -> None:
    sign_up_elsewhere(platform.url, COLLEAGUE)
    browser.open(app_path["recognition"].split("/services/")[0])
    browser.fill("#add-member input[name=email]", COLLEAGUE)
    Select(browser.find("#add-member select[name=role]")).select_by_visible_text("Administrator")
    browser.click("#add-member button[type=submit]")
    role = f'tr[data-member="{COLLEAGUE}"] select'
    browser.wait(lambda: browser.find(role).get_attribute("value") == "ADMINISTRATOR", "the colleague as administrator")
    Select(browser.find(role)).select_by_visible_text("User")
    browser.wait_text("#toasts", f"{COLLEAGUE} is now user")
    old_key = browser.text('#services tr[data-service="Staff"] .api-key')
    browser.click_text("New key", within=browser.find('#services tr[data-service="Staff"]'))
    browser.click_text("Generate new key", within=browser.find("dialog"))
    browser.wait(lambda: browser.text('#services tr[data-service="Staff"] .api-key') != old_key, "a new API key")
    browser.click_text("Clone", within=browser.find('#services tr[data-service="Staff"]'))
    browser.click_text("Clone", within=browser.find("dialog"))
    browser.find('#services tr[data-service="Staff (copy)"]')
    both_widths(browser, "p03-application-members", lambda: browser.find(role))


def test_inviting_an_address_without_an_account_offers_to_create_it(browser: Browser,
                                                                     expected_console_errors: list[str]) -> None:
    expected_console_errors.append(f"members - {REFUSED} 404")
    browser.fill("#add-member input[name=email]", NEWCOMER)
    browser.click("#add-member button[type=submit]")
    assert "has no account yet" in browser.text("dialog h2")
    browser.click_text("Create account", within=browser.find("dialog"))
    browser.fill("dialog input[name=firstName]", "Nina")
    browser.click_text("Create account", within=browser.find("dialog"))
    link = browser.wait_text("#password-link", "/#/set-password/")
    assert re.fullmatch(r"http://[^/]+/#/set-password/[A-Za-z0-9_-]{40,}", link), link
    both_widths(browser, "p06-invite-creates-account", lambda: browser.find("#password-link"))
    close_dialog(browser)
    assert browser.find(f'tr[data-member="{NEWCOMER}"] select').get_attribute("value") == "USER"


def test_handing_the_application_over_asks_first_and_shows_the_new_roles(browser: Browser) -> None:
    role = f'tr[data-member="{COLLEAGUE}"] select'
    Select(browser.find(role)).select_by_visible_text("Owner")
    assert browser.text("dialog h2") == f"Hand Front door over to {COLLEAGUE}?"
    both_widths(browser, "p02-ownership-asks-first", lambda: browser.find("dialog h2"))
    browser.click_text("Cancel", within=browser.find("dialog"))
    browser.wait(lambda: browser.find(role).get_attribute("value") == "USER", "the role list to go back to User")
    assert browser.find(f'tr[data-member="{EMAIL}"] select').get_attribute("value") == "OWNER"

    Select(browser.find(role)).select_by_visible_text("Owner")
    browser.click_text("Make owner", within=browser.find("dialog"))
    browser.wait_text("#app-role", "^your role: ADMINISTRATOR · full rights as installation owner$")
    browser.wait(lambda: browser.find(f'tr[data-member="{EMAIL}"] select').get_attribute("value") == "ADMINISTRATOR",
                 "the previous owner as administrator")
    assert browser.find(role).get_attribute("value") == "OWNER"
    both_widths(browser, "p02-ownership-handed-over", lambda: browser.find("#app-role"))
    browser.open("apps")
    row = browser.find('#apps tr[data-app="Front door"]')
    assert "your role: ADMINISTRATOR" in row.text and COLLEAGUE in row.text
    both_widths(browser, "p02-applications-after-handover", lambda: browser.find('#apps tr[data-app="Front door"]'))


# Users -----------------------------------------------------------------------------------------------


def test_the_users_page_makes_accounts_with_one_time_links(browser: Browser, platform,
                                                           expected_console_errors: list[str]) -> None:
    expected_console_errors.extend([SIGN_IN_REFUSED, f"set-password - {REFUSED} 400"])
    browser.click("#nav-users")
    browser.find(f'#users-table tr[data-user="{COLLEAGUE}"]')
    browser.click("#create-user")
    browser.fill("dialog input[name=email]", "temp@example.org")
    browser.fill("dialog input[name=lastName]", "Worker")
    browser.click_text("Create account", within=browser.find("dialog"))
    link = browser.wait_text("#password-link", "/#/set-password/")
    both_widths(browser, "p06-users-link-shown-once", lambda: browser.find("#password-link"))
    close_dialog(browser)
    assert browser.script("return document.activeElement.id") == "create-user"  # focus back on the opener
    assert "temp@example.org" in browser.text("#users-table")

    # The new person follows the link in their own browser (here: this one, signed out).
    sign_out(browser)
    browser.driver.get(link)
    browser.find("#set-password-form")
    both_widths(browser, "p06-set-password")
    browser.fill("#set-password-form input[name=password]", NEW_PASSWORD)
    browser.fill("#set-password-form input[name=repeat]", NEW_PASSWORD)
    browser.click("#set-password-form button[type=submit]")
    browser.wait_text("#nav-user", "^temp@example.org$")
    assert not browser.find_all("#create-app")  # a plain user
    sign_out(browser)
    browser.driver.get(link)  # used up
    browser.fill("#set-password-form input[name=password]", PASSWORD)
    browser.fill("#set-password-form input[name=repeat]", PASSWORD)
    browser.click("#set-password-form button[type=submit]")
    assert "unknown, used or expired" in browser.text("#set-password-form .error-box")

    sign_in(browser, EMAIL, PASSWORD)
    browser.find("#create-app")
    browser.click("#nav-users")
    row = f'#users-table tr[data-user="temp@example.org"]'
    browser.click_text("Disable", within=browser.find(row))
    browser.click_text("Disable", within=browser.find("dialog"))
    browser.wait(lambda: "disabled" in browser.find(row).text, "the account to be disabled")
    browser.click_text("New password link", within=browser.find(row))
    browser.wait_text("#password-link", "/#/set-password/")
    close_dialog(browser)
    browser.click("#sign-up-open")
    browser.wait_text("#toasts", "Sign-up closed")
    assert not browser.find("#sign-up-open").is_selected()
    both_widths(browser, "p06-users", lambda: browser.find(row))
    sign_out(browser)
    assert "Ask the owner" in browser.text("#sign-up-closed")
    assert not browser.find_all('#sign-in-form a[href="#/sign-up"]')
    both_widths(browser, "p06-sign-in-sign-up-closed")
    sign_in(browser, "temp@example.org", NEW_PASSWORD)
    assert browser.text("#sign-in-form .error-box") == "Wrong e-mail address or password"
    sign_in(browser, EMAIL, PASSWORD)
    browser.find("#create-app")


# The collection -------------------------------------------------------------------------------------


def test_upload_faces_of_several_people_and_see_them_as_people(browser: Browser, app_path: dict[str, str]) -> None:
    browser.open(f"{app_path['recognition']}/collection")
    browser.wait_text(".page-head h1", "^Staff: Collection$")
    assert browser.driver.title == "Staff: Collection · Front door · Likeness"
    browser.find("#dropzone")
    browser.click("#subject-from-names")
    browser.choose_files("#upload-input", ENROLLED)
    browser.wait_text("#upload-summary", f"^{len(ENROLLED)} of {len(ENROLLED)} done$", timeout=60)
    results = [item.text for item in browser.find_all("#upload-results li")]
    assert all(result.endswith("added") for result in results), results
    for name in PEOPLE:
        browser.find(f'#subjects li[data-subject="{name}"]')
    browser.wait_text("#faces-total", r"^\(4 people\)$")
    cards = {card.get_attribute("data-subject"): card.get_attribute("data-faces") for card in browser.find_all("#people .person")}
    assert cards == {name: "4" for name in PEOPLE}
    assert browser.find('#people .person[data-subject="Bill_Gates"]').text.endswith("4 faces")
    browser.wait(lambda: images_loaded(browser, "#people img.thumb"), "every cover picture to load")
    # The covers are face crops cut around the face's box, not the whole 250 px photos.
    sides = {tuple(browser.script("return [arguments[0].naturalWidth, arguments[0].naturalHeight]", image))
             for image in browser.find_all("#people img.thumb")}
    assert sides == {(CROP_SIDE, CROP_SIDE)}, sides
    both_widths(browser, "p10-people", lambda: browser.find('#people .person[data-subject="Bill_Gates"]'))


def test_failed_uploads_stay_listed_and_a_group_photo_asks_for_the_face(browser: Browser, tmp_path: Path,
                                                                       expected_console_errors: list[str]) -> None:
    expected_console_errors.extend([f"subject=Broken_Photo - {REFUSED} 400", f"subject=Group_Person - {REFUSED} 400"])
    broken = tmp_path / "Broken_Photo_0001.jpg"
    broken.write_bytes(b"these bytes are no JPEG")
    notes = tmp_path / "notes.txt"
    notes.write_text("not an image")
    group = tmp_path / "Group_Person_0001.jpg"
    group.write_bytes(GROUP_PHOTO.read_bytes())
    browser.choose_files("#upload-input", [broken, notes, group])
    assert browser.wait_text(".toast.error", "not an image") == "1 file is not an image and left out"
    browser.wait_text("#upload-summary", "^2 of 2 done, 2 failed$")
    failed = browser.find('#upload-results li[data-file="Broken_Photo_0001.jpg"]')
    assert browser.find(".state.failed", failed).text not in ("", "uploading…")
    browser.find("button.retry", failed)
    several = browser.find('#upload-results li[data-file="Group_Person_0001.jpg"]')
    assert browser.find(".state.failed", several).text == "several faces in this photo: pick the one to enrol"
    both_widths(browser, "p09-upload-errors", lambda: browser.find("button.pick-face", several))
    browser.click("button.pick-face", several)
    browser.wait(lambda: len(browser.find_all("dialog .face-choice")) == GROUP_FACES, f"{GROUP_FACES} faces to choose from")
    browser.wait(lambda: images_loaded(browser, "dialog .face-choice img"), "the face crops")
    both_widths(browser, "p09-pick-the-face", lambda: browser.find("dialog .face-choice"))
    browser.click('dialog .face-choice[data-index="1"]')
    assert browser.wait_text('#upload-results li[data-file="Group_Person_0001.jpg"] .state', "^added") == \
        "added (Group_Person_0001-face-2.jpg)"
    browser.wait(lambda: browser.find_all('#people .person[data-subject="Group_Person"]'), "the new person's card")
    # A later upload leaves the failed file listed, to be retried.
    browser.click("#subject-from-names")
    browser.fill("#upload-subject", "Amelia_Vega")
    browser.choose_files("#upload-input", [LFW / "Amelia_Vega" / "Amelia_Vega_0005.jpg"])
    browser.wait_text("#upload-summary", "^1 of 1 done$")
    assert browser.find_all('#upload-results li[data-file="Broken_Photo_0001.jpg"] button.retry')


def test_open_move_merge_and_delete_faces(browser: Browser) -> None:
    browser.fill("#subject-search", "gates")
    browser.wait(lambda: [item.get_attribute("data-subject") for item in browser.find_all("#subjects li")] == ["Bill_Gates"],
                 "the search to leave only Bill_Gates")
    browser.wait(lambda: [card.get_attribute("data-subject") for card in browser.find_all("#people .person")] == ["Bill_Gates"],
                 "the search to leave one card")
    browser.fill("#subject-search", "")
    browser.click('#people .person[data-subject="Amelia_Vega"]')
    browser.wait_text("#faces h2", r"^Faces of Amelia_Vega \(5\)$")
    browser.wait(lambda: images_loaded(browser, "#faces img.thumb"), "the face crops")
    # A face opens large: its whole photo with its box.
    browser.click("#faces .face .open-face")
    canvas = browser.find("dialog canvas#face-photo")
    assert browser.script("return arguments[0].width", canvas) >= 480 and canvas.get_attribute("data-faces") == "1"
    both_widths(browser, "p10-face-opened", lambda: browser.find("dialog canvas#face-photo"))
    close_dialog(browser)
    # Move one face to a new person.
    browser.find_all("#faces .face .face-pick")[0].click()
    browser.click("#move-selected")
    browser.fill("dialog input[name=subject]", "Somebody_Else")
    browser.click_text("Move", within=browser.find("dialog"))
    browser.wait_text("#faces h2", r"^Faces of Amelia_Vega \(4\)$")
    browser.find('#subjects li[data-subject="Somebody_Else"]')
    both_widths(browser, "p10-subject-faces", lambda: browser.find("#move-selected"))
    # Merge Bill_Simon into Britney_Spears.
    browser.click('#subjects li[data-subject="Bill_Simon"] button.subject')
    browser.wait_text("#faces h2", "^Faces of Bill_Simon")
    browser.click("#merge-subject")
    browser.fill("dialog input[name=subject]", "Nobody_Here")
    browser.click_text("Merge", within=browser.find("dialog"))
    assert "nobody called Nobody_Here" in browser.text("dialog .error-box")
    browser.fill("dialog input[name=subject]", "Britney_Spears")
    browser.click_text("Merge", within=browser.find("dialog"))
    browser.wait_text("#faces h2", r"^Faces of Britney_Spears \(8\)$")
    assert not browser.find_all('#subjects li[data-subject="Bill_Simon"]')
    # Rename with merge still works, and selected faces are deleted.
    browser.click('#subjects li[data-subject="Somebody_Else"] button.subject')
    browser.wait_text("#faces h2", "^Faces of Somebody_Else")
    browser.click("#rename-subject")
    browser.fill("dialog input[name=subject]", "Amelia_Vega")
    browser.click_text("Rename", within=browser.find("dialog"))
    browser.wait_text("#faces h2", r"^Faces of Amelia_Vega \(5\)$")
    browser.click('#subjects li[data-subject="Britney_Spears"] button.subject')
    browser.wait_text("#faces h2", r"^Faces of Britney_Spears \(8\)$")
    for pick in browser.find_all("#faces .face .face-pick")[:2]:
        pick.click()
    browser.wait_text("#delete-selected", r"^Delete selected \(2\)$")
    browser.click("#delete-selected")
    browser.click_text("Delete", within=browser.find("dialog"))
    browser.wait_text("#faces h2", r"^Faces of Britney_Spears \(6\)$")
    browser.click("#back-to-people")
    browser.wait(lambda: browser.find('#people .person[data-subject="Britney_Spears"]').get_attribute("data-faces") == "6",
                 "Britney_Spears's card to count 6 faces")
    browser.wait(lambda: images_loaded(browser, "#people img.thumb"), "every cover picture to load")
    both_widths(browser, "p10-people-after-merge", lambda: browser.find("#people"))


# The test pages ---------------------------------------------------------------------------------------


def recognised(browser: Browser) -> list[str]:
    return browser.wait(lambda: [element.text for element in browser.find_all("#results .subject-name, #results .unknown")] or None,
                        "the recognised faces")


def test_the_recognition_test_page_names_the_person_and_calls_a_stranger_unknown(browser: Browser,
                                                                                  app_path: dict[str, str]) -> None:
    browser.open(f"{app_path['recognition']}/test")
    browser.wait_text(".page-head h1", "^Staff: Test$")
    assert browser.driver.title == "Staff: Test · Front door · Likeness"
    assert browser.find("#det-prob-threshold").get_attribute("value") == "0.5"  # the model's default, as the value
    assert browser.find("#similarity-threshold").get_attribute("value") == "0.5"
    browser.choose_files("#pick-file", [PROBE])
    assert recognised(browser) == ["Bill_Gates"]
    assert re.fullmatch(r"Bill_Gates 0\.\d\d", browser.text("#results .subjects").split("\n")[0])
    assert browser.find("#canvas-file").get_attribute("data-faces") == "1"
    assert re.search(r"(male|female) \(\d\.\d\d\); age \d+–\d+", browser.text("#results tbody"))
    assert re.search(r"(certainly|very likely|probably|perhaps) a face \(\d\.\d\d\)", browser.text("#results tbody"))
    assert not browser.find("#results details.box-details").get_attribute("open")  # coordinates behind a toggle
    curl = browser.text("#curl")
    assert "/api/v1/recognition/recognize?face_plugins=landmarks%2Cage%2Cgender&det_prob_threshold=0.5" in curl
    assert '-F "file=@Bill_Gates_0006.jpg"' in curl and "x-api-key: " in curl
    assert '"subject": "Bill_Gates"' in browser.text("#raw-json")
    def known_and_square_checkboxes() -> None:
        browser.find("#results .subject-name")
        sizes = [(box.size["width"], box.size["height"]) for box in browser.find_all("fieldset.plugins input[type=checkbox]")]
        assert len(sizes) == 5 and all(width == height >= 16 for width, height in sizes), sizes
    both_widths(browser, "p01-recognition-known", known_and_square_checkboxes)

    # A stranger: Unknown, with the closest candidate in small print and the threshold stated.
    browser.script("window.snapshots = []; new MutationObserver(() => window.snapshots.push(document.querySelector('#results').textContent))"
                   ".observe(document.querySelector('#results'), {childList: true, subtree: true})")
    # The answer is held back a few seconds (the server still gives it), so that the screenshots
    # catch what the page shows meanwhile: the new photo at once, dimmed, saying it is busy.
    browser.script("window.realFetch = window.fetch; window.fetch = (url, options) => String(url).includes('/recognize')"
                   " ? new Promise((done) => setTimeout(done, 5000)).then(() => window.realFetch(url, options))"
                   " : window.realFetch(url, options)")
    browser.choose_files("#pick-file", [STRANGER])

    def busy_with_the_new_photo() -> None:
        browser.find("#result-card.busy")
        assert browser.find("#canvas-file").get_attribute("data-message") == "Finding faces…"
        assert browser.text("#results") == "Finding faces…"
    both_widths(browser, "p07-new-photo-while-busy", busy_with_the_new_photo)
    browser.script("window.fetch = window.realFetch")
    browser.wait(lambda: browser.find_all("#results .unknown"), "the stranger to read Unknown")
    first = browser.script("return window.snapshots[0]")
    assert first == "Finding faces…", first  # the earlier answer went at once
    closest = browser.text("#results .closest")
    match = re.fullmatch(r"closest: (\w+) (0\.\d\d), below 0\.50", closest)
    assert match and match.group(1) in PEOPLE + ["Group_Person"], closest
    assert "below the same-person threshold (0.50) reads Unknown" in browser.text("#threshold-note")
    assert near(pixel(browser, "#canvas-file", *first_box_left_middle(browser)), (232, 89, 12))  # OTHER_COLOUR
    both_widths(browser, "p01-recognition-unknown", lambda: browser.find("#results .closest"))
    # The threshold is adjustable on the page: below the closest similarity, the face gets its name.
    browser.fill("#similarity-threshold", "0.01")
    browser.wait(lambda: [element.text for element in browser.find_all("#results .subject-name")] == [match.group(1)],
                 "the face to take the closest candidate's name")
    both_widths(browser, "p01-recognition-threshold-lowered", lambda: browser.find("#results .subject-name"))
    browser.fill("#similarity-threshold", "0.5")
    browser.wait(lambda: browser.find_all("#results .unknown"), "Unknown again")


def first_box_left_middle(browser: Browser) -> tuple[float, float]:
    box = browser.script("return JSON.parse(document.querySelector('#raw-json').textContent).result[0].box")
    return box["x_min"], (box["y_min"] + box["y_max"]) / 2


def test_candidates_list_each_person_once(browser: Browser) -> None:
    browser.fill("#prediction-count", "3")
    browser.choose_files("#pick-file", [PROBE])  # Bill_Gates has 4 faces enrolled: his 3 best are the 3 candidates
    browser.wait_text("#results .subjects", "of their faces matched")
    answer = browser.script("return JSON.parse(document.querySelector('#raw-json').textContent).result[0].subjects")
    assert [candidate["subject"] for candidate in answer] == ["Bill_Gates"] * 3
    assert re.fullmatch(r"Bill_Gates 0\.\d\d \(3 of their faces matched\)", browser.text("#results .subjects"))
    assert not browser.find_all("#results .other-candidate")
    both_widths(browser, "p08-candidates-once", lambda: browser.find("#results .subjects"))
    browser.fill("#prediction-count", "1")


def test_no_face_and_a_threshold_out_of_range(browser: Browser, expected_console_errors: list[str]) -> None:
    expected_console_errors.append(f"prediction_count=1 - {REFUSED} 400")
    browser.choose_files("#pick-file", [NO_FACE])
    browser.wait(lambda: browser.find("#canvas-file").get_attribute("data-message") == "No face found", "the photo to say no face")
    assert "No face found" in browser.text("#no-face")
    assert not browser.find("#canvas-file").get_attribute("hidden")
    both_widths(browser, "p07-no-face", lambda: browser.find("#no-face"))
    browser.fill("#det-prob-threshold", "1.5")
    before = browser.text("#curl")
    browser.click("#run-test")
    assert browser.wait_text(".card .error-box", "from 0 to 1") == "The detection threshold must be a number from 0 to 1"
    assert browser.text("#curl") == before  # nothing was sent
    both_widths(browser, "p05-threshold-refused", lambda: browser.find(".card .error-box"))
    browser.fill("#det-prob-threshold", "0.5")


def test_the_detection_test_page_numbers_every_face_and_highlights_rows(browser: Browser, app_path: dict[str, str]) -> None:
    browser.open(app_path["recognition"].split("/services/")[0])
    detection = create_service(browser, "Counter", "Detection")
    app_path["detection"] = detection
    browser.click_text("Delete", within=browser.find('#services tr[data-service="Counter"]'))
    warning = browser.text("dialog p")
    assert "collection" not in warning and "API key" in warning
    browser.click_text("Cancel", within=browser.find("dialog"))
    browser.open(f"{detection}/test")
    browser.choose_files("#pick-file", [GROUP_PHOTO])
    browser.wait(lambda: browser.find("#canvas-file").get_attribute("data-faces") == str(GROUP_FACES),
                 f"{GROUP_FACES} faces drawn")
    rows = browser.find_all("#results tr.face-row")
    assert [row.text.split()[0] for row in rows] == [f"#{index}" for index in range(1, GROUP_FACES + 1)]
    boxes = browser.script("return JSON.parse(document.querySelector('#raw-json').textContent).result.map(f => f.box)")
    for box in boxes:  # each box's left edge is drawn in the box colour
        assert near(pixel(browser, "#canvas-file", box["x_min"], (box["y_min"] + box["y_max"]) // 2), BOX_COLOUR), box
    both_widths(browser, "p04-group-photo", lambda: browser.find("#results tr.face-row"))
    # Pointing at a row highlights its box; clicking keeps it highlighted.
    ActionChains(browser.driver).move_to_element(rows[2]).perform()
    browser.wait(lambda: browser.find("#canvas-file").get_attribute("data-highlighted") == "2", "face #3 highlighted")
    third = boxes[2]
    assert near(pixel(browser, "#canvas-file", third["x_min"], (third["y_min"] + third["y_max"]) // 2), HIGHLIGHT)
    rows[2].click()
    ActionChains(browser.driver).move_to_element(browser.find("#curl")).perform()
    browser.wait(lambda: browser.find("#canvas-file").get_attribute("data-highlighted") == "2", "face #3 to stay highlighted")
    assert rows[2].get_attribute("aria-selected") == "true"
    both_widths(browser, "p04-row-highlighted", lambda: browser.find('#results tr.face-row[aria-selected="true"]'))
    # The photo can be enlarged; closing gives the focus back to the button.
    browser.click("#enlarge-photo")
    large = browser.find("dialog img#large-photo")
    assert browser.script("return arguments[0].naturalWidth", large) >= browser.script(
        "return document.querySelector('#canvas-file').width")
    assert large.size["height"] > browser.find("#canvas-file").size["height"]
    both_widths(browser, "p04-photo-enlarged", lambda: browser.find("dialog img#large-photo"))
    close_dialog(browser)
    assert browser.script("return document.activeElement.id") == "enlarge-photo"


def test_the_verification_test_page_compares_two_images(browser: Browser, app_path: dict[str, str]) -> None:
    browser.open(app_path["recognition"].split("/services/")[0])
    verification = create_service(browser, "Gate", "Verification")
    browser.open(f"{verification}/test")
    browser.choose_files("#pick-source_image", [LFW / "Amelia_Vega" / "Amelia_Vega_0005.jpg"])
    browser.choose_files("#pick-target_image", [LFW / "Amelia_Vega" / "Amelia_Vega_0006.jpg"])
    assert "same person" in browser.wait_text("#results tbody", "same person|different people")
    assert re.search(r"#1 0\.\d\d same person", browser.text("#results tbody"))
    assert browser.find("#canvas-target_image").get_attribute("data-faces") == "1"
    both_widths(browser, "p01-verification", lambda: browser.find("#results tbody"))


# Dashboard, status, account ---------------------------------------------------------------------------


def add_request_counts(database_url: str, service_guid: str, counts: dict[int, int]) -> None:
    """Requests of ``counts`` days ago ({days ago: requests}), as the api servers record them (they
    write their counts once a minute, too late for this test)."""
    now = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
    engine = make_engine(database_url)
    try:
        with make_sessions(engine).begin() as db:
            service_id = db.scalar(select(Service.id).where(Service.guid == uuid.UUID(service_guid)))
            db.add_all(RequestCount(service_id=service_id, hour=now - timedelta(days=days), count=count)
                       for days, count in counts.items())
    finally:
        engine.dispose()


def test_the_dashboard_counts_the_collection_and_charts_the_requests(browser: Browser, platform,
                                                                     app_path: dict[str, str]) -> None:
    add_request_counts(platform.database_url, app_path["recognition"].rsplit("/", 1)[1], {2: 40, 9: 25})
    browser.open(app_path["recognition"])
    browser.wait_text(".page-head h1", "^Staff$")
    assert browser.driver.title == "Staff · Front door · Likeness"
    assert browser.text("#subject-count .tile-value") == "4"
    faces = len(ENROLLED) + 2 - 2  # the group photo's face and Amelia_Vega_0005, less two deleted
    assert browser.text("#face-count .tile-value") == str(faces)
    assert "Examples recognition compares with" in browser.text("#face-count")
    assert "Every face keeps the photo" in browser.text("#image-count")
    assert browser.find('.tabs a[href="/swagger/"]')
    assert int(browser.text("#request-count .tile-value")) >= 65
    bars = [int(bar.get_attribute("data-value")) for bar in browser.find_all(".chart rect.bar")]
    assert len(bars) == 30 and bars[-3] >= 40 and bars[-10] >= 25, bars  # oldest first, today last
    assert max(bar.size["height"] for bar in browser.find_all(".chart rect.bar")) > 50
    both_widths(browser, "small-dashboard", lambda: browser.find("#face-count"))


def test_toasts_do_not_cover_buttons(browser: Browser, app_path: dict[str, str]) -> None:
    browser.open(f"{app_path['detection']}")
    for label, size in SIZES.items():
        browser.resize(size)
        browser.click(".key button")
        toast = browser.wait(lambda: browser._displayed(".toast", None), "a toast")
        covered = browser.script(
            "const t = arguments[0].getBoundingClientRect();"
            "return [...document.querySelectorAll('button, a, input, select')].filter(e => {"
            "  const r = e.getBoundingClientRect();"
            "  return r.width && r.height && !e.closest('#toasts') && r.left < t.right && t.left < r.right && r.top < t.bottom && t.top < r.bottom;"
            "}).map(e => e.outerHTML.slice(0, 80));", toast)
        browser.screenshot(f"small-toast-{label}", whole_page=False)
        assert not covered, (label, covered)
    browser.resize(WINDOW)


def test_the_status_page_shows_every_part_ok(browser: Browser) -> None:
    browser.open("status")
    assert browser.wait_text("#overall-status", "OK|NOT READY") == "OK"
    states = {row.get_attribute("data-part"): row.text for row in browser.find_all("#status-table tbody tr")}
    assert {"admin", "database", "api", "core"} <= set(states) and all("OK" in text for text in states.values()), states
    both_widths(browser, "p03-status", lambda: browser.find("#status-table"))


def test_change_the_password_and_sign_in_with_it(browser: Browser) -> None:
    browser.open("account")
    browser.fill("#password-form input[name=oldPassword]", PASSWORD)
    browser.fill("#password-form input[name=newPassword]", NEW_PASSWORD)
    browser.fill("#password-form input[name=repeatPassword]", NEW_PASSWORD)
    both_widths(browser, "p03-account", lambda: browser.find("#password-form"))
    browser.click("#password-form button[type=submit]")
    browser.wait_text("#toasts", "Password changed")
    sign_out(browser)
    sign_in(browser, EMAIL, NEW_PASSWORD)
    browser.find("#create-app")
