"""The nginx gateway: its settings, the configuration rendered from ``nginx/gateway.conf.j2``, its command.

``python -m runner.gateway render OUT`` writes the configuration from the environment;
``python -m runner.gateway serve`` renders it and replaces itself with nginx (the container's entry point).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from pydantic import Field, model_validator

from common.config import PROJECT_ROOT, ServiceSettings, load_settings, print_settings
from runner.allocator import with_fixed_mmap_threshold

TEMPLATE_DIR = PROJECT_ROOT / "nginx"
NGINX = "nginx"


class GatewaySettings(ServiceSettings):
    """Options of the gateway; the upstreams name every api and admin server."""

    port: int = Field(default=8000, ge=1, le=65535, description="Port the gateway listens on")
    api_upstream: str = Field(default="127.0.0.1:8080", description="api servers, comma-separated host:port")
    admin_upstream: str = Field(default="127.0.0.1:8081", description="admin servers, comma-separated host:port")
    ui_dir: Path = Field(default=TEMPLATE_DIR / "ui", description="Folder of the web UI's static files")
    state_dir: Path = Field(default=PROJECT_ROOT / "var" / "gateway", description="Folder for nginx's pid and temp files")
    tls_certificate: Path | None = Field(default=None, description="PEM certificate: serve HTTPS when given with its key")
    tls_certificate_key: Path | None = Field(default=None, description="PEM private key of TLS_CERTIFICATE")
    max_request_size: int = Field(default=10 * 1024 * 1024, ge=1, description="Largest request body, in bytes")
    client_timeout_s: int = Field(default=60, ge=1, description="Time a client may take to send headers or body")
    connect_timeout_s: int = Field(default=5, ge=1, description="Time to connect to an api or admin server")
    read_timeout_s: int = Field(default=120, ge=1, description="Time an api or admin server may take to answer")
    worker_processes: str = Field(default="auto", pattern=r"^(auto|[1-9][0-9]*)$", description="nginx worker processes")

    @model_validator(mode="after")
    def _tls_pair(self) -> "GatewaySettings":
        if (self.tls_certificate is None) != (self.tls_certificate_key is None):
            raise ValueError("TLS_CERTIFICATE and TLS_CERTIFICATE_KEY must be given together")
        return self

    @property
    def scheme(self) -> str:
        return "https" if self.tls_certificate else "http"


def _servers(upstream: str) -> list[str]:
    servers = [server.strip() for server in upstream.split(",") if server.strip()]
    if not servers:
        raise ValueError("an upstream needs at least one host:port")
    return servers


def render_config(settings: GatewaySettings) -> str:
    """nginx.conf for ``settings``."""
    template = Environment(loader=FileSystemLoader(TEMPLATE_DIR), undefined=StrictUndefined,
                           keep_trailing_newline=True).get_template("gateway.conf.j2")
    return template.render(
        user="root" if os.geteuid() == 0 else None,  # as root, nginx's workers would else drop to nobody
        worker_processes=settings.worker_processes,
        state_dir=settings.state_dir.resolve(),
        ui_dir=settings.ui_dir.resolve(),
        port=settings.port,
        api_upstream=_servers(settings.api_upstream),
        admin_upstream=_servers(settings.admin_upstream),
        tls=settings.tls_certificate is not None,
        tls_certificate=settings.tls_certificate,
        tls_certificate_key=settings.tls_certificate_key,
        max_request_size=settings.max_request_size,
        client_timeout_s=settings.client_timeout_s,
        connect_timeout_s=settings.connect_timeout_s,
        read_timeout_s=settings.read_timeout_s,
    )


def write_config(settings: GatewaySettings) -> Path:
    """Render the configuration into ``state_dir/nginx.conf`` (creating nginx's temp folders); its path."""
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    path = settings.state_dir / "nginx.conf"
    path.write_text(render_config(settings))
    return path


def nginx_command(config_path: Path) -> list[str]:
    """nginx in the foreground on ``config_path``."""
    return [NGINX, "-e", "stderr", "-p", str(config_path.parent), "-c", str(config_path), "-g", "daemon off;"]


def main(argv: list[str] | None = None) -> None:
    arguments = sys.argv[1:] if argv is None else argv
    if arguments[:1] == ["render"] and len(arguments) == 2:
        settings = load_settings(GatewaySettings)
        Path(arguments[1]).write_text(render_config(settings))
    elif arguments == ["serve"]:
        settings = load_settings(GatewaySettings)
        print_settings("gateway", settings)
        command = nginx_command(write_config(settings))
        os.execvpe(command[0], command, with_fixed_mmap_threshold(os.environ))
    else:
        raise SystemExit("usage: python -m runner.gateway render OUT | serve")


if __name__ == "__main__":
    main()
