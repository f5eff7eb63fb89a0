"""What every api view shares: this process's state, the key check, the request's images, and
counting the requests that the statistics show."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

from flask import current_app, g, request

from api.auth import ServiceRef
from api.image_input import request_image
from api.state import STATE_KEY, ApiState
from db.models import ServiceType

View = TypeVar("View", bound=Callable[..., object])


def state() -> ApiState:
    """The api process's state (:class:`api.state.ApiState`), as ``create_app`` installed it."""
    return current_app.extensions[STATE_KEY]


def service(service_type: ServiceType) -> ServiceRef:
    """The service the request's ``x-api-key`` names (code 20, 26 or 10 when it cannot)."""
    found = state().keys.service(request, service_type)
    g.likeness_service = found
    return found


def image(field: str = "file") -> bytes:
    """The request's image ``field`` (multipart part, base64 JSON field or URL)."""
    return request_image(request, field, state().fetcher, state().settings.max_file_size)


def counted(view: View) -> View:
    """Count the view's requests in their service's statistics (requests per day): every request
    whose key was accepted, whatever its answer."""

    @functools.wraps(view)
    def counting(*args: object, **kwargs: object) -> object:
        try:
            return view(*args, **kwargs)
        finally:
            found = g.pop("likeness_service", None)
            if found is not None:
                state().counter.count(found.id)

    return counting  # type: ignore[return-value]
