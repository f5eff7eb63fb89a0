"""The image(s) of an API request: a multipart part, a base64 JSON field, or an image URL.

CompreFace's rules for image inputs are kept to the code:

* ``multipart/form-data``: the part named ``file`` (or ``source_image``/``target_image``); a missing
  part is code 34; the lower-cased extension of its filename must be one of ``IMAGE_EXTENSIONS``,
  else code 21 (a part without a filename or without an extension too).
* ``application/json``: ``{"file": "<base64>"}``, checked strictly (a ``data:image/...;base64,``
  prefix, a non-string or any non-alphabet character is code 21, "Provided value is not Base64");
  a missing or empty field is code 5.
* An empty upload is returned as it is: it is an image problem, and the core answers it with
  code 28 like any other unreadable image.
* An image larger than the file size limit is HTTP 413 (``errors.too_large``).

The addition: an image URL, ``file_url`` (``<field>_url``) in the JSON body or as a query or form
parameter, downloaded by a ``UrlFetcher``. An uploaded image wins over a URL given with it.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import socket
import time
from collections.abc import Callable
from http import HTTPStatus
from pathlib import Path
from urllib.parse import urljoin, urlsplit, urlunsplit

import certifi
import diskcache
import flask
import urllib3
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import BadRequest

from common import errors
from common.errors import ApiError
from common.image_files import IMAGE_EXTENSIONS
from api.settings import ApiSettings

MAX_REDIRECTS = 5
URL_CACHE_SECONDS = 24 * 60 * 60
_REDIRECT_STATUSES = {301, 302, 303, 307, 308}
_CHUNK_SIZE = 64 * 1024

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
AddressPolicy = Callable[[IpAddress], bool]
"""Says whether an image URL may connect to an address."""


def request_image(request: flask.Request, field: str, fetcher: UrlFetcher, max_file_size: int) -> bytes:
    """The bytes of the image named ``field`` ("file", "source_image" or "target_image") in ``request``.

    Raises ``ApiError`` with CompreFace's code when the image is missing or malformed.
    """
    url_name = f"{field}_url"
    if request.mimetype == "multipart/form-data":
        upload = request.files.get(field)
        if upload is not None:
            return _read_upload(upload, max_file_size)
        if field in request.form:  # werkzeug files a part without a filename among the form fields
            raise _unavailable_extension("")
        url = request.values.get(url_name)
        if not url:
            raise errors.missing_part(field)
    elif request.mimetype == "application/json":
        body = _json_object(request)
        if body.get(field) not in (None, ""):
            return _decode_base64(body[field], max_file_size)
        url = body.get(url_name) or request.args.get(url_name)
        if not url:
            raise errors.empty_field(field)
    else:
        url = request.args.get(url_name)
        if not url:
            raise errors.validation(f"Content type {request.mimetype or '(none)'} is not supported; "
                                    "send multipart/form-data or application/json")
    if not isinstance(url, str):
        raise errors.validation(f"Field {url_name} must be a string")
    return fetcher.fetch(url, max_file_size)


def request_images(request: flask.Request, field: str, fetcher: UrlFetcher, max_file_size: int,
                   max_images: int) -> list[bytes]:
    """Every image named ``field``, in order: several multipart parts and ``<field>_url`` values, or
    JSON lists of base64 strings / URLs. One image is read exactly as ``request_image`` reads it."""
    url_name = f"{field}_url"
    if request.mimetype == "multipart/form-data":
        uploads = request.files.getlist(field)
        urls = [url for url in request.values.getlist(url_name) if url]
    elif request.mimetype == "application/json":
        body = _json_object(request)
        uploads, urls = _as_list(body.get(field)), _as_list(body.get(url_name))
    else:
        uploads, urls = [], []
    if len(uploads) + len(urls) <= 1:
        return [request_image(request, field, fetcher, max_file_size)]
    if len(uploads) + len(urls) > max_images:
        raise errors.validation(f"At most {max_images} {field} images in one request; ")
    if any(not isinstance(url, str) for url in urls):
        raise errors.validation(f"Field {url_name} must hold strings")
    read = _read_upload if request.mimetype == "multipart/form-data" else _decode_base64
    return [read(upload, max_file_size) for upload in uploads] + [fetcher.fetch(url, max_file_size) for url in urls]


def _as_list(value: object) -> list[object]:
    if value in (None, ""):
        return []
    return value if isinstance(value, list) else [value]


def _unavailable_extension(filename: str) -> ApiError:
    return errors.bad_file(f"File [{filename}] has an unavailable extension")


def _read_upload(upload: FileStorage, max_file_size: int) -> bytes:
    """The bytes of a multipart part, once its filename extension is checked."""
    filename = upload.filename or ""
    extension = filename.rpartition(".")[2].lower() if "." in filename else ""
    if extension not in IMAGE_EXTENSIONS:
        raise _unavailable_extension(filename)
    data = upload.stream.read(max_file_size + 1)
    if len(data) > max_file_size:
        raise errors.too_large(max_file_size)
    return data


def _json_object(request: flask.Request) -> dict[str, object]:
    """The JSON body, which must be an object."""
    try:
        body = request.get_json()
    except BadRequest:
        raise errors.validation("The request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise errors.validation("The request body must be a JSON object")
    return body


def _decode_base64(value: object, max_file_size: int) -> bytes:
    """Strict base64 (standard alphabet, padded, nothing else), as CompreFace checks it."""
    try:
        if not isinstance(value, str):
            raise ValueError("not a string")
        data = base64.b64decode(value, validate=True)
    except ValueError:  # binascii.Error included
        raise errors.bad_file("Provided value is not Base64") from None
    if len(data) > max_file_size:
        raise errors.too_large(max_file_size)
    return data


def is_public_address(address: IpAddress) -> bool:
    """Whether ``address`` is a public one: not private, loopback, link-local, multicast, reserved,
    unspecified or shared (100.64.0.0/10), also when written as an IPv4-mapped IPv6 address."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not any((address.is_private, address.is_loopback, address.is_link_local,
                                          address.is_multicast, address.is_reserved, address.is_unspecified))


