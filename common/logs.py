"""Logging set-up shared by every service: readable lines or JSON lines, with the request id.

``LOG_FORMAT=text`` (the default): ``time LEVEL service logger: message``, followed by
``request_id=...`` when the record belongs to a request.

``LOG_FORMAT=json``: one JSON object per line with ``time`` (UTC, ISO 8601), ``level``,
``service``, ``logger``, ``message``, ``pid``, ``request_id`` when known, every extra the call
passed (``log.info(..., extra={"status": 200})``) and ``exception`` with the traceback.

The request id lives in a context variable: a server binds it while it handles a request
(:func:`bind_request_id`, :func:`release_request_id`) and every record logged meanwhile in that
thread carries it.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import uuid
from contextvars import ContextVar, Token
from datetime import datetime, timezone

from common.config import LogFormat, LogLevel, ServiceSettings, describe_settings, print_settings

LEVELS = {"DEBUG": logging.DEBUG, "INFO": logging.INFO, "FATAL": logging.CRITICAL}
REQUEST_ID_HEADER = "X-Request-Id"
REQUEST_ID_METADATA = "x-request-id"  # gRPC metadata keys are lower case

# What the gateway accepts from clients as well: a token that cannot break a log line.
_USABLE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
# An API key travels in the path of static image URLs (``/api/v1/static/<key>/images/<id>``), and gunicorn
# logs request paths at DEBUG: every line is written with that key masked.
_STATIC_IMAGE_KEY = re.compile(r"(/static/)[^/\s\"]+(/images/)")
# Attributes every LogRecord has; anything else on a record came from ``extra``.
_RECORD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "request_id"}


def usable_request_id(given: str | None) -> str:
    """``given`` when it is a sane token (letters, digits, ``._-``, at most 64), else a new uuid4 hex."""
    if given and _USABLE_REQUEST_ID.fullmatch(given):
        return given
    return uuid.uuid4().hex


def bind_request_id(request_id: str) -> Token:
    """Make ``request_id`` the current request's id; give the token back to :func:`release_request_id`."""
    return _request_id.set(request_id)


def release_request_id(token: Token) -> None:
    _request_id.reset(token)


def current_request_id() -> str | None:
    """The id of the request being handled in this thread, None outside a request."""
    return _request_id.get()


class RequestIdFilter(logging.Filter):
    """Stamps each record with the current request id (``record.request_id``, None outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = _request_id.get()
        return True


def redact(line: str) -> str:
    """``line`` with the API key of any static image URL in it masked."""
    return _STATIC_IMAGE_KEY.sub(r"\1<api-key>\2", line)


class TextFormatter(logging.Formatter):
    """The readable format: ``time LEVEL service logger: message [request_id=...]``."""

    def __init__(self, service: str) -> None:
        super().__init__(f"%(asctime)s %(levelname)s {service} %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))

    def formatMessage(self, record: logging.LogRecord) -> str:
        line = super().formatMessage(record)
        request_id = getattr(record, "request_id", None)
        return f"{line} request_id={request_id}" if request_id else line


class JsonFormatter(logging.Formatter):
    """One JSON object per record (see the module's description)."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "service": self.service,
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
        }
        request_id = getattr(record, "request_id", None)
        if request_id:
            entry["request_id"] = request_id
        entry.update({key: value for key, value in vars(record).items() if key not in _RECORD_ATTRIBUTES})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return redact(json.dumps(entry, ensure_ascii=False, default=str))


def make_formatter(service: str, log_format: LogFormat) -> logging.Formatter:
    return JsonFormatter(service) if log_format == "json" else TextFormatter(service)


def configure_logging(service: str, level: LogLevel, log_format: LogFormat = "text") -> logging.Logger:
    """Send log records to stderr in ``log_format``, stamped with the request id; returns the service's logger."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(make_formatter(service, log_format))
    handler.addFilter(RequestIdFilter())
    logging.basicConfig(level=LEVELS[level], handlers=[handler], force=True)
    logging.captureWarnings(True)  # Python's warnings in the same format, not as bare stderr text
    return logging.getLogger(service)


def announce_settings(service: str, settings: ServiceSettings) -> None:
    """Every option of ``service`` at start: printed as a block, or as one record in JSON mode."""
    if settings.log_format == "json":
        logging.getLogger(service).info("%s settings", service, extra={"settings": describe_settings(settings)})
    else:
        print_settings(service, settings)
