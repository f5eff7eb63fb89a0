"""The embedding server's metrics (served over HTTP on METRICS_PORT) and :class:`CallObserver`, the
gRPC interceptor that measures and logs every call under the request id the api server sent."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import grpc
from prometheus_client import Counter, Histogram

from common.logs import REQUEST_ID_METADATA, bind_request_id, release_request_id, usable_request_id
from common.metrics import LATENCY_BUCKETS
from proto import core_pb2

log = logging.getLogger("core.calls")

GRPC_REQUESTS = Counter("likeness_core_grpc_requests", "gRPC calls answered, by method and status code",
                        ["method", "code"])
GRPC_LATENCY = Histogram("likeness_core_grpc_request_duration_seconds", "Time to answer a gRPC call, by method",
                         ["method"], buckets=LATENCY_BUCKETS)
FACES = Histogram("likeness_core_faces_per_image", "Faces found in each processed image",
                  buckets=(0, 1, 2, 3, 5, 10, 20, 50, 100))
BATCH_SIZE = Histogram("likeness_core_embedding_batch_size", "Faces embedded together in one recognizer run "
                       "(dynamic batching)", buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024))
QUEUE_TIME = Histogram("likeness_core_embedding_queue_seconds", "Time faces waited for their embedding batch",
                       buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0))
CACHE_LOOKUPS = Counter("likeness_core_response_cache_lookups", "Response cache look-ups by layer "
                        "(memory, disk, shared) and result (hit, miss)", ["layer", "result"])

# Health checks come every few seconds from the api servers and orchestrators: logged at DEBUG.
_QUIET_SERVICE = "/grpc.health.v1.Health/"


class CallObserver(grpc.ServerInterceptor):
    """Counts and times each unary call, binds its ``x-request-id`` (a new id when it has none) for
    the log records written while it runs, and logs one line when it ends."""

    def intercept_service(self, continuation: Callable[[grpc.HandlerCallDetails], grpc.RpcMethodHandler | None],
                          details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler | None:
        handler = continuation(details)
        if handler is None or handler.unary_unary is None:  # streams (health Watch) pass as they are
            return handler
        method = details.method.lstrip("/")
        given = dict(details.invocation_metadata or ()).get(REQUEST_ID_METADATA)
        level = logging.DEBUG if details.method.startswith(_QUIET_SERVICE) else logging.INFO
        behaviour = handler.unary_unary

        def observed(request: object, context: grpc.ServicerContext) -> object:
            token = bind_request_id(usable_request_id(given))
            started = time.perf_counter()
            response = None
            try:
                response = behaviour(request, context)
                return response
            finally:
                # context.abort() raises after setting the code; any other exception is UNKNOWN.
                code = context.code() or (grpc.StatusCode.OK if response is not None else grpc.StatusCode.UNKNOWN)
                _record(method, code, time.perf_counter() - started, response, level)
                release_request_id(token)

        return grpc.unary_unary_rpc_method_handler(observed, request_deserializer=handler.request_deserializer,
                                                   response_serializer=handler.response_serializer)


def _record(method: str, code: grpc.StatusCode, seconds: float, response: object, level: int) -> None:
    GRPC_REQUESTS.labels(method, code.name).inc()
    GRPC_LATENCY.labels(method).observe(seconds)
    extra: dict[str, object] = {"method": method, "code": code.name, "duration_ms": round(seconds * 1000, 1)}
    faces = ""
    if isinstance(response, core_pb2.ProcessImageResponse):
        FACES.observe(len(response.faces))
        extra["faces"] = len(response.faces)
        faces = f", {len(response.faces)} faces"
    log.log(level, "%s %s %.1f ms%s", method, code.name, seconds * 1000, faces, extra=extra)
