"""The client of the core (embedding) servers: one gRPC channel over all of them (api calls them,
admin checks that they serve).

``PYTHON_URL`` names the servers in one of two forms:

- one ``host:port`` whose host is a DNS name: the target is ``dns:///host:port`` and gRPC resolves
  it to every address the name has (``docker compose up --scale core=3``), again when
  connections fail;
- a comma-separated list of ``host:port`` (or a single IP ``host:port``): each host is resolved
  here, once, and the target is gRPC's static address list ``ipv4:a:p,b:p`` (``ipv6:[a]:p,...``
  when an address is IPv6; IPv4 ones are then written IPv4-mapped).

The channel balances calls with ``round_robin`` and checks the servers' ``grpc.health.v1``
status itself (``healthCheckConfig``), so a server that is down, still loading its models or
shutting down is skipped. A call that fails with UNAVAILABLE (say, its server was killed while
it ran) is retried on another server, up to 4 attempts with a short backoff.

Time limits: a connection attempt is given ``connect_timeout_s``. Calls do not wait for a
server to become ready (``wait_for_ready=False``): while at least one server is connected
they go to the connected ones, and when every server is failing they fail at once with
UNAVAILABLE; when no connection has been tried yet, a call waits for the first attempts, so at
most about ``connect_timeout_s``. The deadline of a whole call is
``connect_timeout_s + read_timeout_s``.

gRPC failures become :class:`~common.errors.ApiError`: INVALID_ARGUMENT (the core could not use the
image) is CompreFace's code 28 with the core's own message; every other failure is code 41
(HTTP 503) with a message that names the servers and what happened.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import socket
import threading
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from common.errors import ApiError, core_unavailable, no_face
from common.logs import REQUEST_ID_METADATA, current_request_id
from proto import core_pb2, core_pb2_grpc

log = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 64 << 20
_Response = TypeVar("_Response")
CallObserver = Callable[[str, str, float], None]  # (gRPC method, status code name, seconds) of each call

_SERVICE_CONFIG = json.dumps({
    "loadBalancingConfig": [{"round_robin": {}}],
    "healthCheckConfig": {"serviceName": ""},
    "methodConfig": [{
        "name": [{"service": "likeness.core.v1.FaceService"}, {"service": "grpc.health.v1.Health"}],
        "retryPolicy": {
            "maxAttempts": 4,
            "initialBackoff": "0.05s",
            "maxBackoff": "0.5s",
            "backoffMultiplier": 2,
            "retryableStatusCodes": ["UNAVAILABLE"],
        },
    }],
})


def grpc_target(python_url: str) -> str:
    """The gRPC target for ``PYTHON_URL``; raises ValueError when it is malformed or a host is unknown."""
    entries = [entry.strip() for entry in python_url.split(",") if entry.strip()]
    if not entries:
        raise ValueError("PYTHON_URL names no core server")
    hosts = [_split_host_port(entry) for entry in entries]
    if len(hosts) == 1 and not _is_ip(hosts[0][0]):
        return f"dns:///{entries[0]}"
    addresses = list(dict.fromkeys(address for host, port in hosts for address in _resolve(host, port)))
    if all(isinstance(ip, ipaddress.IPv4Address) for ip, _ in addresses):
        return "ipv4:" + ",".join(f"{ip}:{port}" for ip, port in addresses)
    return "ipv6:" + ",".join(f"[{_as_ipv6(ip)}]:{port}" for ip, port in addresses)


def _split_host_port(entry: str) -> tuple[str, int]:
    host, colon, port = entry.rpartition(":")
    if not colon or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"PYTHON_URL: {entry!r} is not host:port")
    return host.removeprefix("[").removesuffix("]"), int(port)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _resolve(host: str, port: int) -> list[tuple[ipaddress.IPv4Address | ipaddress.IPv6Address, int]]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise ValueError(f"PYTHON_URL: cannot resolve {host!r}: {error}") from error
    return [(ipaddress.ip_address(info[4][0]), port) for info in infos]


def _as_ipv6(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> ipaddress.IPv6Address:
    return ip if isinstance(ip, ipaddress.IPv6Address) else ipaddress.IPv6Address(f"::ffff:{ip}")


class CoreClient:
    """Calls the core servers named by ``PYTHON_URL``; one per api process, safe to share between threads.
    ``observe`` is told the method, status code and time of every call (the api's metrics)."""

    def __init__(self, python_url: str, connect_timeout_s: float, read_timeout_s: float,
                 status_cache_s: float = 30.0, observe: CallObserver | None = None) -> None:
        self.python_url = python_url
        self._observe = observe
        self.target = grpc_target(python_url)
        self._call_timeout_s = connect_timeout_s + read_timeout_s
        connect_ms = max(1, round(connect_timeout_s * 1000))
        self._channel = grpc.insecure_channel(self.target, options=[
            ("grpc.service_config", _SERVICE_CONFIG),
            ("grpc.enable_retries", 1),
            ("grpc.per_rpc_retry_buffer_size", MAX_MESSAGE_BYTES),  # images above 256 KiB stay retryable
            ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ("grpc.min_reconnect_backoff_ms", connect_ms),  # gRPC's name for the connection attempt's time limit
            ("grpc.initial_reconnect_backoff_ms", min(connect_ms, 1000)),
            ("grpc.max_reconnect_backoff_ms", max(connect_ms, 5000)),
            ("grpc.keepalive_time_ms", 60_000),
            ("grpc.keepalive_timeout_ms", 20_000),
        ])
        self._faces = core_pb2_grpc.FaceServiceStub(self._channel)
        self._health = health_pb2_grpc.HealthStub(self._channel)
        self._status_cache_s = status_cache_s
        self._status_lock = threading.Lock()
        self._status: core_pb2.StatusResponse | None = None
        self._status_expires = 0.0

    def process_image(
        self,
        image: bytes,
        *,
        det_prob_threshold: float | None = None,
        limit: int = 0,
        face_plugins: Sequence[str] = (),
        whole_image_is_face: bool = False,
        with_timings: bool = False,
    ) -> core_pb2.ProcessImageResponse:
        """Faces of ``image``; raises ApiError 28 for an image the core cannot use, 41 when no core answers."""
        request = core_pb2.ProcessImageRequest(
            image=image, det_prob_threshold=det_prob_threshold, limit=limit, face_plugins=face_plugins,
            whole_image_is_face=whole_image_is_face, with_timings=with_timings,
        )
        return self._call("ProcessImage", self._faces.ProcessImage, request)

    def status(self) -> core_pb2.StatusResponse:
        """The model pack's status (models, embedding size, similarity coefficients), cached ``status_cache_s``."""
        with self._status_lock:
            if self._status is None or time.monotonic() >= self._status_expires:
                self._status = self._call("GetStatus", self._faces.GetStatus, core_pb2.StatusRequest())
                self._status_expires = time.monotonic() + self._status_cache_s
            return self._status

    def ready(self, timeout_s: float = 2.0) -> bool:
        """Whether some core server answers SERVING on grpc.health.v1 within ``timeout_s``."""
        try:
            answer = self._health.Check(health_pb2.HealthCheckRequest(service=""), timeout=timeout_s)
        except grpc.RpcError:
            return False
        return answer.status == health_pb2.HealthCheckResponse.SERVING

    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> CoreClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _call(self, name: str, method: Callable[..., _Response], request: object) -> _Response:
        """``method(request)`` with the current request's id as metadata, timed as ``name``."""
        request_id = current_request_id()
        metadata = ((REQUEST_ID_METADATA, request_id),) if request_id else None
        started = time.perf_counter()
        code = grpc.StatusCode.OK
        try:
            return method(request, timeout=self._call_timeout_s, wait_for_ready=False, metadata=metadata)
        except grpc.RpcError as error:
            code = error.code()
            raise self._api_error(error) from error
        finally:
            if self._observe is not None:
                self._observe(name, code.name, time.perf_counter() - started)

    def _api_error(self, error: grpc.RpcError) -> ApiError:
        code: grpc.StatusCode = error.code()
        details = error.details() or ""
        if code == grpc.StatusCode.INVALID_ARGUMENT:
            return no_face(details) if details else no_face()
        servers = f"core servers {self.python_url}"
        if code == grpc.StatusCode.UNAVAILABLE:
            detail = f"{servers} unavailable: {details}"
        elif code == grpc.StatusCode.DEADLINE_EXCEEDED:
            detail = f"no answer from {servers} within {self._call_timeout_s:g} s"
        elif code == grpc.StatusCode.RESOURCE_EXHAUSTED:
            detail = f"{servers} busy: {details}"
        else:
            detail = f"{servers} failed with {code.name}: {details}"
        log.warning("Core call failed: %s", detail)
        return core_unavailable(detail)
