"""Swagger UI for a service's OpenAPI document, served by the service itself under ``<base>/swagger/``.

The page is generated here; the service's own folder holds its ``openapi.json``; Swagger UI's
files (swagger-ui-bundle.js, ...) come from the installed flask-swagger-ui package. Every URL in
the page is relative to it, so that it works under any prefix or proxy.
"""

from __future__ import annotations

import html
from pathlib import Path

import flask_swagger_ui
from flask import Response, send_from_directory
from werkzeug.exceptions import NotFound

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
