"""api.image_input: images from multipart parts, base64 JSON and URLs (a real Flask app, a real HTTP server)."""

from __future__ import annotations

import base64
import hashlib
import io
import ipaddress
import select
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import flask
import pytest

from common.errors import ApiError
from api.image_input import URL_CACHE_SECONDS, UrlFetcher, is_public_address, request_image
from tests.support.paths import DATA_DIR

IMAGE = (DATA_DIR / "compreface-samples" / "017_0.jpg").read_bytes()
OTHER_IMAGE = (DATA_DIR / "compreface-samples" / "009_C.jpg").read_bytes()
IMAGE_MD5 = base64.b64encode(hashlib.md5(IMAGE).digest()).decode()
MAX_FILE_SIZE = 1_000_000


class ImageServer(ThreadingHTTPServer):
    """Serves test routes on 127.0.0.1; counts requests and delivered bodies by path."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.requests: Counter[str] = Counter()
        self.bodies: Counter[str] = Counter()
        self.hosts: dict[str, str] = {}

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_port}"


class Handler(BaseHTTPRequestHandler):
    """Routes: /image, /md5/<name> (Content-MD5 of IMAGE; /md5/other* sends OTHER_IMAGE), /bad-md5,
    /redirect/<n> (n hops to /image), /to?<url>, /endless, /declared-big, /slow, /drip, anything else 404."""

    server: ImageServer

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.server.requests[self.path] += 1
        self.server.hosts[self.path] = self.headers["Host"]
        path, _, query = self.path.partition("?")
        if path == "/image":
            self._answer(IMAGE)
        elif path.startswith("/md5/"):
            self._answer_unless_hung_up(OTHER_IMAGE if path.startswith("/md5/other") else IMAGE, IMAGE_MD5)
        elif path == "/bad-md5":
            self._answer(OTHER_IMAGE, {"Content-MD5": IMAGE_MD5})
        elif path.startswith("/redirect/"):
            hops = int(path.rpartition("/")[2])
            self._redirect(f"/redirect/{hops - 1}" if hops > 1 else "/image")
        elif path == "/to":
            self._redirect(query)
        elif path == "/endless":
            self._stream(b"\0" * 65536, pause=0)
        elif path == "/declared-big":
            self._answer(IMAGE, {"Content-Length": str(10 * MAX_FILE_SIZE)})
        elif path == "/slow":
            time.sleep(3)
            self._answer(IMAGE)
        elif path == "/drip":
            self._stream(b"\0", pause=0.05, limit=3)
        else:
            self.send_error(404)

    def _answer(self, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(200)
        for name, value in ({"Content-Type": "image/jpeg", "Content-Length": str(len(body))} | (headers or {})).items():
            self.send_header(name, value)
        self.end_headers()
        try:
            self.wfile.write(body)
        except OSError:  # the client hung up (/slow, /declared-big)
            return
        self.server.bodies[self.path] += 1

    def _answer_unless_hung_up(self, body: bytes, md5: str) -> None:
        """Headers first; the body only if the client is still there 0.5 s later."""
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Content-MD5", md5)
        self.end_headers()
        self.wfile.flush()
        readable, _, _ = select.select([self.connection], [], [], 0.5)
        try:
            if readable and self.connection.recv(1, socket.MSG_PEEK) == b"":
                return
        except OSError:
            return
        self.wfile.write(body)
        self.server.bodies[self.path] += 1

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.end_headers()

    def _stream(self, chunk: bytes, pause: float, limit: float = 10) -> None:
        """A body without Content-Length, sent until the client hangs up or ``limit`` seconds pass."""
        self.send_response(200)
        self.end_headers()
        started = time.monotonic()
        try:
            while time.monotonic() - started < limit:
                self.wfile.write(chunk)
                self.wfile.flush()
                time.sleep(pause)
        except OSError:
            pass


@pytest.fixture(scope="module")
def server() -> Iterator[ImageServer]:
    server = ImageServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def fetcher(tmp_path: Path) -> Iterator[UrlFetcher]:
    """Loopback is private: tests that download allow private addresses."""
    fetcher = UrlFetcher(tmp_path / "url-cache", 10_000_000, timeout_s=2, allow_private=True)
    yield fetcher
    fetcher.close()


@pytest.fixture
def client(fetcher: UrlFetcher) -> flask.testing.FlaskClient:
    """A tiny app whose /image/<field> answers the bytes of request_image, or the ApiError as JSON."""
    app = flask.Flask(__name__)
    app.config["MAX_FILE_SIZE"] = MAX_FILE_SIZE

    @app.post("/image/<field>")
    def image(field: str) -> flask.Response:
        data = request_image(flask.request, field, fetcher, app.config["MAX_FILE_SIZE"])
        return flask.Response(data, mimetype="application/octet-stream")

    @app.errorhandler(ApiError)
    def api_error(error: ApiError) -> tuple[flask.Response, int]:
        return flask.jsonify(error.body()), error.status

    return app.test_client()


def error_of(response: flask.Response) -> tuple[int, int, str]:
    return response.status_code, response.json["code"], response.json["message"]


def fetch_error(fetcher: UrlFetcher, url: str, max_size: int = MAX_FILE_SIZE) -> ApiError:
    with pytest.raises(ApiError) as raised:
        fetcher.fetch(url, max_size)
    return raised.value


# --- multipart ---------------------------------------------------------------------------------

@pytest.mark.parametrize("filename", ["face.jpg", "IMG.JPG", "scan.Tiff", "a.b.webp"])
def test_multipart_part_is_returned(client: flask.testing.FlaskClient, filename: str) -> None:
    response = client.post("/image/file", data={"file": (io.BytesIO(IMAGE), filename)})
    assert response.status_code == 200
    assert response.data == IMAGE


def test_multipart_named_parts(client: flask.testing.FlaskClient) -> None:
    data = {"source_image": (io.BytesIO(IMAGE), "s.png"), "target_image": (io.BytesIO(OTHER_IMAGE), "t.png")}
    assert client.post("/image/target_image", data=data).data == OTHER_IMAGE


def test_multipart_empty_file_is_left_to_the_core(client: flask.testing.FlaskClient) -> None:
    response = client.post("/image/file", data={"file": (io.BytesIO(b""), "empty.jpg")})
    assert (response.status_code, response.data) == (200, b"")


@pytest.mark.parametrize("field", ["file", "source_image"])
def test_multipart_missing_part(client: flask.testing.FlaskClient, field: str) -> None:
    response = client.post(f"/image/{field}", data={"other": (io.BytesIO(IMAGE), "a.jpg")})
    assert error_of(response) == (400, 34, f"Required part {field} is missing")


@pytest.mark.parametrize("filename", ["notes.txt", "image", "jpg", ""])
def test_multipart_unavailable_extension(client: flask.testing.FlaskClient, filename: str) -> None:
    response = client.post("/image/file", data={"file": (io.BytesIO(IMAGE), filename)})
    assert error_of(response) == (400, 21, f"File [{filename}] has an unavailable extension")


def test_multipart_part_without_filename(client: flask.testing.FlaskClient) -> None:
    response = client.post("/image/file", data={"file": "not a file"}, content_type="multipart/form-data")
    assert error_of(response)[:2] == (400, 21)


def test_multipart_part_too_large(client: flask.testing.FlaskClient) -> None:
    client.application.config["MAX_FILE_SIZE"] = len(IMAGE) - 1
    response = client.post("/image/file", data={"file": (io.BytesIO(IMAGE), "face.jpg")})
    assert error_of(response)[:2] == (413, 26)


# --- base64 JSON -------------------------------------------------------------------------------

def test_base64_is_decoded(client: flask.testing.FlaskClient) -> None:
    response = client.post("/image/file", json={"file": base64.b64encode(IMAGE).decode()})
    assert (response.status_code, response.data) == (200, IMAGE)


@pytest.mark.parametrize("value", [
    "data:image/jpeg;base64," + base64.b64encode(IMAGE).decode(),
    "not base64!",
    base64.b64encode(IMAGE).decode()[:-1],  # bad padding
    base64.urlsafe_b64encode(b"\xfb\xff" * 30).decode(),
    "äöü",
    123,
    ["abcd"],
])
def test_base64_invalid(client: flask.testing.FlaskClient, value: object) -> None:
    response = client.post("/image/file", json={"file": value})
    assert error_of(response) == (400, 21, "Provided value is not Base64")


@pytest.mark.parametrize("body", [{}, {"file": ""}, {"file": None}, {"source_image": "abcd"}])
def test_base64_missing_field(client: flask.testing.FlaskClient, body: dict[str, object]) -> None:
    assert error_of(client.post("/image/file", json=body)) == (400, 5, "Field file cannot be empty")


def test_base64_too_large(client: flask.testing.FlaskClient) -> None:
    client.application.config["MAX_FILE_SIZE"] = len(IMAGE) - 1
    response = client.post("/image/file", json={"file": base64.b64encode(IMAGE).decode()})
    assert error_of(response)[:2] == (413, 26)


@pytest.mark.parametrize(("body", "message"), [
    ("{", "The request body is not valid JSON"),
    ('["abcd"]', "The request body must be a JSON object"),
    ("null", "The request body must be a JSON object"),
])
def test_bad_json_body(client: flask.testing.FlaskClient, body: str, message: str) -> None:
    response = client.post("/image/file", data=body, content_type="application/json")
    assert error_of(response) == (400, 26, message)


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_unsupported_content_type(client: flask.testing.FlaskClient, content_type: str | None) -> None:
    code, number, message = error_of(client.post("/image/file", data=b"file=abc", content_type=content_type))
    assert (code, number) == (400, 26)
    assert "is not supported; send multipart/form-data or application/json" in message


# --- image URLs through request_image ------------------------------------------------------------

@pytest.mark.parametrize("how", ["json", "query with json", "form field", "query without body"])
def test_image_url_in_request(client: flask.testing.FlaskClient, server: ImageServer, how: str) -> None:
    url = f"{server.base}/image"
    response = {
        "json": lambda: client.post("/image/file", json={"file_url": url}),
        "query with json": lambda: client.post("/image/file", json={}, query_string={"file_url": url}),
        "form field": lambda: client.post("/image/file", data={"file_url": url}, content_type="multipart/form-data"),
        "query without body": lambda: client.post("/image/file", query_string={"file_url": url}),
    }[how]()
    assert (response.status_code, response.data) == (200, IMAGE)


def test_image_url_must_be_a_string(client: flask.testing.FlaskClient) -> None:
    assert error_of(client.post("/image/file", json={"file_url": 5})) == (400, 26, "Field file_url must be a string")


# --- UrlFetcher: downloads and cache -------------------------------------------------------------

def test_download_and_redirects(fetcher: UrlFetcher, server: ImageServer) -> None:
    assert fetcher.fetch(f"{server.base}/redirect/5", MAX_FILE_SIZE) == IMAGE
    error = fetch_error(fetcher, f"{server.base}/redirect/6")
    assert (error.code, error.message) == (21, "Image URL could not be downloaded: more than 5 redirects")


def test_connects_to_the_checked_address_with_the_host_name(fetcher: UrlFetcher, server: ImageServer) -> None:
    assert fetcher.fetch(f"http://localhost:{server.server_port}/image?name", MAX_FILE_SIZE) == IMAGE
    assert server.hosts["/image?name"] == f"localhost:{server.server_port}"


def test_url_without_md5_is_cached_for_a_day(fetcher: UrlFetcher, server: ImageServer) -> None:
    url = f"{server.base}/image?day"
    assert fetcher.fetch(url, MAX_FILE_SIZE) == IMAGE
    assert fetcher.fetch(url, MAX_FILE_SIZE) == IMAGE
    assert server.requests["/image?day"] == 1
    _, expires = fetcher.cache.get(f"url {url}", expire_time=True)
    assert expires == pytest.approx(time.time() + URL_CACHE_SECONDS, abs=60)


def test_cache_by_content_md5_skips_the_body(fetcher: UrlFetcher, server: ImageServer) -> None:
    assert fetcher.fetch(f"{server.base}/md5/first", MAX_FILE_SIZE) == IMAGE
    # Another URL with the same Content-MD5 (its body differs, to show it is not used): no body is read.
    assert fetcher.fetch(f"{server.base}/md5/other", MAX_FILE_SIZE) == IMAGE
    assert server.requests["/md5/other"] == 1
    assert (server.bodies["/md5/first"], server.bodies["/md5/other"]) == (1, 0)
    # Entries keyed by checksum are not cached by URL: the URL is asked again.
    fetcher.fetch(f"{server.base}/md5/first", MAX_FILE_SIZE)
    assert (server.requests["/md5/first"], server.bodies["/md5/first"]) == (2, 1)


def test_content_md5_mismatch_is_refused(fetcher: UrlFetcher, server: ImageServer) -> None:
    error = fetch_error(fetcher, f"{server.base}/bad-md5")
    assert (error.code, error.message) == (21, "Image URL could not be downloaded: the body does not match its "
                                               "Content-MD5 header")
    assert fetcher.fetch(f"{server.base}/md5/after-mismatch", MAX_FILE_SIZE) == IMAGE  # nothing was cached


@pytest.mark.parametrize("path", ["/endless", "/declared-big"])
def test_oversized_download_is_stopped(fetcher: UrlFetcher, server: ImageServer, path: str) -> None:
    started = time.monotonic()
    error = fetch_error(fetcher, server.base + path, max_size=100_000)
    assert (error.status, error.code) == (413, 21)
    assert "larger than the limit of 100000 bytes" in error.message
    assert time.monotonic() - started < 2


@pytest.mark.parametrize("path", ["/slow", "/drip"])
def test_timeout(tmp_path: Path, server: ImageServer, path: str) -> None:
    fetcher = UrlFetcher(tmp_path, 10_000_000, timeout_s=0.5, allow_private=True)
    started = time.monotonic()
    error = fetch_error(fetcher, server.base + path)
    assert (error.code, error.message) == (21, "Image URL could not be downloaded: no complete answer within 0.5 s")
    assert time.monotonic() - started < 2


@pytest.mark.parametrize(("url", "message"), [
    ("{base}/missing", "HTTP 404"),
    ("ftp://127.0.0.1/a.jpg", "'ftp://127.0.0.1/a.jpg' is not an http or https URL"),
    ("file:///etc/passwd", "'file:///etc/passwd' is not an http or https URL"),
    ("http://127.0.0.1:99999/", "'http://127.0.0.1:99999/' has an invalid port"),
    ("http://127.0.0.1:1/", "could not connect to 127.0.0.1"),
    ("https://127.0.0.1:{port}/image", "the connection to 127.0.0.1 failed (SSLError)"),  # a plain HTTP server
])
def test_download_errors(fetcher: UrlFetcher, server: ImageServer, url: str, message: str) -> None:
    error = fetch_error(fetcher, url.format(base=server.base, port=server.server_port))
    assert (error.status, error.code, error.message) == (400, 21, f"Image URL could not be downloaded: {message}")


# --- UrlFetcher: address policy ------------------------------------------------------------------

@pytest.mark.parametrize(("address", "public"), [
    ("8.8.8.8", True), ("2001:4860:4860::8888", True),
    ("127.0.0.1", False), ("10.0.0.1", False), ("192.168.1.1", False), ("169.254.169.254", False),
    ("100.64.0.1", False), ("0.0.0.0", False), ("224.0.0.1", False), ("240.0.0.1", False),
    ("::1", False), ("::", False), ("fe80::1", False), ("fc00::1", False), ("ff02::1", False),
    ("::ffff:127.0.0.1", False), ("::ffff:10.0.0.1", False),
])
def test_is_public_address(address: str, public: bool) -> None:
    assert is_public_address(ipaddress.ip_address(address)) is public


@pytest.mark.parametrize("host", ["127.0.0.1", "10.0.0.1", "169.254.169.254", "[::1]", "[::ffff:127.0.0.1]",
                                  "localhost", "2130706433"])
def test_private_addresses_are_refused(tmp_path: Path, server: ImageServer, host: str) -> None:
    fetcher = UrlFetcher(tmp_path, 10_000_000, timeout_s=2)
    error = fetch_error(fetcher, f"http://{host}:{server.server_port}/image?{host}")
    assert error.code == 21
    assert "non-public address; set ALLOW_PRIVATE_IMAGE_URLS=true" in error.message
    assert server.requests[f"/image?{host}"] == 0


def test_redirect_to_a_refused_address(tmp_path: Path, server: ImageServer) -> None:
    """With 127.0.0.1 treated as public and 127.0.0.2 not, a redirect to 127.0.0.2 is refused."""
    fetcher = UrlFetcher(tmp_path, 10_000_000, timeout_s=2,
                         address_allowed=lambda address: address == ipaddress.ip_address("127.0.0.1"))
    assert fetcher.fetch(f"{server.base}/image?policy", MAX_FILE_SIZE) == IMAGE
    error = fetch_error(fetcher, f"{server.base}/to?http://127.0.0.2:{server.server_port}/image")
    assert "127.0.0.2 is at 127.0.0.2, a private" in error.message
