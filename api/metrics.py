"""The api server's metrics (served at ``<API_BASEPATH>/metrics``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client import Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from common.metrics import LATENCY_BUCKETS, http_metrics

if TYPE_CHECKING:  # the admin imports this module through api.core_client and must not load faiss
    from api.indexes import ServiceIndexes

HTTP = http_metrics("likeness_api")

CORE_CALLS = Histogram("likeness_api_core_call_duration_seconds",
                       "Time of calls to the core servers, by gRPC method and status code (retries included)",
                       ["method", "code"], buckets=LATENCY_BUCKETS)


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
