"""CompreFace's rules for the names people give things: subjects, applications and services.

Each is 1 to :data:`NAME_LENGTH` characters without ``;``, ``/`` or ``\\``. A subject that breaks
the character rule gets code 36; an application or service name code 26 (CompreFace's codes).
"""

from __future__ import annotations

from common import errors

NAME_LENGTH = 50
FORBIDDEN_CHARACTERS = (";", "/", "\\")


def has_forbidden_character(name: str) -> bool:
    return any(character in name for character in FORBIDDEN_CHARACTERS)


def subject_name(name: object) -> str:
    """A subject's name as CompreFace's subject DTO accepts it (kept as given, not trimmed)."""
    if not isinstance(name, str) or not name.strip():
        raise errors.validation("Subject name cannot be empty")
    if len(name) > NAME_LENGTH:
        raise errors.validation(f"Subject name size must be between 1 and {NAME_LENGTH}")
    if has_forbidden_character(name):
        raise errors.bad_subject_name()
    return name


def entity_name(name: object, what: str) -> str:
    """An application or service name (``what`` says which, for the message), trimmed."""
    if not isinstance(name, str) or not name.strip():
        raise errors.validation(f"{what} name cannot be empty")
    name = name.strip()
    if len(name) > NAME_LENGTH:
        raise errors.validation(f"{what} name must have 1 to {NAME_LENGTH} characters")
    if has_forbidden_character(name):
        raise errors.validation(f"{what} name cannot contain ';', '/' or '\\'")
    return name
