"""Bad and unusual input through the gateway, on every image endpoint: each case gets its documented
status and CompreFace error code (never a 5xx), and a refused write leaves the collection as it was.

The images are made here from real LFW portraits (tests/hardening/images.py). A ``data:`` URL prefix
on base64 is refused with code 21, as CompreFace's strict base64 check does (compreface.md 1.0).
The admin's JSON bodies get the same care for the one thing PostgreSQL cannot store (a NUL character).
"""

from __future__ import annotations

import base64
import json
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace

import pytest
import requests

from runner.platform import LocalPlatform
from tests.admin.client import HttpClient
from tests.hardening import images
from tests.hardening.client import Api, error_of
from tests.hardening.figures import record

GOOD = images.person("Jacques_Chirac", 1)
PROBE = images.person("Jacques_Chirac", 2)


@dataclass(frozen=True)
class Endpoint:
    """An image endpoint; ``part`` is the image under test, ``others`` get a good portrait."""

    name: str
    service: str
    path: str
    part: str = "file"
    others: tuple[str, ...] = ()
    params: dict[str, str] = field(default_factory=dict)
    writes: bool = False


ENDPOINTS = [
    Endpoint("recognize", "recognition", "/api/v1/recognition/recognize"),
    Endpoint("detect", "detection", "/api/v1/detection/detect"),
    Endpoint("verify source", "verification", "/api/v1/verification/verify", "source_image", ("target_image",)),
    Endpoint("verify target", "verification", "/api/v1/verification/verify", "target_image", ("source_image",)),
    Endpoint("add face", "recognition", "/api/v1/recognition/faces", params={"subject": "Bad Input"}, writes=True),
    Endpoint("verify stored face", "recognition", "/api/v1/recognition/faces/{image_id}/verify"),
    Endpoint("verify subject", "recognition", "/api/v1/recognition/subjects/Stored/verify"),
    Endpoint("search", "recognition", "/api/v1/recognition/search"),
]


@dataclass(frozen=True)
class Case:
    """An image sent as ``encoding`` ("multipart": a part named ``filename``; "json": a base64 field, or
    ``text`` as it is; "none": no body at all), and the answer it must get (``code`` None: accepted)."""

    name: str
    status: int
    code: int | None
    message: str = ""
    image: Callable[[], bytes] = lambda: b""
    encoding: str = "multipart"
    filename: str = "face.jpg"
    text: str | None = None


CASES = [
    Case("no body at all", 400, 26, "is not supported", encoding="none"),
    Case("empty file", 400, 28, "Image is empty"),
    Case("empty base64 field", 400, 5, "cannot be empty", encoding="json", text=""),
    Case("text file named .jpg", 400, 28, "it is not a JPEG, PNG", images.text_file),
    Case("image with a .txt name", 400, 21, "unavailable extension", lambda: GOOD, filename="face.txt"),
    Case("truncated JPEG", 400, 28, "image file is truncated", images.truncated_jpeg),
    Case("corrupted PNG", 400, 28, "incorrect format or is broken", images.corrupted_png, filename="face.png"),
    Case("decompression bomb", 400, 28, "more than the limit of 50 megapixels", images.decompression_bomb,
         filename="bomb.png"),
    Case("30 MB upload", 413, 26, "larger than the gateway accepts", lambda: images.large_upload(30)),
    Case("6 MB image (over MAX_FILE_SIZE)", 413, 26, "larger than the limit of 5242880 bytes",
         lambda: images.large_upload(6)),
    Case("base64 that is not base64", 400, 21, "Provided value is not Base64", encoding="json",
         text="this is not base64!"),
    Case("data: URL prefix", 400, 21, "Provided value is not Base64", encoding="json",
         text="data:image/jpeg;base64," + base64.b64encode(GOOD).decode()),
    Case("1x1 pixel image", 400, 28, "No face is found", images.one_pixel_png, filename="dot.png"),
    Case("animated GIF", 200, None, image=images.animated_gif, filename="face.gif"),
    Case("16-bit PNG", 200, None, image=images.png_16_bit, filename="face.png"),
    Case("CMYK JPEG", 200, None, image=images.cmyk_jpeg),
    Case("grayscale JPEG", 200, None, image=images.grayscale_jpeg),
    Case("PNG with alpha", 200, None, image=images.alpha_png, filename="face.png"),
    Case("EXIF-rotated JPEG", 200, None, image=images.exif_rotated_jpeg),
    Case("base64 JSON portrait", 200, None, image=lambda: GOOD, encoding="json"),
]


