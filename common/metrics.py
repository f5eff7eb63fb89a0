"""What the api and admin servers share for /metrics and for each request's log line and id.

Under several gunicorn workers each worker counts its own requests. prometheus_client's
multiprocess mode adds them up: every worker writes its values to files in
``PROMETHEUS_MULTIPROC_DIR`` and a scrape, whichever worker answers it, reads the files of every
worker, live or gone (counters of a worker that exited stay counted). ``common/gunicorn_config.py``
sets that variable in the gunicorn master before the workers start (a private temporary folder
when the operator set none). A process without it (the Flask development server, tests that build
an app in their own process) counts in its own memory and /metrics reports that one process.

:func:`install_request_hooks` gives every request its id (the ``X-Request-Id`` the gateway sent,
or a new one), returns it in the response, counts the request and logs one access line at its end.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from flask import Flask, Response, g, request
from prometheus_client import REGISTRY, CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from common.logs import (REQUEST_ID_HEADER, bind_request_id, current_request_id, release_request_id,
                         usable_request_id)

UNMATCHED = "<unmatched>"  # the endpoint label of requests no route matched (404, 405): the path is not a label
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
# Probes come every few seconds from the gateway, the supervisor and Prometheus: their access lines are DEBUG.
_PROBES = ("/health", "/ready", "/metrics")


@dataclass(frozen=True)
class HttpMetrics:
    """Requests by endpoint (the route, e.g. ``/api/v1/recognition/recognize``), method and status,
    and their latency by endpoint and method."""

    requests: Counter
    latency: Histogram


def http_metrics(namespace: str) -> HttpMetrics:
    """``<namespace>_http_requests_total`` and ``<namespace>_http_request_duration_seconds``."""
    return HttpMetrics(
        Counter(f"{namespace}_http_requests", "HTTP requests answered, by route, method and status",
                ["endpoint", "method", "status"]),
        Histogram(f"{namespace}_http_request_duration_seconds", "Time to answer an HTTP request, by route and method",
                  ["endpoint", "method"], buckets=LATENCY_BUCKETS),
    )


def metrics_view(*live: Collector) -> Callable[[], Response]:
    """A view answering the Prometheus text format: every worker's metrics, plus ``live`` collectors
    read from the answering process at scrape time (state every worker holds alike)."""

    def metrics() -> Response:
        registry = CollectorRegistry()
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            MultiProcessCollector(registry)
        else:
            registry.register(_Everything(REGISTRY))
        for collector in live:
            registry.register(collector)
        return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)

    return metrics


class _Everything(Collector):
    """The metrics of another registry (the process's default one), so that a per-scrape registry can add live ones."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._registry = registry

    def collect(self) -> Iterable[Metric]:
        return self._registry.collect()


def install_request_hooks(app: Flask, metrics: HttpMetrics, service: str) -> None:
    """Request id, metrics and access log for every request of ``app``; they run before and after
    every other hook, so they see each request whole (errors raised by other hooks included)."""
    access_log = logging.getLogger(f"{service}.access")

    def start() -> None:
        g.likeness_started = time.perf_counter()
        g.likeness_request_id_token = bind_request_id(usable_request_id(request.headers.get(REQUEST_ID_HEADER)))

    def finish(response: Response) -> Response:
        request_id = current_request_id()
        if request_id:
            response.headers[REQUEST_ID_HEADER] = request_id
        started = g.get("likeness_started")
        if started is None:  # start() did not run: nothing to measure
            return response
        seconds = time.perf_counter() - started
        endpoint = request.url_rule.rule if request.url_rule else UNMATCHED
        metrics.requests.labels(endpoint, request.method, str(response.status_code)).inc()
        metrics.latency.labels(endpoint, request.method).observe(seconds)
        # The route, never the path or the query: a path may hold an API key (static image URLs).
        level = logging.DEBUG if endpoint.endswith(_PROBES) else logging.INFO
        access_log.log(level, "%s %s %d %.1f ms", request.method, endpoint, response.status_code, seconds * 1000,
                       extra={"method": request.method, "endpoint": endpoint, "status": response.status_code,
                              "duration_ms": round(seconds * 1000, 1)})
        return response

    def release(_error: BaseException | None) -> None:
        token = g.pop("likeness_request_id_token", None)
        if token is not None:
            release_request_id(token)

    # before_request hooks run in order, after_request hooks in reverse order: first place = outermost.
    app.before_request_funcs.setdefault(None, []).insert(0, start)
    app.after_request_funcs.setdefault(None, []).insert(0, finish)
    app.teardown_request(release)
