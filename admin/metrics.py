"""The admin server's metrics (served at ``/admin/metrics``)."""

from __future__ import annotations

from common.metrics import http_metrics

HTTP = http_metrics("likeness_admin")