def _any_address(address: IpAddress) -> bool:
    return True


def _download_error(message: str, status: int = HTTPStatus.BAD_REQUEST) -> ApiError:
    return ApiError(21, f"Image URL could not be downloaded: {message}", status)


class UrlFetcher:
    """Downloads image URLs safely, through a disk cache. Thread-safe: one per api process.

    Safety: only http and https. The host name is resolved once and every address it resolves to
    must pass the address policy (public addresses only, unless private ones are allowed); the
    connection then goes to those checked addresses themselves (the next one when one refuses),
    presenting the name in the Host header, the TLS SNI and the certificate check (urllib3 with
    ``server_hostname``/``assert_hostname``), so no second, different DNS answer (DNS rebinding)
    is ever used. Redirects are followed here, at most ``MAX_REDIRECTS``, each hop checked the same
    way. All hops together must finish within ``timeout_s``: every network wait is limited to the
    time left when its hop starts, and the body is abandoned at the first chunk read after the
    deadline (so a server that trickles and then stalls can stretch a fetch to at most twice
    ``timeout_s``). The body is read in chunks and abandoned as soon as it passes the size limit.

    Cache: when the answer has ``Content-MD5``, a cached body with that checksum is reused without
    reading the body, and a downloaded body must match it (it is then cached by checksum);
    otherwise the body is cached by URL for ``URL_CACHE_SECONDS``, and a cached URL is not
    requested at all. The cache evicts past ``cache_size_limit`` bytes.
    """

    def __init__(self, cache_dir: Path, cache_size_limit: int, timeout_s: float, allow_private: bool = False,
                 address_allowed: AddressPolicy = is_public_address) -> None:
        """``address_allowed`` decides which addresses URLs may reach; ``allow_private`` allows all."""
        self.cache = diskcache.Cache(str(cache_dir), size_limit=cache_size_limit)
        self.timeout_s = timeout_s
        self.address_allowed = _any_address if allow_private else address_allowed

    @classmethod
    def from_settings(cls, settings: ApiSettings) -> UrlFetcher:
        return cls(settings.url_cache_dir, settings.cache_size_limit_bytes, settings.image_url_timeout_s,
                   allow_private=settings.allow_private_image_urls)

    def close(self) -> None:
        self.cache.close()

    def fetch(self, url: str, max_size: int) -> bytes:
        """The body of ``url``, from the cache or downloaded; ``ApiError`` (code 21, or 413 when
        larger than ``max_size``) when it cannot be had."""
        cached = self.cache.get(f"url {url}")
        if cached is not None:
            return cached
        deadline = time.monotonic() + self.timeout_s
        response = self._open(url, deadline)
        try:
            md5 = response.headers.get("Content-MD5", "").strip()
            cached = self.cache.get(f"md5 {md5}") if md5 else None
            if cached is not None:
                return cached  # closing the response leaves the body unread
            data = self._read_body(response, max_size, deadline)
        finally:
            response.close()
        if not md5:
            self.cache.set(f"url {url}", data, expire=URL_CACHE_SECONDS)
        elif base64.b64encode(hashlib.md5(data).digest()).decode() == md5:
            self.cache.set(f"md5 {md5}", data)
        else:
            raise _download_error("the body does not match its Content-MD5 header")
        return data

    def _open(self, url: str, deadline: float) -> urllib3.BaseHTTPResponse:
        """The 2xx response of ``url`` after redirects, its body unread."""
        for _ in range(MAX_REDIRECTS + 1):
            response = self._request(url, deadline)
            location = response.headers.get("Location")
            if response.status in _REDIRECT_STATUSES and location:
                response.close()
                url = urljoin(url, location)
            elif 200 <= response.status < 300:
                return response
            else:
                response.close()
                raise _download_error(f"HTTP {response.status}")
        raise _download_error(f"more than {MAX_REDIRECTS} redirects")

    def _request(self, url: str, deadline: float) -> urllib3.BaseHTTPResponse:
        """One GET of ``url``, connected to a checked address of its host (the next one when the
        connection is refused)."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise _download_error(f"{url!r} is not an http or https URL")
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            raise _download_error(f"{url!r} has an invalid port") from None
        target = urlunsplit(("", "", parts.path or "/", parts.query, ""))
        headers = {"Host": parts.netloc.rpartition("@")[2], "Accept": "image/*", "User-Agent": "Likeness"}
        for address in self._checked_addresses(parts.hostname, port):
            pool = self._pool(parts.scheme, parts.hostname, address, port, deadline)
            try:
                return pool.urlopen("GET", target, headers=headers, redirect=False, retries=False,
                                    preload_content=False)
            except urllib3.exceptions.NewConnectionError:
                continue
            except urllib3.exceptions.HTTPError as error:
                raise self._network_error(error, parts.hostname) from None
        raise _download_error(f"could not connect to {parts.hostname}")

    def _checked_addresses(self, host: str, port: int) -> list[IpAddress]:
        """The addresses of ``host``, once every one of them passed the address policy."""
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            raise _download_error(f"the host name {host} could not be resolved") from None
        addresses = list(dict.fromkeys(ipaddress.ip_address(info[4][0]) for info in infos))
        for address in addresses:
            if not self.address_allowed(address):
                raise _download_error(
                    f"{host} is at {address}, a private, loopback, link-local or otherwise non-public address; "
                    "set ALLOW_PRIVATE_IMAGE_URLS=true to allow such URLs")
        return addresses

    def _pool(self, scheme: str, host: str, address: IpAddress, port: int,
              deadline: float) -> urllib3.HTTPConnectionPool:
        """A connection pool for ``address`` that presents itself as ``host`` (Host header, SNI,
        certificate check)."""
        time_left = self._time_left(deadline)
        options = {"port": port, "timeout": urllib3.Timeout(connect=time_left, read=time_left),
                   "maxsize": 1, "retries": False}
        if scheme == "https":
            return urllib3.HTTPSConnectionPool(str(address), server_hostname=host, assert_hostname=host,
                                               cert_reqs="CERT_REQUIRED", ca_certs=certifi.where(), **options)
        return urllib3.HTTPConnectionPool(str(address), **options)

    def _read_body(self, response: urllib3.BaseHTTPResponse, max_size: int, deadline: float) -> bytes:
        """The body, read in chunks within the size and time limits."""
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > max_size:
            raise self._too_large(max_size)
        chunks, size = [], 0
        try:
            while chunk := response.read1(_CHUNK_SIZE):
                size += len(chunk)
                if size > max_size:
                    raise self._too_large(max_size)
                self._time_left(deadline)
                chunks.append(chunk)
        except urllib3.exceptions.HTTPError as error:
            raise self._network_error(error) from None
        return b"".join(chunks)

    def _time_left(self, deadline: float) -> float:
        time_left = deadline - time.monotonic()
        if time_left <= 0:
            raise self._timed_out()
        return time_left

    def _timed_out(self) -> ApiError:
        return _download_error(f"no complete answer within {self.timeout_s:g} s")

    @staticmethod
    def _too_large(max_size: int) -> ApiError:
        return _download_error(f"the image is larger than the limit of {max_size} bytes",
                               HTTPStatus.REQUEST_ENTITY_TOO_LARGE)

    def _network_error(self, error: urllib3.exceptions.HTTPError, host: str = "the server") -> ApiError:
        if isinstance(error, urllib3.exceptions.TimeoutError):
            return self._timed_out()
        return _download_error(f"the connection to {host} failed ({type(error).__name__})")
