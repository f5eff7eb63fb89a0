"""The api server's Flask application: blueprints under API_BASEPATH, errors as CompreFace's JSON."""

from __future__ import annotations

import atexit
import logging

from flask import Flask

from api.metrics import HTTP, IndexSizes
from api.settings import ApiSettings
from api.state import STATE_KEY, ApiState
from api.views import embeddings, faces, infrastructure, recognition, search, subjects, verification
from common.config import load_settings
from common.logs import announce_settings, configure_logging
from common.web import install_request_hooks, make_app, metrics_view, register_error_handlers

log = logging.getLogger("api")
BLUEPRINTS = (subjects, faces, recognition, search, verification, embeddings, infrastructure)


def create_app(settings: ApiSettings | None = None, state: ApiState | None = None) -> Flask:
    """The application for gunicorn (``api.app:create_app()``) and for tests, which may pass the
    ``state`` to serve (say, one with a fake core client); else it is started from ``settings``."""
    if settings is None:
        settings = load_settings(ApiSettings)
        configure_logging("api", settings.log_level, settings.log_format)
        announce_settings("api", settings)
    if settings.auth_method == "public":
        log.warning("AUTH_METHOD=public: requests WITHOUT an API key are served by a default service. "
                    "Use only on a trusted network.")
    else:
        log.info("AUTH_METHOD=apikey: every request needs a service's x-api-key")
    app = make_app(__name__, settings.max_request_size)
    if state is None:
        state = ApiState.start(settings)
        # gunicorn ends a worker with sys.exit: stop the listener and write the last request counts.
        atexit.register(state.stop)
    app.extensions[STATE_KEY] = state

    prefix = settings.api_basepath.rstrip("/")
    for module in BLUEPRINTS:
        app.register_blueprint(module.blueprint, url_prefix=prefix)
    install_request_hooks(app, HTTP, "api")
    app.add_url_rule(f"{prefix}/metrics", "metrics", metrics_view(IndexSizes(state.indexes)))
    register_error_handlers(app, log)
    return app
