"""The admin server's Flask application: the JSON API under /admin/, errors as ``{"message", "code"}``."""

from __future__ import annotations

import logging

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from admin import web
from admin.metrics import HTTP
from admin.settings import AdminSettings
from admin.views import accounts, apps, infrastructure, members, services, users
from common.config import load_settings
from common.logs import announce_settings, configure_logging
from common.web import install_request_hooks, make_app, metrics_view, register_error_handlers
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
    app = make_app(__name__, MAX_REQUEST_BYTES)
    if settings.proxy_count:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.proxy_count)
    app.extensions["likeness-admin"] = web.AdminContext(settings, make_sessions(make_engine(database_url(configured))))

    for module in (accounts, users, apps, members, services, infrastructure):
        app.register_blueprint(module.blueprint, url_prefix=PREFIX)
    install_request_hooks(app, HTTP, "admin")
    app.add_url_rule(f"{PREFIX}/metrics", "metrics", web.public(metrics_view()))
    app.before_request(web.load_actor)
    app.before_request(web.require_session)
    app.before_request(web.check_csrf)
    register_error_handlers(app, log)
    return app
