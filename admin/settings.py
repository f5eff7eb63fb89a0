"""The admin server's options, read from the environment."""

from __future__ import annotations

from pydantic import Field, SecretStr

from common.config import ServiceSettings


class AdminSettings(ServiceSettings):
    port: int = Field(default=8081, ge=1, le=65535, description="HTTP port")
    database_url: SecretStr | None = Field(
        default=None, description="PostgreSQL URL; unset = the embedded server under var/pgdata"
    )
    session_hours: float = Field(default=12.0, gt=0, le=24 * 90, description="How long a sign-in lasts")
    password_link_hours: float = Field(
        default=72.0, gt=0, le=24 * 30, description="How long a one-time set-password link works"
    )
    secure_cookies: bool = Field(
        default=False, description="Mark cookies Secure (true whenever the admin is reached over HTTPS)"
    )
    proxy_count: int = Field(
        default=0, ge=0, le=5,
        description="Proxies in front of admin whose X-Forwarded-For is trusted (1 behind the gateway)",
    )
    api_urls: str = Field(
        default="", description="Comma-separated api server base URLs (with API_BASEPATH) for the status call"
    )
    python_url: str = Field(
        default="127.0.0.1:50051", description="Core servers for the status call, as the api's PYTHON_URL; empty = none"
    )
    status_timeout_s: float = Field(default=2.0, gt=0, le=30, description="Time each status check may take")
    sign_in_free_failures: int = Field(
        default=5, ge=1, description="Failed sign-ins for one e-mail address before it is locked for a while"
    )
    sign_in_free_failures_per_client: int = Field(
        default=50, ge=1, description="Failed sign-ins from one client address before it is locked for a while"
    )
    sign_in_lock_seconds: int = Field(
        default=30, ge=1, description="First lock after too many failures; each further failure doubles it"
    )
    sign_in_max_lock_seconds: int = Field(default=900, ge=1, description="Longest lock")
    sign_in_failure_window_seconds: int = Field(
        default=3600, ge=1, description="Failures are forgotten this long after the last one"
    )

    def api_url_list(self) -> list[str]:
        """``api_urls`` as a list, without trailing slashes."""
        return [url.strip().rstrip("/") for url in self.api_urls.split(",") if url.strip()]
