"""The admin's options come from the environment, like every service's."""

from __future__ import annotations

import pytest

from admin.settings import AdminSettings
from common.config import SettingsError, describe_settings, load_settings


def test_defaults_and_lists() -> None:
    settings = load_settings(AdminSettings, {"API_URLS": " http://api-1:8080/ , http://api-2:8080/rr/cs/,",
                                             "DATABASE_URL": "postgresql://admin:hunter2@db/likeness"})
    assert (settings.port, settings.session_hours, settings.secure_cookies) == (8081, 12.0, False)
    assert settings.api_url_list() == ["http://api-1:8080", "http://api-2:8080/rr/cs"]
    described = "\n".join(describe_settings(settings))
    assert "SIGN_IN_FREE_FAILURES=5" in described and "hunter2" not in described


@pytest.mark.parametrize("name, value", [("SESSION_HOURS", "0"), ("SECURE_COOKIES", "maybe"),
                                         ("SIGN_IN_FREE_FAILURES", "0"), ("PROXY_COUNT", "-1")])
def test_malformed_values_stop_the_start(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        load_settings(AdminSettings, {name: value})
