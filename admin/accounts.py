"""User accounts: sign-up, sign-in, profile and password, global roles. No Flask here: the admin's
views and the ``likeness`` CLI call the same functions, each inside the caller's transaction."""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import exists, func, select, text, update
from sqlalchemy.orm import Session

from admin import auth_sessions, errors, installation, passwords, throttle
from admin.permissions import Action, Actor, require
from db.models import GlobalRole, User

log = logging.getLogger(__name__)

EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
EMAIL_LENGTH = User.__table__.c.email.type.length
NAME_LENGTH = User.__table__.c.first_name.type.length
# Serialises sign-ups, so that two first users cannot both become the owner.
_SIGN_UP_LOCK = 0x6C696B65  # "like"


def normalise_email(email: object) -> str:
    """``email`` trimmed and lower-cased (CompreFace compares them so); raises code 22 when it is
    not an address."""
    if not isinstance(email, str) or len(email.strip()) > EMAIL_LENGTH or not EMAIL.fullmatch(email.strip()):
        raise errors.invalid_email()
    return email.strip().lower()


def person_name(value: object, field: str) -> str:
    """A first or last name: a string of at most 63 characters, trimmed."""
    if value is None:
        return ""
    if not isinstance(value, str) or len(value.strip()) > NAME_LENGTH:
        raise errors.validation(f"{field} must be text of at most {NAME_LENGTH} characters")
    return value.strip()


def user_by_guid(db: Session, guid: uuid.UUID) -> User:
    user = db.scalar(select(User).where(User.guid == guid))
    if user is None:
        raise errors.user_not_found(guid)
    return user


def user_by_email(db: Session, email: object) -> User | None:
    return db.scalar(select(User).where(func.lower(User.email) == normalise_email(email)))


def create_user(db: Session, email: object, password: object, first_name: object = "", last_name: object = "",
                global_role: GlobalRole | None = None) -> User:
    """A new user. Without ``global_role`` (sign-up), the user becomes the OWNER when there is
    none yet (the first user), else a USER, and only while sign-up is open (code 54). Raises
    code 4 when the address is registered."""
    email = normalise_email(email)
    password = passwords.check_policy(password)
    db.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SIGN_UP_LOCK})
    if user_by_email(db, email) is not None:
        raise errors.email_registered()
    if global_role is None:
        has_owner = db.scalar(select(exists().where(User.global_role == GlobalRole.OWNER)))
        if has_owner and not installation.settings(db).sign_up_open:
            raise errors.sign_up_closed()
        global_role = GlobalRole.USER if has_owner else GlobalRole.OWNER
    user = User(email=email, password_hash=passwords.hash_password(password), global_role=global_role,
                first_name=person_name(first_name, "firstName"), last_name=person_name(last_name, "lastName"))
    db.add(user)
    db.flush()
    log.info("Created user %s (%s)", email, global_role)
    return user


@dataclass(frozen=True)
class SignIn:
    """What a sign-in came to: a user and session token, a lock (``retry_after`` seconds), or
    neither (wrong e-mail address or password; which of the two is not told)."""

    user: User | None = None
    token: str | None = None
    retry_after: int | None = None


def sign_in(db: Session, email: object, password: object, client: str | None, email_policy: throttle.Policy,
            client_policy: throttle.Policy, lifetime: timedelta) -> SignIn:
    """Check the password and open a session. Failures are recorded in ``db`` and returned, not
    raised, so that the caller commits them."""
    email = normalise_email(email)
    if not isinstance(password, str) or not password:
        raise errors.validation("password cannot be empty")
    keys = [throttle.email_key(email), throttle.client_key(client)]
    wait = throttle.retry_after(db, keys)
    if wait is not None:
        log.info("Sign-in of %s from %s refused: locked for %d s", email, client, wait)
        return SignIn(retry_after=wait)
    user = user_by_email(db, email)
    known = user is not None and user.enabled
    if not passwords.verify(user.password_hash if known else None, password):
        throttle.record_failure(db, keys[0], email_policy)
        throttle.record_failure(db, keys[1], client_policy)
        throttle.forget_stale(db, email_policy)
        log.info("Failed sign-in of %s from %s", email, client)
        return SignIn()
    throttle.forget(db, keys[0])
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    log.info("User %s signed in from %s", email, client)
    return SignIn(user=user, token=auth_sessions.open_session(db, user.id, lifetime))


def current_user(db: Session, actor: Actor) -> User:
    """The signed-in user behind ``actor``."""
    user = db.get(User, actor.user_id) if actor.user_id is not None else None
    if user is None:
        raise errors.sign_in_required()
    return user


def update_name(db: Session, actor: Actor, first_name: object, last_name: object) -> User:
    user = current_user(db, actor)
    user.first_name = person_name(first_name, "firstName")
    user.last_name = person_name(last_name, "lastName")
    return user


def change_password(db: Session, actor: Actor, old_password: object, new_password: object,
                    keep_token: str | None) -> None:
    """Set a new password after checking the old one (code 18 when wrong); every other session
    of the user ends."""
    user = current_user(db, actor)
    new_password = passwords.check_policy(new_password, "newPassword")
    if not isinstance(old_password, str) or not passwords.verify(user.password_hash, old_password):
        raise errors.wrong_password()
    user.password_hash = passwords.hash_password(new_password)
    auth_sessions.revoke_all(db, user.id, keep_token=keep_token)


def reset_password(db: Session, email: object, new_password: object) -> User:
    """Set a user's password without the old one (the operator at the console); ends every
    session of the user."""
    user = user_by_email(db, email)
    if user is None:
        raise errors.user_not_found(email)
    user.password_hash = passwords.hash_password(passwords.check_policy(new_password))
    auth_sessions.revoke_all(db, user.id)
    return user


def list_users(db: Session, actor: Actor) -> list[User]:
    """Every user, by e-mail address (global OWNER and ADMINISTRATOR only)."""
    require(actor, Action.LIST_USERS)
    return list(db.scalars(select(User).order_by(User.email)))


def change_global_role(db: Session, actor: Actor, user_guid: uuid.UUID, role: GlobalRole) -> User:
    """CompreFace's rules: nobody changes their own role; an ADMINISTRATOR neither touches the
    OWNER nor grants OWNER; the OWNER who makes someone else OWNER becomes ADMINISTRATOR."""
    require(actor, Action.CHANGE_GLOBAL_ROLE)
    user = user_by_guid(db, user_guid)
    if user.id == actor.user_id:
        raise errors.own_role()
    if actor.global_role != GlobalRole.OWNER and GlobalRole.OWNER in (user.global_role, role):
        raise errors.not_allowed()
    if role == GlobalRole.OWNER:
        db.execute(update(User).where(User.global_role == GlobalRole.OWNER)
                   .values(global_role=GlobalRole.ADMINISTRATOR))
    user.global_role = role
    return user
