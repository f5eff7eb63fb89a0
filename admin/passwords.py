"""Passwords: argon2id hashes (argon2-cffi's recommended parameters), never the password itself."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from admin import errors

MIN_LENGTH = 8
MAX_LENGTH = 255

_hasher = PasswordHasher()  # argon2id
# Verified against when no user has the e-mail address, so that both cases take as long.
_DUMMY_HASH = _hasher.hash("likeness-no-such-user")


def check_policy(password: object, field: str = "password") -> str:
    """``password`` when it is acceptable; raises a validation error (code 26) otherwise."""
    if not isinstance(password, str) or not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        raise errors.validation(f"{field} must have {MIN_LENGTH} to {MAX_LENGTH} characters")
    return password


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches ``password_hash``; with None, as slow as a real check, and False."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made with weaker parameters than today's (then rehash at sign-in)."""
    return _hasher.check_needs_rehash(password_hash)
