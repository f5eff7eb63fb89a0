"""The shared settings helper every service uses."""

from __future__ import annotations

import io

import pytest
from pydantic import Field, SecretStr

from common.config import ServiceSettings, SettingsError, describe_settings, load_settings, print_settings


class ExampleSettings(ServiceSettings):
    workers: int = Field(default=4, ge=1, description="How many workers")
    database_password: SecretStr = Field(default=SecretStr("changeme"), description="Database password")


def test_defaults_and_environment_values() -> None:
    settings = load_settings(ExampleSettings, {"WORKERS": "7", "log_level": "DEBUG", "UNRELATED": "x"})
    assert settings.workers == 7 and settings.log_level == "DEBUG" and settings.port == 8080


def test_every_option_is_printed_with_value_and_default_and_secrets_are_masked() -> None:
    settings = load_settings(ExampleSettings, {"DATABASE_PASSWORD": "hunter2", "WORKERS": "2"})
    stream = io.StringIO()
    print_settings("example", settings, stream)
    text = stream.getvalue()
    assert "hunter2" not in text and "changeme" not in text
    lines = describe_settings(settings)
    assert any(line.startswith("WORKERS=2 (default: 4; How many workers)") for line in lines)
    assert any(line.startswith("DATABASE_PASSWORD=******** ") for line in lines)
    assert {line.split("=")[0] for line in lines} == {"PORT", "LOG_LEVEL", "LOG_FORMAT", "WORKERS", "DATABASE_PASSWORD"}


@pytest.mark.parametrize("environ, expected", [
    ({"WORKERS": "many"}, "WORKERS='many'"),
    ({"WORKERS": "0"}, "WORKERS='0'"),
    ({"LOG_LEVEL": "WARN"}, "LOG_LEVEL='WARN'"),
    ({"PORT": "70000"}, "PORT='70000'"),
])
def test_malformed_values_stop_with_a_message_naming_the_variable(environ, expected) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings(ExampleSettings, environ)
    assert expected in str(raised.value)


def test_malformed_secret_is_not_echoed() -> None:
    class Strict(ServiceSettings):
        token: SecretStr = Field(min_length=10, default=SecretStr("0123456789"))

    with pytest.raises(SettingsError) as raised:
        load_settings(Strict, {"TOKEN": "short"})
    assert "short" not in str(raised.value) and "TOKEN=" in str(raised.value)
