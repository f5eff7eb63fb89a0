"""One-time set-password links: random tokens, stored as SHA-256 hashes, that work once and expire.

There is no mail server: the owner hands a new user (or one who forgot their password) the link
shown once in the web UI. The token travels in the URL's fragment (``/#/set-password/<token>``),
which browsers never send to a server, so it stays out of access logs.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from admin import auth_sessions, errors, passwords
from db.models import PasswordLink, User

LINK_PATH = "/#/set-password/"


@dataclass(frozen=True)
class IssuedLink:
    """A link as shown once: its token, where it leads, and until when it works."""

    token: str
    expires_at: datetime

    @property
    def path(self) -> str:
        return LINK_PATH + self.token


def issue(db: Session, user: User, lifetime: timedelta) -> IssuedLink:
    """A new link for ``user``; the user's earlier unused links stop working."""
    now = datetime.now(timezone.utc)
    db.execute(update(PasswordLink).where(PasswordLink.user_id == user.id, PasswordLink.used_at.is_(None))
               .values(used_at=now))
    token = secrets.token_urlsafe(32)
    link = PasswordLink(token_hash=auth_sessions.token_hash(token), user_id=user.id, expires_at=now + lifetime)
    db.add(link)
    db.flush()
    return IssuedLink(token, link.expires_at)


def redeem(db: Session, token: object, password: object) -> User:
    """Set the password of the link's user and use the link up; every session of the user ends.
    Code 55 when the link is unknown, used, expired or its user disabled."""
    password = passwords.check_policy(password)
    if not isinstance(token, str) or not token:
        raise errors.password_link_invalid()
    row = db.execute(
        select(PasswordLink, User).join(User, PasswordLink.user_id == User.id)
        .where(PasswordLink.token_hash == auth_sessions.token_hash(token), PasswordLink.used_at.is_(None),
               PasswordLink.expires_at > func.now(), User.enabled.is_(True))
        .with_for_update()
    ).one_or_none()
    if row is None:
        raise errors.password_link_invalid()
    link, user = row
    link.used_at = datetime.now(timezone.utc)
    user.password_hash = passwords.hash_password(password)
    auth_sessions.revoke_all(db, user.id)
    return user