@dataclass
class Tally:
    """What this module sent and saw, for docs/hardening.md."""

    requests: int = 0
    statuses: Counter = field(default_factory=Counter)
    codes: Counter = field(default_factory=Counter)
    refused_writes_checked: int = 0
    accepted_writes_checked: int = 0

    def count(self, response: requests.Response) -> None:
        self.requests += 1
        self.statuses[str(response.status_code)] += 1
        code = error_of(response)[1]
        if code is not None:
            self.codes[str(code)] += 1


@pytest.fixture(scope="module")
def api(platform: LocalPlatform, platform_keys: dict[str, str]) -> Api:
    return Api(platform.url, platform_keys)


@pytest.fixture(scope="module")
def direct(platform: LocalPlatform, platform_keys: dict[str, str]) -> Api:
    """The platform's api server itself, without the gateway."""
    return Api(f"http://{platform.processes['api-1'].address}", platform_keys)


@pytest.fixture(scope="module")
def stored_face(api: Api) -> str:
    """The image_id of a face enrolled for the "verify stored face" endpoint."""
    answer = api.call("POST", "/api/v1/recognition/faces", params={"subject": "Stored"}, files={"file": ("a.jpg", GOOD)})
    assert answer.status_code == 201, answer.text
    return answer.json()["image_id"]


@pytest.fixture(scope="module")
def tally() -> Iterator[Tally]:
    tally = Tally()
    yield tally
    record("bad_input", "through the gateway", requests=tally.requests, statuses=tally.statuses,
           error_codes=tally.codes, server_errors=sum(n for status, n in tally.statuses.items() if int(status) >= 500),
           refused_writes_checked=tally.refused_writes_checked,
           accepted_writes_checked=tally.accepted_writes_checked)


def _send(api: Api, endpoint: Endpoint, stored_face: str, case: Case, tally: Tally) -> requests.Response:
    path = endpoint.path.format(image_id=stored_face)
    kwargs: dict[str, object] = {"params": endpoint.params}
    if case.encoding == "multipart":
        files = {name: ("other.jpg", PROBE) for name in endpoint.others}
        kwargs["files"] = {**files, endpoint.part: (case.filename, case.image())}
    elif case.encoding == "json":
        value = case.text if case.text is not None else base64.b64encode(case.image()).decode()
        others = {name: base64.b64encode(PROBE).decode() for name in endpoint.others}
        kwargs["json"] = {**others, endpoint.part: value}
    response = api.call("POST", path, endpoint.service, **kwargs)
    tally.count(response)
    return response


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_every_image_endpoint_answers_as_documented(api: Api, stored_face: str, tally: Tally, case: Case) -> None:
    wrong = []
    for endpoint in ENDPOINTS:
        before = api.collection() if endpoint.writes else None
        response = _send(api, endpoint, stored_face, case, tally)
        status, code, message = error_of(response)
        expected_status = 201 if case.code is None and endpoint.writes else case.status
        if status != expected_status or code != case.code or case.message not in message:
            wrong.append(f"{endpoint.name}: {status} {code} {message!r}")
        elif endpoint.writes and case.code is not None:
            tally.refused_writes_checked += 1
            if api.collection() != before:
                wrong.append(f"{endpoint.name}: the refused write changed the collection")
        elif endpoint.writes:
            tally.accepted_writes_checked += 1
            after = api.collection()
            added = set(after.faces) - set(before.faces)
            if added != {(response.json()["image_id"], "Bad Input")} or len(after.faces) != len(before.faces) + 1:
                wrong.append(f"{endpoint.name}: accepted, but the collection changed by {added}")
            api.call("DELETE", f"/api/v1/recognition/faces/{response.json()['image_id']}")
        elif case.code is None and not _one_face(response.json()):
            wrong.append(f"{endpoint.name}: accepted without finding the one face: {response.text[:200]}")
    assert wrong == [], f"{case.name}: expected {case.status} {case.code} {case.message!r}, got\n" + "\n".join(wrong)


