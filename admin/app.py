"""The admin server's Flask application: the JSON API under /admin/, errors as ``{"message", "code"}``."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.middleware.proxy_fix import ProxyFix

from admin import errors, web
from admin.metrics import HTTP
from admin.settings import AdminSettings
from api.errors import undefined
from common.config import load_settings
from common.logs import announce_settings, configure_logging
from common.metrics import install_request_hooks, metrics_view
from db.engine import database_url, make_engine, make_sessions

log = logging.getLogger("admin")
PREFIX = "/admin"
MAX_REQUEST_BYTES = 1024 * 1024  # the admin's bodies are small JSON objects; larger ones get a JSON 413


def create_app(settings: AdminSettings | None = None) -> Flask:
    """The application for gunicorn (``admin.app:create_app()``) and for tests."""
    if settings is None:
        settings = load_settings(AdminSettings)
        configure_logging("admin", settings.log_level, settings.log_format)
        announce_settings("admin", settings)
    configured = settings.database_url.get_secret_value() if settings.database_url else None
    app = Flask(__name__, static_folder=None)
    app.json.sort_keys = False
    app.json.compact = False  # pretty-printed, as the api answers
    app.json.ensure_ascii = False
    app.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    if settings.proxy_count:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.proxy_count)
    app.extensions["likeness-admin"] = web.AdminContext(settings, make_sessions(make_engine(database_url(configured))))

    from admin.views import accounts, apps, infrastructure, members, services, users
    for module in (accounts, users, apps, members, services, infrastructure):
        app.register_blueprint(module.blueprint, url_prefix=PREFIX)
    install_request_hooks(app, HTTP, "admin")
    app.add_url_rule(f"{PREFIX}/metrics", "metrics", web.public(metrics_view()))
    app.before_request(web.load_actor)
    app.before_request(web.require_session)
    app.before_request(web.check_csrf)
    _register_error_handlers(app)
    return app


def _register_error_handlers(app: Flask) -> None:
    @app.errorhandler(errors.ApiError)
    def api_error(error: errors.ApiError) -> Response:
        response = jsonify(error.body())
        response.status_code = error.status
        if isinstance(error, errors.TooManySignIns):
            response.headers["Retry-After"] = str(error.retry_after)
        return response

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(_error: RequestEntityTooLarge) -> Response:
        return api_error(errors.too_large(MAX_REQUEST_BYTES))

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def database_unavailable(error: DBAPIError) -> Response:
        log.warning("Database unavailable: %s", str(error.orig).strip())
        return api_error(errors.database_unavailable())

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        response = jsonify({"message": error.description, "code": 0})
        response.status_code = error.code or 500
        return response

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:
        log.exception("Unexpected error")
        response = jsonify(undefined().body())
        response.status_code = 500
        return response
