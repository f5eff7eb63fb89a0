"""Health of the parts of the installation, for /admin/ready and /admin/status."""

from __future__ import annotations

import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy.orm import sessionmaker

from common.core_client import CoreClient
from db.engine import database_reachable

OK, DOWN, NOT_CONFIGURED = "OK", "DOWN", "NOT_CONFIGURED"


def api_ready(base_url: str, timeout_s: float) -> bool:
    """Whether the api server at ``base_url`` answers its ``/ready`` with 200."""
    try:
        with urllib.request.urlopen(f"{base_url}/ready", timeout=timeout_s) as answer:
            return answer.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


def core_serving(python_url: str, timeout_s: float) -> bool:
    """Whether some core server named by ``python_url`` (the api's PYTHON_URL forms) is SERVING."""
    try:
        client = CoreClient(python_url, connect_timeout_s=timeout_s, read_timeout_s=timeout_s)
    except ValueError:  # malformed, or a host that does not resolve
        return False
    with client:
        return client.ready(timeout_s)


def status(sessions: sessionmaker, api_urls: list[str], python_url: str, timeout_s: float) -> dict[str, object]:
    """Every part checked at once: ``{"status", "admin", "database", "api": [{url, status}], "core"}``;
    ``status`` is OK when every configured part is."""
    with ThreadPoolExecutor(max_workers=2 + len(api_urls)) as pool:
        database = pool.submit(database_reachable, sessions)
        core = pool.submit(core_serving, python_url, timeout_s) if python_url.strip() else None
        apis = [(url, pool.submit(api_ready, url, timeout_s)) for url in api_urls]
        parts = {
            "admin": OK,
            "database": OK if database.result() else DOWN,
            "api": [{"url": url, "status": OK if ready.result() else DOWN} for url, ready in apis],
            "core": NOT_CONFIGURED if core is None else OK if core.result() else DOWN,
        }
    healthy = (parts["database"] == OK and parts["core"] != DOWN
               and all(api["status"] == OK for api in parts["api"]))
    return {"status": OK if healthy else "NOT_READY", **parts}
