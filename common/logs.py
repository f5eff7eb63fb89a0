"""Logging set-up shared by every service."""

from __future__ import annotations

import logging

from common.config import LogLevel

_LEVELS = {"DEBUG": logging.DEBUG, "INFO": logging.INFO, "FATAL": logging.CRITICAL}


def configure_logging(service: str, level: LogLevel) -> logging.Logger:
    """Send log records to stderr with the service name; returns the service's logger."""
    logging.basicConfig(
        level=_LEVELS[level],
        format=f"%(asctime)s %(levelname)s {service} %(name)s: %(message)s",
        force=True,
    )
    return logging.getLogger(service)
