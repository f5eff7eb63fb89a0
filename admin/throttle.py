"""Slows down password guessing: failed sign-ins are counted per e-mail address and per client
address, and after too many a key is locked for a time that doubles with every further failure.

A locked key refuses sign-ins before the password is checked, so guesses made during a lock
tell nothing. Failures are counted whether or not the e-mail address belongs to a user, so the
answers never tell which addresses are registered.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import case, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from db.models import SignInFailure


@dataclass(frozen=True)
class Policy:
    free_failures: int       # failures of one key before it is locked
    lock_seconds: int        # the first lock; doubled by every further failure
    max_lock_seconds: int
    window_seconds: int      # failures are forgotten this long after the last one

    def lock_for(self, failures: int) -> int:
        """Seconds a key is locked after its ``failures``-th failure (0: not locked)."""
        if failures < self.free_failures:
            return 0
        doublings = min(failures - self.free_failures, 32)
        return min(self.lock_seconds * 2 ** doublings, self.max_lock_seconds)


def email_key(email: str) -> str:
    return f"email:{email.lower()}"


def client_key(address: str | None) -> str:
    return f"client:{address or 'unknown'}"


def retry_after(db: Session, keys: list[str]) -> int | None:
    """Seconds until none of ``keys`` is locked; None when none is."""
    until = db.scalar(select(func.max(SignInFailure.locked_until)).where(SignInFailure.key.in_(keys)))
    if until is None:
        return None
    remaining = (until - datetime.now(timezone.utc)).total_seconds()
    return math.ceil(remaining) if remaining > 0 else None


def record_failure(db: Session, key: str, policy: Policy) -> int:
    """Count a failed sign-in of ``key`` and lock it when it has too many; its failure count."""
    now = datetime.now(timezone.utc)
    stale = SignInFailure.last_failure_at < now - timedelta(seconds=policy.window_seconds)
    counted = insert(SignInFailure).values(key=key, failures=1, last_failure_at=now).on_conflict_do_update(
        index_elements=[SignInFailure.key],
        set_={"failures": case((stale, 1), else_=SignInFailure.failures + 1), "last_failure_at": now},
    ).returning(SignInFailure.failures)
    failures = db.scalar(counted)
    lock = policy.lock_for(failures)
    db.execute(update(SignInFailure).where(SignInFailure.key == key)
               .values(locked_until=now + timedelta(seconds=lock) if lock else None))
    return failures


def forget_stale(db: Session, policy: Policy) -> None:
    """Delete the keys whose failures are forgotten and that are not locked. Rows that other
    sign-ins hold are skipped (left for later), so this never waits: call it last."""
    now = datetime.now(timezone.utc)
    stale = (select(SignInFailure.key)
             .where(SignInFailure.last_failure_at < now - timedelta(seconds=policy.window_seconds),
                    or_(SignInFailure.locked_until.is_(None), SignInFailure.locked_until < now))
             .with_for_update(skip_locked=True))
    db.execute(delete(SignInFailure).where(SignInFailure.key.in_(stale)))


def forget(db: Session, key: str) -> None:
    """Clear ``key``'s failures (after a successful sign-in)."""
    db.execute(delete(SignInFailure).where(SignInFailure.key == key))
