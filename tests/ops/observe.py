"""Reading what a running server tells its operator: its /metrics and its log file."""

from __future__ import annotations

import json
from pathlib import Path

import requests
from prometheus_client.parser import text_string_to_metric_families


class Metrics:
    """One scrape of a Prometheus text endpoint."""

    def __init__(self, url: str) -> None:
        response = requests.get(url, timeout=10)
        assert response.status_code == 200, (url, response.status_code, response.text[:200])
        assert response.headers["Content-Type"].startswith("text/plain"), response.headers["Content-Type"]
        self.samples = [sample for family in text_string_to_metric_families(response.text)
                        for sample in family.samples]

    def value(self, name: str, **labels: str) -> float:
        """The sum of the samples called ``name`` whose labels include ``labels`` (0 when there is none)."""
        return sum(sample.value for sample in self.samples
                   if sample.name == name and labels.items() <= sample.labels.items())

    def names(self) -> set[str]:
        return {sample.name for sample in self.samples}


def json_records(log_path: Path) -> list[dict]:
    """Every line of a LOG_FORMAT=json log, parsed (a line that is not a JSON object fails the test)."""
    records = []
    for number, line in enumerate(log_path.read_text().splitlines(), 1):
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            raise AssertionError(f"{log_path.name} line {number} is not JSON: {line!r}") from None
        assert isinstance(record, dict), line
        records.append(record)
    return records
