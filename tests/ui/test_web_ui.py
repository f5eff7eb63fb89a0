"""The web UI in headless Chromium against the real gateway, as a new installation's owner uses it:
sign up, create an application and services, enrol people from LFW on the collection page,
recognise, detect and verify on the test pages, read the dashboard and the status page, change
the password. The tests run in order and build on each other (one browser, one platform); each
leaves a screenshot in test-artifacts/ui/."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests
from selenium.webdriver.support.select import Select
from sqlalchemy import select

from db.engine import make_engine, make_sessions
from db.models import RequestCount, Service
from tests.support.paths import DATA_DIR
from tests.ui.browser import Browser

LFW = DATA_DIR / "lfw-dev" / "images"
PEOPLE = ["Amelia_Vega", "Bill_Gates", "Bill_Simon", "Britney_Spears"]  # one face in each of images 1 to 6
ENROLLED = [LFW / name / f"{name}_{number:04d}.jpg" for name in PEOPLE for number in range(1, 5)]
PROBE = LFW / "Bill_Gates" / "Bill_Gates_0006.jpg"
GROUP_PHOTO = DATA_DIR / "group-photos" / "insightface_t1.jpg"
GROUP_FACES = 6
EMAIL = "owner@example.org"
PASSWORD = "correct horse battery"
NEW_PASSWORD = "staple battery horse"
SIGN_IN_REFUSED = "sign-in - Failed to load resource: the server responded with a status of 401"
BOX_COLOUR = (31, 157, 85)  # draw.js MATCH_COLOUR


@pytest.fixture(scope="module")
def app_path() -> dict[str, str]:
    """Where the scenario's application and services live ("#/" routes), filled in as they are made."""
    return {}


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


def pixel(browser: Browser, canvas: str, x: int, y: int) -> tuple[int, int, int]:
    """The colour drawn at image pixel (x, y) of ``canvas``."""
    return tuple(browser.script(
        "const c = document.querySelector(arguments[0]), k = Number(c.dataset.scale);"
        "return Array.from(c.getContext('2d').getImageData(arguments[1] * k, arguments[2] * k, 1, 1).data.slice(0, 3));",
        canvas, x, y))


def test_sign_up_makes_the_first_user_the_owner(browser: Browser) -> None:
    browser.open("")
    browser.find("#sign-in-form")
    browser.screenshot("sign-in")
    browser.click_text("Sign up", tag="a")
    browser.fill("#sign-up-form input[name=email]", EMAIL)
    browser.fill("#sign-up-form input[name=firstName]", "Olga")
    browser.fill("#sign-up-form input[name=lastName]", "Owner")
    browser.fill("#sign-up-form input[name=password]", PASSWORD)
    browser.fill("#sign-up-form input[name=repeat]", PASSWORD)
    browser.screenshot("sign-up")
    browser.click("#sign-up-form button[type=submit]")
    browser.wait_text(".page-head h1", "^Applications$")
    assert browser.text("#nav-user") == EMAIL
    # Only the installation's owner and administrators are offered to create applications.
    assert browser.find_all("#create-app"), f"{EMAIL} is not the owner: the platform's database had users already"


def test_a_wrong_password_says_so(browser: Browser, expected_console_errors: list[str]) -> None:
    expected_console_errors.append(SIGN_IN_REFUSED)
    sign_out(browser)
    sign_in(browser, EMAIL, "not the password")
    assert browser.text("#sign-in-form .error-box") == "Wrong e-mail address or password"
    browser.screenshot("sign-in-wrong-password")
    browser.fill("#sign-in-form input[name=password]", PASSWORD)
    browser.click("#sign-in-form button[type=submit]")
    browser.find("#create-app")


def test_create_an_application_and_a_recognition_service(browser: Browser, app_path: dict[str, str]) -> None:
    browser.fill("#create-app input[name=name]", "Front door")
    browser.click("#create-app button[type=submit]")
    browser.wait_text(".page-head h1", "^Front door$")
    app_path["recognition"] = create_service(browser, "Staff", "Recognition")
    row = browser.find('#services tr[data-service="Staff"]')
    assert re.fullmatch(r"[0-9a-f-]{36}", browser.find(".api-key", row).text)
    assert browser.find('#members tr[data-member="owner@example.org"] select').get_attribute("value") == "OWNER"
    browser.screenshot("application")
    browser.open("apps")
    assert browser.find('#apps tr[data-app="Front door"]').text.startswith("Front door OWNER Olga Owner")
    browser.screenshot("applications")


def sign_up_elsewhere(base_url: str, email: str) -> None:
    """Another person signs up in their own browser (here: over HTTP, as the UI does)."""
    other = requests.Session()
    other.get(f"{base_url}/admin/csrf").raise_for_status()
    answer = other.post(f"{base_url}/admin/sign-up", json={"email": email, "password": PASSWORD},
                        headers={"X-CSRF-Token": other.cookies["csrf_token"]})
    assert answer.status_code == 201, answer.text


