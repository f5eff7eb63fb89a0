"""The api server's Flask application: blueprints under API_BASEPATH, errors as CompreFace's JSON."""

from __future__ import annotations

import atexit
import json
import logging

from flask import Flask, Response, current_app
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from api import errors
from api.errors import ApiError
from api.metrics import HTTP, IndexSizes
from api.platform import Platform
from api.settings import ApiSettings
from common.config import load_settings
from common.logs import announce_settings, configure_logging
from common.metrics import install_request_hooks, metrics_view

log = logging.getLogger("api")


def create_app(settings: ApiSettings | None = None) -> Flask:
    """The application for gunicorn (``api.app:create_app()``) and for tests."""
    if settings is None:
        settings = load_settings(ApiSettings)
        configure_logging("api", settings.log_level, settings.log_format)
        announce_settings("api", settings)
    if settings.auth_method == "public":
        log.warning("AUTH_METHOD=public: requests WITHOUT an API key are served by a default service. "
                    "Use only on a trusted network.")
    else:
        log.info("AUTH_METHOD=apikey: every request needs a service's x-api-key")
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_request_size
    app.json.sort_keys = False
    platform = Platform.start(settings)
    # gunicorn ends a worker with sys.exit: stop the listener and write the last request counts.
    atexit.register(platform.stop)
    app.extensions["likeness"] = platform

    from api.views import embeddings, faces, infrastructure, recognition, search, subjects, verification
    prefix = settings.api_basepath.rstrip("/")
    for module in (subjects, faces, recognition, search, verification, embeddings, infrastructure):
        app.register_blueprint(module.blueprint, url_prefix=prefix)
    install_request_hooks(app, HTTP, "api")
    app.add_url_rule(f"{prefix}/metrics", "metrics", metrics_view(IndexSizes(platform.indexes)))
    _register_error_handlers(app)
    return app


def platform() -> Platform:
    return current_app.extensions["likeness"]


def json_response(body: object, status: int = 200) -> Response:
    """Pretty-printed JSON, as CompreFace's api answers."""
    return Response(json.dumps(body, indent=2, ensure_ascii=False) + "\n", status=status,
                    mimetype="application/json")


def _register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def api_error(error: ApiError) -> Response:
        return json_response(error.body(), error.status)

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(_error: RequestEntityTooLarge) -> Response:
        error = errors.too_large(app.config["MAX_CONTENT_LENGTH"])
        return json_response(error.body(), error.status)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        return json_response({"message": error.description, "code": 0}, error.code or 500)

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def database_unavailable(error: DBAPIError) -> Response:
        log.warning("Database unavailable: %s", str(error.orig).strip())
        unavailable = errors.database_unavailable()
        return json_response(unavailable.body(), unavailable.status)

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:
        log.exception("Unexpected error")
        return json_response(errors.undefined().body(), 500)
