"""What api, admin and core share for their Prometheus metrics (no Flask here: core uses it too).

Under several gunicorn workers each worker counts its own requests. prometheus_client's
multiprocess mode adds them up: every worker writes its values to files in
``PROMETHEUS_MULTIPROC_DIR`` and a scrape, whichever worker answers it, reads the files of every
worker, live or gone (counters of a worker that exited stay counted). ``runner/gunicorn_config.py``
sets that variable in the gunicorn master before the workers start (a private temporary folder
when the operator set none). A process without it (the Flask development server, tests that build
an app in their own process, the core server) counts in its own memory and reports that one process.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

# Request latency buckets of every server (HTTP requests of api and admin, gRPC calls of core and to core).
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


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


def scrape(*live: Collector) -> bytes:
    """The Prometheus text format: every worker's metrics, plus ``live`` collectors read from the
    answering process at scrape time (state every worker holds alike)."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)
    else:
        registry.register(_Everything(REGISTRY))
    for collector in live:
        registry.register(collector)
    return generate_latest(registry)


class _Everything(Collector):
    """The metrics of another registry (the process's default one), so that a per-scrape registry can add live ones."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._registry = registry

    def collect(self) -> Iterable[Metric]:
        return self._registry.collect()
