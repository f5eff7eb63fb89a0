"""The nginx gateway in front of a running platform: routing, health, CORS, limits, headers, HTTPS."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import requests

from common.config import SettingsError, load_settings
from runner.gateway import GatewaySettings, nginx_command, write_config
from runner.platform import LocalPlatform, free_port

API_ROUTE = "/api/v1/recognition/recognize"


def test_health_reports_the_whole_platform(platform: LocalPlatform) -> None:
    answer = requests.get(f"{platform.url}/health", timeout=10)
    assert answer.status_code == 200
    assert answer.json() == {"status": "OK", "admin": "OK", "database": "OK", "api": {"servers": 1, "ok": 1},
                             "core": "OK"}


def test_routes_reach_the_ui_the_api_its_swagger_and_admin(platform: LocalPlatform) -> None:
    ui = requests.get(f"{platform.url}/", timeout=10)
    assert ui.status_code == 200 and "text/html" in ui.headers["Content-Type"]
    assert requests.get(f"{platform.url}/some/page/of/the/ui", timeout=10).text == ui.text  # the UI's own routes
    assert requests.get(f"{platform.url}/api/v1/recognition/subjects", timeout=10).json()["code"] == 20  # no key
    assert requests.get(f"{platform.url}/swagger/", timeout=10).status_code == 200
    assert requests.get(f"{platform.url}/admin/health", timeout=10).json() == {"status": "OK"}


def test_cors_preflight_is_answered_as_compreface_does(platform: LocalPlatform) -> None:
    answer = requests.options(f"{platform.url}{API_ROUTE}", timeout=10, headers={
        "Origin": "https://app.example.com", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "x-api-key"})
    assert answer.status_code == 204
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    assert set(answer.headers["Access-Control-Allow-Methods"].split(", ")) == {"GET", "POST", "OPTIONS", "PUT", "DELETE"}
    assert "x-api-key" in answer.headers["Access-Control-Allow-Headers"]
    assert answer.headers["Access-Control-Max-Age"] == "1728000"
    error = requests.get(f"{platform.url}/api/v1/recognition/subjects", headers={"Origin": "https://app.example.com"},
                         timeout=10)
    assert error.headers["Access-Control-Allow-Origin"] == "*"  # also on errors, so browsers can read them


def test_too_large_a_request_gets_a_json_error(platform: LocalPlatform) -> None:
    body = b"\xff" * (11 * 1024 * 1024)
    answer = requests.post(f"{platform.url}{API_ROUTE}", headers={"x-api-key": "whatever"},
                           files={"file": ("big.jpg", body, "image/jpeg")}, timeout=60)
    assert answer.status_code == 413
    assert answer.json()["code"] == 26
    assert re.fullmatch(r"[0-9a-f]{32}", answer.headers["X-Request-Id"])
    assert "larger" in answer.json()["message"]


def test_the_api_keeps_the_gateways_idle_connections_open(platform: LocalPlatform) -> None:
    """The gateway keeps idle connections to the api for reuse (60 s); gunicorn closed them after 2 s, and a
    request the gateway sent on one as it closed failed with 503 (bench/soak.py, clients pausing for a reading)."""
    api = platform.processes["api-1"]
    port = int(api.address.rsplit(":", 1)[1])
    assert requests.get(f"{platform.url}/api/v1/recognition/subjects", timeout=10).status_code == 400  # no key
    time.sleep(3)
    server = psutil.Process(api.pid)
    established = [connection for process in [server, *server.children()] for connection in process.net_connections()
                   if connection.laddr.port == port and connection.status == psutil.CONN_ESTABLISHED]
    assert established, "the api closed the gateway's idle connection"


def test_request_ids_are_made_or_kept_and_returned(platform: LocalPlatform) -> None:
    made = requests.get(f"{platform.url}/api/v1/recognition/subjects", timeout=10).headers["X-Request-Id"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    kept = requests.get(f"{platform.url}/api/v1/recognition/subjects", headers={"X-Request-Id": "client-id-1"},
                        timeout=10).headers["X-Request-Id"]
    assert kept == "client-id-1"
    replaced = requests.get(f"{platform.url}/api/v1/recognition/subjects", headers={"X-Request-Id": "bad id\"}"},
                            timeout=10).headers["X-Request-Id"]
    assert re.fullmatch(r"[0-9a-f]{32}", replaced)


def test_security_headers_and_compression(platform: LocalPlatform) -> None:
    ui = requests.get(f"{platform.url}/", timeout=10)
    assert ui.headers["X-Frame-Options"] == "DENY"
    assert ui.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in ui.headers["Content-Security-Policy"]
    assert "Server" not in ui.headers or ui.headers["Server"] == "nginx"  # no version
    api = requests.get(f"{platform.url}/swagger/openapi.json", headers={"Accept-Encoding": "gzip"}, timeout=10)
    assert api.status_code == 200 and api.headers["Content-Encoding"] == "gzip"
    assert api.headers["X-Content-Type-Options"] == "nosniff"


def test_a_second_tls_gateway_serves_https_with_hsts(platform: LocalPlatform, tmp_path: Path) -> None:
    if shutil.which("openssl") is None:
        pytest.fail("this test needs the openssl command (Debian package openssl) to make a certificate")
    certificate, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost", "-keyout", str(key), "-out", str(certificate)],
                   check=True, capture_output=True)
    port = free_port()
    settings = load_settings(GatewaySettings, {
        "PORT": str(port), "API_UPSTREAM": platform.processes["api-1"].address,
        "ADMIN_UPSTREAM": platform.processes["admin"].address, "STATE_DIR": str(tmp_path / "gateway"),
        "TLS_CERTIFICATE": str(certificate), "TLS_CERTIFICATE_KEY": str(key), "WORKER_PROCESSES": "1"})
    gateway = subprocess.Popen(nginx_command(write_config(settings)), stderr=subprocess.PIPE)
    try:
        answer = _wait_for(f"https://localhost:{port}/health", certificate)
        assert answer.status_code == 200 and answer.json()["status"] == "OK"
        for path in ("/health", "/", API_ROUTE):  # "/" and /api/ add headers of their own: HSTS must stay
            answer = requests.get(f"https://localhost:{port}{path}", verify=str(certificate), timeout=5)
            assert answer.headers["Strict-Transport-Security"].startswith("max-age="), path
    finally:
        gateway.terminate()
        gateway.wait(timeout=10)


def _wait_for(url: str, certificate: Path) -> requests.Response:
    deadline = time.monotonic() + 10
    while True:
        try:
            return requests.get(url, verify=str(certificate), timeout=5)
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_a_certificate_without_its_key_is_refused() -> None:
    with pytest.raises(SettingsError, match="TLS_CERTIFICATE and TLS_CERTIFICATE_KEY"):
        load_settings(GatewaySettings, {"TLS_CERTIFICATE": "/etc/ssl/cert.pem"})


def test_render_command_writes_a_configuration_nginx_accepts(tmp_path: Path) -> None:
    config = tmp_path / "nginx.conf"
    subprocess.run([sys.executable, "-m", "runner.gateway", "render", str(config)], check=True,
                   env={"PATH": "/usr/bin:/bin", "API_UPSTREAM": "127.0.0.1:1,127.0.0.1:2", "STATE_DIR": str(tmp_path)})
    text = config.read_text()
    assert "server 127.0.0.1:1 " in text and "server 127.0.0.1:2 " in text
    checked = subprocess.run(["nginx", "-t", "-p", str(tmp_path), "-c", str(config)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr


def test_requests_nginx_refuses_itself_get_json_errors(platform: LocalPlatform) -> None:
    malformed = requests.get(f"{platform.url}/api/v1/a%00b", timeout=10)
    assert malformed.status_code == 400 and malformed.json()["message"] == "The request is malformed"
    too_long = requests.get(f"{platform.url}/api/v1/{'a' * 9000}", timeout=10)
    assert too_long.status_code == 414 and too_long.json()["message"] == "The request line is too long"