def test_members_keys_and_clones_on_the_application_page(browser: Browser, platform, app_path: dict[str, str]) -> None:
    sign_up_elsewhere(platform.url, "colleague@example.org")
    browser.open(app_path["recognition"].split("/services/")[0])
    browser.fill("#add-member input[name=email]", "colleague@example.org")
    Select(browser.find("#add-member select[name=role]")).select_by_visible_text("Administrator")
    browser.click("#add-member button[type=submit]")
    role = 'tr[data-member="colleague@example.org"] select'
    browser.wait(lambda: browser.find(role).get_attribute("value") == "ADMINISTRATOR", "the colleague as administrator")
    Select(browser.find(role)).select_by_visible_text("User")
    browser.wait_text("#toasts", "colleague@example.org is now user")
    old_key = browser.text('#services tr[data-service="Staff"] .api-key')
    browser.click_text("New key", within=browser.find('#services tr[data-service="Staff"]'))
    browser.click_text("Generate new key", within=browser.find("dialog"))
    browser.wait(lambda: browser.text('#services tr[data-service="Staff"] .api-key') != old_key, "a new API key")
    browser.click_text("Clone", within=browser.find('#services tr[data-service="Staff"]'))
    browser.click_text("Clone", within=browser.find("dialog"))
    browser.find('#services tr[data-service="Staff (copy)"]')
    browser.screenshot("application-members")
    browser.click_text("Remove", within=browser.find('tr[data-member="colleague@example.org"]'))
    browser.click_text("Remove", within=browser.find("dialog"))
    browser.wait(lambda: not browser.find_all('tr[data-member="colleague@example.org"]'), "the colleague to be removed")


def test_upload_faces_of_several_people_on_the_collection_page(browser: Browser, app_path: dict[str, str]) -> None:
    browser.open(f"{app_path['recognition']}/collection")
    browser.find("#dropzone")
    browser.click("#subject-from-names")
    browser.choose_files("#upload-input", ENROLLED)
    browser.wait_text("#upload-summary", f"^{len(ENROLLED)} of {len(ENROLLED)} done$", timeout=60)
    results = [item.text for item in browser.find_all("#upload-results li")]
    assert all(result.endswith("added") for result in results), results
    for name in PEOPLE:
        browser.find(f'#subjects li[data-subject="{name}"]')
    browser.wait_text("#faces-total", rf"^\({len(ENROLLED)}\)$")
    browser.wait(lambda: all(browser.script("return arguments[0].complete && arguments[0].naturalWidth > 0", image)
                             for image in browser.find_all("#faces img.thumb")) or None, "every thumbnail to load")
    assert len(browser.find_all("#faces .face")) == len(ENROLLED)
    browser.screenshot("collection")


def test_an_upload_says_which_files_failed_and_why(browser: Browser, tmp_path: Path, expected_console_errors: list[str]) -> None:
    expected_console_errors.append("subject=Broken_Photo - Failed to load resource: the server responded with a status of 400")
    broken = tmp_path / "Broken_Photo_0001.jpg"
    broken.write_bytes(b"these bytes are no JPEG")
    notes = tmp_path / "notes.txt"
    notes.write_text("not an image")
    browser.choose_files("#upload-input", [broken, notes])
    assert browser.wait_text(".toast.error", "not an image") == "1 file is not an image and left out"
    browser.wait_text("#upload-summary", "^1 of 1 done, 1 failed$")
    row = browser.find('#upload-results li[data-file="Broken_Photo_0001.jpg"] .state.failed')
    assert row.text and row.text != "uploading…"
    browser.wait_text("#faces-total", rf"^\({len(ENROLLED)}\)$")


def test_search_rename_with_merge_and_delete_selected_faces(browser: Browser) -> None:
    browser.fill("#subject-search", "gates")
    browser.wait(lambda: [item.get_attribute("data-subject") for item in browser.find_all("#subjects li")] == ["Bill_Gates"],
                 "the search to leave only Bill_Gates")
    browser.fill("#subject-search", "")
    browser.click('#subjects li[data-subject="Bill_Simon"] button.subject')
    browser.wait_text("#faces h2", "^Faces of Bill_Simon")
    # Renaming Bill_Simon to an existing subject merges the two.
    browser.click("#rename-subject")
    browser.fill("dialog input[name=subject]", "Britney_Spears")
    browser.click_text("Rename", within=browser.find("dialog"))
    browser.wait_text("#faces h2", r"^Faces of Britney_Spears \(8\)$")
    assert not browser.find_all('#subjects li[data-subject="Bill_Simon"]')
    for face in browser.find_all("#faces .face")[:2]:
        face.click()
    browser.wait_text("#delete-selected", r"^Delete selected \(2\)$")
    browser.click("#delete-selected")
    browser.click_text("Delete", within=browser.find("dialog"))
    browser.wait_text("#faces h2", r"^Faces of Britney_Spears \(6\)$")
    browser.screenshot("collection-merged")