def _one_face(body: dict) -> bool:
    result = body["result"]
    if "face_matches" in result[0]:  # verification of two images
        return len(result) == 1 and len(result[0]["face_matches"]) == 1
    return len(result) == 1 and "box" in result[0]


def test_exif_orientation_is_applied(api: Api, tally: Tally) -> None:
    """The face of an EXIF-rotated photo is found where a viewer shows it, and matches the upright photo."""

    def box(image: bytes) -> dict[str, float]:
        response = api.call("POST", "/api/v1/detection/detect", "detection", files={"file": ("f.jpg", image)})
        tally.count(response)
        assert response.status_code == 200, response.text
        return response.json()["result"][0]["box"]

    upright, rotated = box(images.encoded(images.face_image(), "JPEG", quality=92)), box(images.exif_rotated_jpeg())
    for side in ("x_min", "y_min", "x_max", "y_max"):
        assert abs(upright[side] - rotated[side]) <= 3, (upright, rotated)
    sideways = box(images.sideways_jpeg())
    assert max(abs(upright[side] - sideways[side]) for side in upright if side != "probability") > 10
    response = api.call("POST", "/api/v1/verification/verify", "verification",
                        files={"source_image": ("a.jpg", GOOD), "target_image": ("b.jpg", images.exif_rotated_jpeg())})
    tally.count(response)
    assert response.json()["result"][0]["face_matches"][0]["similarity"] > 0.5, response.text


# Parameters: (endpoints that read the parameter, query, status, code); the image is a good portrait.
IMAGE_ENDPOINTS = ("recognize", "detect", "verify source", "verify stored face")
PARAMETER_CASES = [
    (IMAGE_ENDPOINTS, {"limit": str(10 ** 12)}, 400, 26),
    (IMAGE_ENDPOINTS, {"limit": "2147483647"}, 200, None),
    (IMAGE_ENDPOINTS, {"limit": "-1"}, 400, 26),
    (IMAGE_ENDPOINTS, {"limit": "three"}, 400, 26),
    (IMAGE_ENDPOINTS, {"limit": "1.5"}, 400, 26),
    (IMAGE_ENDPOINTS + ("add face",), {"det_prob_threshold": "-0.5"}, 400, 28),
    (IMAGE_ENDPOINTS + ("add face",), {"det_prob_threshold": "NaN"}, 400, 28),
    (IMAGE_ENDPOINTS + ("add face",), {"det_prob_threshold": "high"}, 400, 26),
    (IMAGE_ENDPOINTS, {"status": "maybe"}, 400, 26),
    (IMAGE_ENDPOINTS, {"face_plugins": "no_such_plugin,../../etc/passwd"}, 200, None),
    (("recognize",), {"prediction_count": "-5"}, 400, 26),
    (("recognize",), {"prediction_count": "many"}, 400, 26),
    (("recognize",), {"prediction_count": str(2 ** 40)}, 400, 26),
    (("recognize",), {"similarity_threshold": "2"}, 400, 26),
    (("recognize",), {"detect_faces": "perhaps"}, 400, 26),
]


@pytest.mark.parametrize(("names", "query", "status", "code"), PARAMETER_CASES,
                         ids=[",".join(f"{k}={v[:12]}" for k, v in case[1].items()) for case in PARAMETER_CASES])
def test_parameters(api: Api, stored_face: str, tally: Tally, names: tuple[str, ...], query: dict[str, str],
                    status: int, code: int | None) -> None:
    wrong = []
    for endpoint in (endpoint for endpoint in ENDPOINTS if endpoint.name in names):
        before = api.collection() if endpoint.writes else None
        portrait = Case("good portrait", status, code, image=lambda: GOOD)
        response = _send(api, replace(endpoint, params={**endpoint.params, **query}), stored_face, portrait, tally)
        if error_of(response)[:2] != (status, code):
            wrong.append(f"{endpoint.name}: {error_of(response)}")
        elif "no_such_plugin" in response.text:
            wrong.append(f"{endpoint.name}: the unknown plugin came back")
        if endpoint.writes:
            tally.refused_writes_checked += 1
            if api.collection() != before:
                wrong.append(f"{endpoint.name}: the refused write changed the collection")
    assert wrong == [], "\n".join(wrong)


