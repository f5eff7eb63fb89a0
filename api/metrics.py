"""The api server's metrics (served at ``<API_BASEPATH>/metrics``)."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from api.indexes import ServiceIndexes
from common.metrics import LATENCY_BUCKETS, http_metrics

HTTP = http_metrics("likeness_api")

CORE_CALLS = Histogram("likeness_api_core_call_duration_seconds",
                       "Time of calls to the core servers, by gRPC method and status code (retries included)",
                       ["method", "code"], buckets=LATENCY_BUCKETS)


def observe_core_call(method: str, code: str, seconds: float) -> None:
    """The core client's observer (:class:`common.core_client.CoreClient`)."""
    CORE_CALLS.labels(method, code).observe(seconds)


class IndexSizes(Collector):
    """Faces in memory per recognition service, read at scrape time (every worker and every api
    server holds every collection, so any of them answers for all)."""

    def __init__(self, indexes: ServiceIndexes) -> None:
        self._indexes = indexes

    def collect(self) -> Iterator[GaugeMetricFamily]:
        faces = GaugeMetricFamily("likeness_api_index_faces", "Faces in the in-memory index of each recognition service",
                                  labels=["service_id"])
        for service_id, size in sorted(self._indexes.sizes().items()):
            faces.add_metric([str(service_id)], size)
        yield faces
