"""The Flask basics every web service of Likeness repeats, once: JSON answers, errors as
``{"message", "code"}``, a request id, metrics and an access log line per request, ``/metrics``,
and Swagger UI for a service's own ``openapi.json`` under ``<base>/swagger/`` (Swagger UI's files
come from the flask-swagger-ui package; every URL in the page is relative, so it works under any
prefix or proxy).

This is the only module of ``common`` that imports Flask.
"""

from __future__ import annotations

import html
import logging
import time
from collections.abc import Callable
from pathlib import Path

import flask_swagger_ui
from flask import Flask, Response, current_app, g, request, send_from_directory
from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException, NotFound, RequestEntityTooLarge

from common import errors
from common.errors import ApiError
from common.logs import (REQUEST_ID_HEADER, bind_request_id, current_request_id, release_request_id,
                         usable_request_id)
from common.metrics import HttpMetrics, scrape

UNMATCHED = "<unmatched>"  # the endpoint label of requests no route matched (404, 405): the path is not a label
# Probes come every few seconds from the gateway, the supervisor and Prometheus: their access lines are DEBUG.
_PROBES = ("/health", "/ready", "/metrics")


def make_app(import_name: str, max_request_bytes: int) -> Flask:
    """A Flask application answering pretty-printed JSON in the order it was built (as CompreFace)."""
    app = Flask(import_name, static_folder=None)
    app.config["MAX_CONTENT_LENGTH"] = max_request_bytes
    app.json.sort_keys = False
    app.json.compact = False
    app.json.ensure_ascii = False
    return app


def json_response(body: object, status: int = 200) -> Response:
    """``body`` as the application's JSON with ``status``."""
    response = current_app.json.response(body)
    response.status_code = status
    return response


def error_response(error: ApiError) -> Response:
    response = json_response(error.body(), error.status)
    response.headers.update(error.headers())
    return response


def register_error_handlers(app: Flask, log: logging.Logger) -> None:
    """Every error as ``{"message", "code"}``: the contract's own, a body over the limit (413, code 26),
    Werkzeug's HTTP errors (code 0), a database that cannot be reached (503) and the unexpected (500)."""

    @app.errorhandler(ApiError)
    def api_error(error: ApiError) -> Response:
        return error_response(error)

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(_error: RequestEntityTooLarge) -> Response:
        return error_response(errors.too_large(app.config["MAX_CONTENT_LENGTH"]))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        return json_response({"message": error.description, "code": 0}, error.code or 500)

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def database_unavailable(error: DBAPIError) -> Response:
        log.warning("Database unavailable: %s", str(error.orig).strip())
        return error_response(errors.database_unavailable())

    @app.errorhandler(Exception)
    def unexpected(_error: Exception) -> Response:
        log.exception("Unexpected error")
        return json_response(errors.undefined().body(), 500)


def metrics_view(*live: Collector) -> Callable[[], Response]:
    """A view answering :func:`common.metrics.scrape` in the Prometheus text format."""

    def metrics() -> Response:
        return Response(scrape(*live), mimetype=CONTENT_TYPE_LATEST)

    return metrics


def install_request_hooks(app: Flask, metrics: HttpMetrics, service: str) -> None:
    """Request id, metrics and access log for every request of ``app``; they run before and after
    every other hook, so they see each request whole (errors raised by other hooks included).

    Every request gets its id (the ``X-Request-Id`` the gateway sent, or a new one), returned in the
    response and bound to every log record written while it runs.

    A body the request did not read (refused for its key before its image was read) is read before the answer
    goes: gunicorn reads at most 64 KB of what is left and otherwise closes the connection, and the gateway, still
    sending the body, counted that as a failed server (with several such uploads at once, every api server was
    set aside for seconds and other clients got 503). A body over the size limit is not read.
    """
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

    def read_unread_body(response: Response) -> Response:
        length = request.content_length
        if length is not None and length <= (app.config["MAX_CONTENT_LENGTH"] or length):
            request.stream.exhaust()
        return response

    def release(_error: BaseException | None) -> None:
        token = g.pop("likeness_request_id_token", None)
        if token is not None:
            release_request_id(token)

    # before_request hooks run in order, after_request hooks in reverse order: first place = outermost.
    app.before_request_funcs.setdefault(None, []).insert(0, start)
    app.after_request_funcs.setdefault(None, []).insert(0, finish)
    app.after_request(read_unread_body)
    app.teardown_request(release)


SWAGGER_UI_DIST = Path(flask_swagger_ui.__file__).resolve().parent / "dist"

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <title>{title}</title>
  <link rel="stylesheet" type="text/css" href="swagger-ui.css">
  <link rel="stylesheet" type="text/css" href="index.css">
  <link rel="icon" type="image/png" href="favicon-32x32.png" sizes="32x32">
  <link rel="icon" type="image/png" href="favicon-16x16.png" sizes="16x16">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="swagger-ui-bundle.js" charset="UTF-8"></script>
  <script>
    window.onload = function () {{
      // Absolute URL of the document next to this page; its server URL ".." then resolves to <base>/.
      var documentUrl = new URL("openapi.json", window.location.href).href;
      window.ui = SwaggerUIBundle({{
        url: documentUrl,
        dom_id: "#swagger-ui",
        presets: [SwaggerUIBundle.presets.apis],
        layout: "BaseLayout",
        deepLinking: true,
        persistAuthorization: true,
        displayRequestDuration: true,
        validatorUrl: null
      }});
    }};
  </script>
</body>
</html>
"""


def swagger_page(title: str) -> Response:
    """Swagger UI's page for the ``openapi.json`` next to it."""
    return Response(_PAGE.format(title=html.escape(title)), mimetype="text/html")


def swagger_file(own_dir: Path, name: str) -> Response:
    """``name`` from the service's folder (its openapi.json), else from Swagger UI's files."""
    try:
        return send_from_directory(own_dir, name)
    except NotFound:
        return send_from_directory(SWAGGER_UI_DIST, name)