PAGING_CASES = [({"page": str(10 ** 12)}, 400), ({"size": str(10 ** 12)}, 400), ({"page": "-1"}, 400),
                ({"size": "0"}, 400), ({"size": "ten"}, 400), ({"page": "2147483647", "size": "2147483647"}, 200)]


@pytest.mark.parametrize(("query", "status"), PAGING_CASES, ids=[str(case[0]) for case in PAGING_CASES])
def test_paging_parameters(api: Api, tally: Tally, query: dict[str, str], status: int) -> None:
    response = api.call("GET", "/api/v1/recognition/faces", params=query)
    tally.count(response)
    assert error_of(response)[:2] == (status, 26 if status == 400 else None), response.text
    if status == 200:
        assert response.json()["faces"] == [] and response.json()["page_size"] == 2147483647


# Subject names: (name, answer of POST /subjects, answer of POST /faces?subject=). CompreFace checks the
# name (1 to 50 characters, none of ; / \) on /subjects only; the database holds up to 255 characters.
SUBJECT_CASES = [
    ("a/b", (400, 36), (201, None)),
    ("a;b", (400, 36), (201, None)),
    ("a\\b", (400, 36), (201, None)),
    ("O'Brien \"the quote\"", (201, None), (201, None)),
    ("Zoë 山田 Ωμέγα 😀", (201, None), (201, None)),
    ("x" * 50, (201, None), (201, None)),
    ("y" * 51, (400, 26), (201, None)),
    ("z" * 256, (400, 26), (400, 26)),
    ("' OR '1'='1' --", (201, None), (201, None)),
    ("Robert'); DROP TABLE subjects;--", (400, 36), (201, None)),
    ("nul\x00character", (400, 26), (400, 26)),
    ("   ", (400, 26), (400, 26)),
]


def test_subject_names(api: Api, tally: Tally) -> None:
    """Each name is refused with its code or stored verbatim; refusals leave the collection unchanged;
    SQL-looking names are plain text (the tables are still there and hold exactly what was accepted);
    listing the faces of a name with a NUL character finds none."""
    accepted = set(api.collection().subjects)
    wrong = []
    for name, by_subjects, by_faces in SUBJECT_CASES:
        for kind, expected in (("subjects", by_subjects), ("faces", by_faces)):
            before = api.collection()
            if kind == "subjects":
                response = api.call("POST", "/api/v1/recognition/subjects", json={"subject": name})
            else:
                response = api.call("POST", "/api/v1/recognition/faces", params={"subject": name},
                                    files={"file": ("face.jpg", GOOD)})
            tally.count(response)
            if error_of(response)[:2] != expected:
                wrong.append(f"{kind} {name[:40]!r}: {error_of(response)}, expected {expected}")
            elif expected[1] is not None:
                tally.refused_writes_checked += 1
                if api.collection() != before:
                    wrong.append(f"{kind} {name[:40]!r}: the refused write changed the collection")
            else:
                tally.accepted_writes_checked += 1
                assert response.json()["subject"] == name
                accepted.add(name)
    assert wrong == [], "\n".join(wrong)
    assert set(api.collection().subjects) == accepted
    listed = api.call("GET", "/api/v1/recognition/faces", params={"subject": "nul\x00character"})
    tally.count(listed)
    assert (listed.status_code, listed.json()["faces"]) == (200, []), listed.text


# Ids: unknown (a well-formed UUID no face has), malformed, SQL-looking, NUL, long.
UNKNOWN_IDS = {"unknown uuid": str(uuid.UUID(int=0)), "junk": "junk", "sql": "' OR 1=1 --",
               "sql with ;": "1;DROP TABLE faces", "nul": "%00", "long": "x" * 300}
ID_CALLS = [  # (what, method, path, keyword arguments, answer)
    ("delete face", "DELETE", "/api/v1/recognition/faces/{id}", {}, (404, 44)),
    ("verify stored face", "POST", "/api/v1/recognition/faces/{id}/verify", {"files": {"file": ("p.jpg", PROBE)}},
     (404, 44)),
    ("verify embeddings against a face", "POST", "/api/v1/recognition/embeddings/faces/{id}/verify",
     {"json": {"embeddings": [[0.1] * 512]}}, (404, 44)),
    ("delete subject", "DELETE", "/api/v1/recognition/subjects/{id}", {}, (404, 42)),
    ("rename subject", "PUT", "/api/v1/recognition/subjects/{id}", {"json": {"subject": "New"}}, (404, 42)),
    ("face image (CompreFace: empty 200)", "GET", "/api/v1/recognition/faces/{id}/img", {}, (200, None)),
]


