"""Sign-in sessions: random tokens, stored as SHA-256 hashes, that expire and can be revoked.

The token travels only in the HttpOnly session cookie. The CSRF token of a session is derived
from it (an HMAC), so it needs no storage and cannot be forged without the session token.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from admin.permissions import Actor
from db.models import AdminSession, User


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_token_for(token: str) -> str:
    """The CSRF token that goes with session ``token``."""
    return hmac.new(token.encode(), b"likeness-admin-csrf", hashlib.sha256).hexdigest()


def open_session(db: Session, user_id: int, lifetime: timedelta) -> str:
    """A new session of ``user_id`` for ``lifetime``; its token. Expired sessions of the user go."""
    now = datetime.now(timezone.utc)
    db.execute(delete(AdminSession).where(AdminSession.user_id == user_id, AdminSession.expires_at < now))
    token = secrets.token_urlsafe(32)
    db.add(AdminSession(token_hash=token_hash(token), user_id=user_id, expires_at=now + lifetime))
    db.flush()
    return token


def actor_for_token(db: Session, token: str) -> Actor | None:
    """Who the session ``token`` belongs to; None when it is unknown, expired or revoked, or its
    user is disabled."""
    row = db.execute(
        select(User.id, User.global_role).join(AdminSession, AdminSession.user_id == User.id)
        .where(AdminSession.token_hash == token_hash(token), AdminSession.revoked_at.is_(None),
               AdminSession.expires_at > func.now(), User.enabled.is_(True))
    ).one_or_none()
    return None if row is None else Actor(row.id, row.global_role)


def revoke(db: Session, token: str) -> None:
    """End the session ``token`` (sign-out)."""
    db.execute(update(AdminSession).where(AdminSession.token_hash == token_hash(token),
                                          AdminSession.revoked_at.is_(None)).values(revoked_at=func.now()))


def revoke_all(db: Session, user_id: int, keep_token: str | None = None) -> int:
    """End every session of ``user_id`` but ``keep_token``'s; how many were ended."""
    statement = update(AdminSession).where(AdminSession.user_id == user_id, AdminSession.revoked_at.is_(None))
    if keep_token is not None:
        statement = statement.where(AdminSession.token_hash != token_hash(keep_token))
    return db.execute(statement.values(revoked_at=func.now())).rowcount
