"""The installation's users as its owner and administrators manage them: accounts made for
someone (who sets their password with a one-time link), disabled accounts, new links for those
who forgot their password."""

from __future__ import annotations

import secrets
import uuid
from datetime import timedelta

from sqlalchemy.orm import Session

from admin import accounts, auth_sessions, errors, password_links
from admin.permissions import Action, Actor, require
from db.models import GlobalRole, User


def create_account(db: Session, actor: Actor, email: object, first_name: object, last_name: object,
                   role: GlobalRole, link_lifetime: timedelta) -> tuple[User, password_links.IssuedLink]:
    """A new account and the one-time link with which its user chooses a password. Nobody is
    made OWNER this way (ownership is handed over with the role call)."""
    require(actor, Action.MANAGE_USERS)
    if role == GlobalRole.OWNER:
        raise errors.not_allowed("A new account cannot be the owner; hand ownership over afterwards")
    # Nobody knows this password: the account is usable once its user has followed the link.
    user = accounts.create_user(db, email, secrets.token_urlsafe(32), first_name, last_name, global_role=role)
    return user, password_links.issue(db, user, link_lifetime)


def set_enabled(db: Session, actor: Actor, user_guid: uuid.UUID, enabled: object) -> User:
    """Disable (every session ends, sign-in refused) or enable an account again."""
    if not isinstance(enabled, bool):
        raise errors.validation("enabled must be true or false")
    user = _managed_user(db, actor, user_guid)
    user.enabled = enabled
    if not enabled:
        auth_sessions.revoke_all(db, user.id)
    return user


def new_password_link(db: Session, actor: Actor, user_guid: uuid.UUID,
                      lifetime: timedelta) -> tuple[User, password_links.IssuedLink]:
    """A new one-time set-password link for a user (their password works until they use it)."""
    user = _managed_user(db, actor, user_guid)
    return user, password_links.issue(db, user, lifetime)


def _managed_user(db: Session, actor: Actor, user_guid: uuid.UUID) -> User:
    """A user ``actor`` may manage: not themselves, and the OWNER only by the OWNER."""
    require(actor, Action.MANAGE_USERS)
    user = accounts.user_by_guid(db, user_guid)
    if user.id == actor.user_id:
        raise errors.not_allowed("Manage your own account on the account page")
    if user.global_role == GlobalRole.OWNER and actor.global_role != GlobalRole.OWNER:
        raise errors.not_allowed()
    return user