@pytest.mark.parametrize("image_id", UNKNOWN_IDS.values(), ids=UNKNOWN_IDS.keys())
def test_unknown_and_malformed_ids(api: Api, direct: Api, tally: Tally, image_id: str) -> None:
    if image_id == "%00":
        # nginx itself refuses a NUL in a path (400) before any api server sees it; the api server must too.
        assert api.call("DELETE", f"/api/v1/recognition/faces/{image_id}").status_code == 400
    server = direct if image_id == "%00" else api
    before = server.collection()
    wrong = []
    for what, method, path, kwargs, expected in ID_CALLS:
        response = server.call(method, path.format(id=image_id), **kwargs)
        tally.count(response)
        if error_of(response)[:2] != expected or (method == "GET" and response.content):
            wrong.append(f"{what}: {error_of(response)}, expected {expected}")
    several = server.call("POST", "/api/v1/recognition/faces/delete", json=[image_id])
    static = server.call("GET", f"/api/v1/static/{image_id}/images/{image_id}", None)
    for response in (several, static):
        tally.count(response)
    assert wrong == [], "\n".join(wrong)
    assert (several.status_code, several.json()) == (200, [])
    assert error_of(static)[:2] == ((404, 10) if image_id == UNKNOWN_IDS["unknown uuid"] else (400, 26))
    tally.refused_writes_checked += 1
    assert server.collection() == before


# The embedding endpoints: bodies that are not what they should be.
EMBEDDING_ENDPOINTS = [("recognition", "/api/v1/recognition/embeddings/recognize", "embeddings"),
                       ("recognition", "/api/v1/recognition/embeddings/faces/{image_id}/verify", "embeddings"),
                       ("verification", "/api/v1/verification/embeddings/verify", "targets")]
EMBEDDING_CASES = [
    ("empty object", None, 400, 5),
    ("empty list", [], 400, 5),
    ("not a list", "abc", 400, 26),
    ("strings", [["a"] * 512], 400, 26),
    ("ragged", [[0.1] * 512, [0.1] * 3], 400, 26),
    ("wrong length", [[0.1] * 511], 400, 26),
    ("NaN", [[float("nan")] * 512], 400, 26),
    ("beyond float32", [[1e39] * 512], 400, 26),
    ("zeros", [[0.0] * 512], 200, None),
]


@pytest.mark.parametrize(("name", "value", "status", "code"), EMBEDDING_CASES, ids=[c[0] for c in EMBEDDING_CASES])
def test_embedding_endpoints(api: Api, stored_face: str, tally: Tally, name: str, value: object, status: int,
                             code: int | None) -> None:
    wrong = []
    for service, path, field_name in EMBEDDING_ENDPOINTS:
        body = {} if value is None else {field_name: value}
        if service == "verification" and value is not None:
            body["source"] = [0.1] * 512
        # Sent as written (NaN included, which Python's JSON reader accepts).
        response = api.call("POST", path.format(image_id=stored_face), service, data=json.dumps(body),
                            headers={"Content-Type": "application/json"})
        tally.count(response)
        if error_of(response)[:2] != (status, code):
            wrong.append(f"{path}: {error_of(response)}")
    assert wrong == [], "\n".join(wrong)


def test_admin_text_with_a_nul_character(hardened: LocalPlatform) -> None:
    """PostgreSQL stores no NUL character: the admin refuses one anywhere in a JSON body (a sign-in's
    e-mail, a key nested in a sign-up's body) with code 26 before the database sees it."""
    browser = HttpClient(hardened.url)
    for path, fields in (("/sign-in", {"email": "nul\x00@example.org", "password": "x"}),
                         ("/sign-up", {"email": "nul@example.org", "password": "a long enough password",
                                       "extra": [{"key\x00": 1}]})):
        assert "NUL character" in browser.post(path, fields).error(400, 26)