def test_the_recognition_test_page_names_the_person(browser: Browser, app_path: dict[str, str]) -> None:
    browser.open(f"{app_path['recognition']}/test")
    browser.choose_files("#pick-file", [PROBE])
    names = browser.wait(lambda: [element.text for element in browser.find_all("#results .subject-name")] or None,
                         "the recognised subjects")
    assert names == ["Bill_Gates"]
    assert re.search(r"Bill_Gates \d+\.\d%", browser.text("#results .subjects"))
    assert browser.find("#canvas-file").get_attribute("data-faces") == "1"
    assert re.search(r"(male|female) \(\d+\.\d%\); age \d+–\d+", browser.text("#results tbody"))
    curl = browser.text("#curl")
    assert "/api/v1/recognition/recognize?face_plugins=landmarks%2Cage%2Cgender" in curl
    assert '-F "file=@Bill_Gates_0006.jpg"' in curl and "x-api-key: " in curl
    assert '"subject": "Bill_Gates"' in browser.text("#raw-json")
    browser.screenshot("test-recognition")


def test_the_detection_test_page_draws_every_face(browser: Browser, app_path: dict[str, str]) -> None:
    browser.open(app_path["recognition"].split("/services/")[0])
    detection = create_service(browser, "Counter", "Detection")
    browser.open(f"{detection}/test")
    browser.choose_files("#pick-file", [GROUP_PHOTO])
    browser.wait(lambda: browser.find("#canvas-file").get_attribute("data-faces") == str(GROUP_FACES),
                 f"{GROUP_FACES} faces drawn")
    assert len(browser.find_all("#results tr.face-row")) == GROUP_FACES
    boxes = browser.script("return JSON.parse(document.querySelector('#raw-json').textContent).result.map(f => f.box)")
    for box in boxes:  # each box's left edge is drawn in the box colour
        red, green, blue = pixel(browser, "#canvas-file", box["x_min"], (box["y_min"] + box["y_max"]) // 2)
        assert abs(red - BOX_COLOUR[0]) + abs(green - BOX_COLOUR[1]) + abs(blue - BOX_COLOUR[2]) < 60, (box, red, green, blue)
    browser.screenshot("test-detection")


def test_the_verification_test_page_compares_two_images(browser: Browser, app_path: dict[str, str]) -> None:
    browser.open(app_path["recognition"].split("/services/")[0])
    verification = create_service(browser, "Gate", "Verification")
    browser.open(f"{verification}/test")
    browser.choose_files("#pick-source_image", [LFW / "Amelia_Vega" / "Amelia_Vega_0005.jpg"])
    browser.choose_files("#pick-target_image", [LFW / "Amelia_Vega" / "Amelia_Vega_0006.jpg"])
    assert "same person" in browser.wait_text("#results tbody", "same person|different people")
    assert browser.find("#canvas-target_image").get_attribute("data-faces") == "1"
    browser.screenshot("test-verification")


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
    assert browser.text("#subject-count .tile-value") == "3"
    assert browser.text("#face-count .tile-value") == str(len(ENROLLED) - 2)
    assert int(browser.text("#request-count .tile-value")) >= 65
    bars = [int(bar.get_attribute("data-value")) for bar in browser.find_all(".chart rect.bar")]
    assert len(bars) == 30 and bars[-3] >= 40 and bars[-10] >= 25, bars  # oldest first, today last
    assert max(bar.size["height"] for bar in browser.find_all(".chart rect.bar")) > 50
    browser.screenshot("dashboard")


def test_the_status_page_shows_every_part_ok(browser: Browser) -> None:
    browser.open("status")
    assert browser.wait_text("#overall-status", "OK|NOT READY") == "OK"
    states = {row.get_attribute("data-part"): row.text for row in browser.find_all("#status-table tbody tr")}
    assert {"admin", "database", "api", "core"} <= set(states) and all("OK" in text for text in states.values()), states
    browser.screenshot("status")


def test_change_the_password_and_sign_in_with_it(browser: Browser) -> None:
    browser.open("account")
    browser.fill("#password-form input[name=oldPassword]", PASSWORD)
    browser.fill("#password-form input[name=newPassword]", NEW_PASSWORD)
    browser.fill("#password-form input[name=repeatPassword]", NEW_PASSWORD)
    browser.screenshot("account")
    browser.click("#password-form button[type=submit]")
    browser.wait_text("#toasts", "Password changed")
    sign_out(browser)
    sign_in(browser, EMAIL, NEW_PASSWORD)
    browser.find("#create-app")
