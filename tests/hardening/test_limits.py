"""Limits: request sizes at the gateway and at each server (each answered with a JSON error), the size
and time limits of image URL downloads as an api server applies them, and slow clients at the gateway.

Covered elsewhere: a multipart request over MAX_REQUEST_SIZE at an api server (tests/api/
test_rest_contract.py), an upload over MAX_FILE_SIZE and the 30 MB upload through the gateway on every
image endpoint (test_bad_input.py), the download limits of UrlFetcher itself and redirects to refused
addresses (tests/api/test_image_input.py).
"""

from __future__ import annotations

import base64
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from runner.platform import LocalPlatform
from tests.admin.client import HttpClient
from tests.api.test_image_input import ImageServer
from tests.hardening import images
from tests.hardening.client import Api, error_of
from tests.hardening.conftest import CLIENT_TIMEOUT_S
from tests.hardening.figures import record
from tests.support.api_process import ApiProcess
from tests.support.core_process import CoreProcess
from tests.support.database import create_services

MB = 1024 * 1024


@pytest.fixture(scope="module")
def limit_keys(hardened: LocalPlatform) -> dict[str, str]:
    return create_services(hardened.database_url, "Limits")


def _address(platform: LocalPlatform, name: str) -> str:
    return f"http://{platform.processes[name].address}"


def test_request_size_limits_answer_json_everywhere(hardened: LocalPlatform, limit_keys: dict[str, str]) -> None:
    big_json = {"file": base64.b64encode(b"\0" * 12 * MB).decode()}  # 16 MB of JSON
    answers = {
        "gateway, api route, 30 MB": Api(hardened.url, limit_keys).call(
            "POST", "/api/v1/detection/detect", "detection", files={"file": ("big.jpg", images.large_upload(30))}),
        "gateway, admin route, 30 MB": requests.post(f"{hardened.url}/admin/sign-in", data=b"{" + b" " * 30 * MB + b"}",
                                                     headers={"Content-Type": "application/json"}, timeout=60),
        "api server, 16 MB of base64 JSON": Api(_address(hardened, "api-1"), limit_keys).call(
            "POST", "/api/v1/detection/detect", "detection", json=big_json),
    }
    found = {name: error_of(response)[:2] for name, response in answers.items()}
    admin = HttpClient(_address(hardened, "admin")).post("/sign-in", {"email": "a@example.org", "password": "x" * 2 * MB})
    found["admin server, 2 MB of JSON"] = (admin.status, admin.body["code"])
    record("limits", "request sizes", **{name: f"{status} code {code}" for name, (status, code) in found.items()})
    assert found == {name: (413, 26) for name in found}


@pytest.fixture(scope="module")
def image_server() -> Iterator[ImageServer]:
    server = ImageServer()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def downloading_api(tmp_path_factory: pytest.TempPathFactory, hardened: LocalPlatform, core: CoreProcess,
                    limit_keys: dict[str, str]) -> Iterator[Api]:
    """An api server that may download from this machine (the test's image server is on 127.0.0.1),
    with a 1 s download time limit and a 1 MB image limit."""
    server = ApiProcess(tmp_path_factory.mktemp("downloads") / "api.log", hardened.database_url, core.address,
                        allow_private_image_urls=True, image_url_timeout_s=1, max_file_size=1_000_000).wait_ready()
    yield Api(server.base, limit_keys)
    server.stop()


DOWNLOADS = [  # (image server path, status, code, message)
    ("/image", 400, 28, "No face is found"),  # downloaded and decoded: CompreFace's sample 017_0.jpg has no face
    ("/endless", 413, 21, "larger than the limit of 1000000 bytes"),
    ("/declared-big", 413, 21, "larger than the limit of 1000000 bytes"),
    ("/slow", 400, 21, "no complete answer within 1 s"),
    ("/drip", 400, 21, "no complete answer within 1 s"),
    ("/redirect/6", 400, 21, "more than 5 redirects"),
]


@pytest.mark.parametrize(("path", "status", "code", "message"), DOWNLOADS, ids=[row[0] for row in DOWNLOADS])
def test_image_url_download_limits(downloading_api: Api, image_server: ImageServer, path: str, status: int,
                                   code: int | None, message: str) -> None:
    started = time.monotonic()
    response = downloading_api.call("POST", "/api/v1/detection/detect", "detection",
                                    json={"file_url": f"{image_server.base}{path}?{time.monotonic()}"})
    seconds = time.monotonic() - started
    record("limits", f"image URL {path}", answer=f"{response.status_code} code {error_of(response)[1]}",
           seconds=round(seconds, 2))
    assert error_of(response)[:2] == (status, code) and message in error_of(response)[2], response.text
    assert seconds < 3, "a download must end within its time limit (and the body's next chunk)"


def test_image_urls_naming_this_machine_are_refused_by_default(hardened: LocalPlatform, limit_keys: dict[str, str],
                                                               image_server: ImageServer) -> None:
    for host in ("localhost", "127.0.0.1", "[::1]"):
        path = f"/image?refused-{host}"
        response = Api(hardened.url, limit_keys).call("POST", "/api/v1/detection/detect", "detection",
                                                json={"file_url": f"http://{host}:{image_server.server_port}{path}"})
        assert error_of(response)[:2] == (400, 21) and "non-public address" in error_of(response)[2], response.text
        assert image_server.requests[path] == 0


def _slow_client(port: int, complete_headers: bool) -> float:
    """Sends the start of a request and then nothing; the seconds until the gateway hangs up."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=CLIENT_TIMEOUT_S + 10) as connection:
        head = ("POST /api/v1/detection/detect HTTP/1.1\r\nHost: gateway\r\nContent-Type: multipart/form-data; "
                "boundary=b\r\nContent-Length: 100000\r\n")
        connection.sendall((head + "\r\n--b\r\n" if complete_headers else head).encode())
        try:
            while connection.recv(4096):
                pass
        except OSError:
            pass
    return time.monotonic() - started


def test_slow_clients_time_out_at_the_gateway_and_others_are_served(hardened: LocalPlatform,
                                                                    limit_keys: dict[str, str]) -> None:
    """60 clients that stop half-way (30 in their headers, 30 in their bodies): the gateway holds them
    without an api server's thread, hangs up on each after its client time-out, and answers others."""
    port = hardened.options.port
    api = Api(hardened.url, limit_keys)
    with ThreadPoolExecutor(60) as pool:
        slow = [pool.submit(_slow_client, port, index % 2 == 0) for index in range(60)]
        time.sleep(0.5)
        served = []
        while not all(future.done() for future in slow):
            started = time.monotonic()
            response = api.call("POST", "/api/v1/detection/detect", "detection",
                                files={"file": ("f.jpg", images.person())})
            assert response.status_code == 200, response.text
            served.append(time.monotonic() - started)
        hung_up = [future.result() for future in slow]
    record("limits", "slow clients", slow_clients=len(hung_up), client_timeout_s=CLIENT_TIMEOUT_S,
           latest_hang_up_s=round(max(hung_up), 2), earliest_hang_up_s=round(min(hung_up), 2),
           requests_served_meanwhile=len(served), slowest_served_s=round(max(served), 2))
    assert all(CLIENT_TIMEOUT_S - 0.5 < seconds < CLIENT_TIMEOUT_S + 3 for seconds in hung_up), hung_up
    assert len(served) >= 5 and max(served) < 2
