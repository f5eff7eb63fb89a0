"""Settings shared by every service: declared once per service, read from the environment.

Each service subclasses :class:`ServiceSettings` and declares its options as fields with a
default and a description. :func:`load_settings` reads them from environment variables of the
same name (upper case), stops the start with a readable message when a value is malformed, and
:func:`describe_settings` renders every option with its value and default for the start-up log,
secrets masked.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Literal, TypeVar

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

# The project folder (the repository, /app in the images): var/ and the default paths hang off it.
PROJECT_ROOT = Path(__file__).resolve().parent.parent

LogLevel = Literal["DEBUG", "INFO", "FATAL"]
LogFormat = Literal["text", "json"]

MASK = "********"


class ServiceSettings(BaseSettings):
    """Options every service has. Environment variable names equal the upper-case field names."""

    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore", frozen=True)

    port: int = Field(default=8080, ge=1, le=65535, description="Port the service listens on")
    log_level: LogLevel = Field(default="INFO", description="DEBUG, INFO or FATAL")
    log_format: LogFormat = Field(default="text", description="text (readable lines) or json (one object per line)")


class SettingsError(SystemExit):
    """Raised (as a SystemExit, so the process stops) when the environment holds a bad value."""


S = TypeVar("S", bound=ServiceSettings)


def load_settings(settings_class: type[S], environ: dict[str, str] | None = None) -> S:
    """Read ``settings_class`` from ``environ`` (the process environment by default).

    A malformed value raises :class:`SettingsError` whose message names the variable, the value
    given and what is expected.
    """
    try:
        if environ is None:
            return settings_class()
        return settings_class(**_matching_values(settings_class, environ))
    except ValidationError as error:
        raise SettingsError(_explain(settings_class, error, environ)) from None


def _matching_values(settings_class: type[ServiceSettings], environ: dict[str, str]) -> dict[str, str]:
    wanted = {name.upper(): name for name in settings_class.model_fields}
    return {wanted[key.upper()]: value for key, value in environ.items() if key.upper() in wanted}


def _explain(settings_class: type[ServiceSettings], error: ValidationError,
             environ: dict[str, str] | None) -> str:
    lines = [f"Invalid configuration for {settings_class.__name__}:"]
    for problem in error.errors():
        if not problem["loc"]:  # a rule across several options
            lines.append(f"  {problem['msg']}")
            continue
        field = str(problem["loc"][0])
        env_name = field.upper()
        given = (environ or {}).get(env_name, problem.get("input"))
        shown = MASK if _is_secret(settings_class, field) else repr(given)
        lines.append(f"  {env_name}={shown}: {problem['msg']}")
    return "\n".join(lines)


def _is_secret(settings_class: type[ServiceSettings], field: str) -> bool:
    info = settings_class.model_fields.get(field)
    return info is not None and info.annotation in (SecretStr, SecretStr | None)


def describe_settings(settings: ServiceSettings) -> list[str]:
    """One line per option: ``NAME=value (default: ..., help)``, secrets masked."""
    lines = []
    for name, info in type(settings).model_fields.items():
        value = getattr(settings, name)
        default = info.default
        if _is_secret(type(settings), name):
            value = MASK if value else ""
            default = MASK if default else ""
        lines.append(f"{name.upper()}={_render(value)} (default: {_render(default)}; {info.description or ''})")
    return lines


def _render(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return str(value)


def print_settings(service: str, settings: ServiceSettings, stream=sys.stderr) -> None:
    """Write every option of ``service`` to ``stream``, as the design asks of each start."""
    print(f"{service} settings:", file=stream)
    for line in describe_settings(settings):
        print(f"  {line}", file=stream)
    stream.flush()
