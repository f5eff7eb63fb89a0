"""gunicorn configuration of the api and admin servers: ``gunicorn --config python:runner.gunicorn_config ...``
(``runner/gunicorn.py`` builds the whole command).

- Metrics of every worker: ``PROMETHEUS_MULTIPROC_DIR`` is set in the master when it starts
  (``on_starting``), before the workers start and import prometheus_client, so that /metrics adds
  up all of them (see ``common/metrics.py``). Unset, it becomes a private temporary folder,
  deleted when the master exits. An operator's folder must
  belong to this one gunicorn server alone; it is emptied when the server starts.
- ``child_exit`` tells prometheus_client that a worker has gone, so its live gauges are dropped.
- gunicorn's own log lines go through the services' format (``LOG_FORMAT``, ``LOG_LEVEL``).
"""

from __future__ import annotations

import glob
import os
import shutil
import tempfile

from gunicorn.arbiter import Arbiter
from gunicorn.workers.base import Worker

from common.config import ServiceSettings, load_settings
from common.logs import LEVELS

_PRIVATE_PREFIX = "likeness-metrics-"

_metrics = {"dir": "", "private": False}  # chosen by on_starting

# Unused, and its default path (~/.gunicorn/gunicorn.ctl) would be shared by every server of the machine.
control_socket_disable = True

# As long as the gateway lets through (nginx's 8 KiB header buffers): the gateway answers longer ones.
limit_request_line = 8190

# Longer than the gateway keeps an idle connection to a server (its upstreams' keepalive_timeout, 60 s): when
# gunicorn closed one first (after its default 2 s), a request the gateway sent on it at that moment failed (the
# client got 503, code 41; bench/soak.py, after its clients paused for a reading).
keepalive = 75

_logging = load_settings(ServiceSettings)
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"service": {"()": "common.logs.make_formatter", "service": "gunicorn",
                               "log_format": _logging.log_format}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "service", "stream": "ext://sys.stderr"}},
    "root": {"level": LEVELS[_logging.log_level], "handlers": ["stderr"]},
    "loggers": {
        # gunicorn's records go to the root handler, which each worker replaces with its service's own.
        "gunicorn.error": {"level": LEVELS[_logging.log_level], "handlers": [], "propagate": True},
        # Off: its lines hold the raw path and query, and a static image URL holds an API key. The
        # services log each request themselves, by route.
        "gunicorn.access": {"level": "CRITICAL", "handlers": [], "propagate": False},
    },
}


def on_starting(_server: Arbiter) -> None:
    """The metrics folder, before any worker imports prometheus_client (which picks its multiprocess
    mode when it is imported); values left by an earlier run of this server would be added to this run's."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix=_PRIVATE_PREFIX)
        _metrics.update(dir=os.environ["PROMETHEUS_MULTIPROC_DIR"], private=True)
        return
    _metrics["dir"] = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    os.makedirs(_metrics["dir"], exist_ok=True)
    for path in glob.glob(os.path.join(_metrics["dir"], "*.db")):
        os.remove(path)


def child_exit(_server: Arbiter, worker: Worker) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid, _metrics["dir"])


def on_exit(_server: Arbiter) -> None:
    if _metrics["private"]:
        shutil.rmtree(_metrics["dir"], ignore_errors=True)
