"""Members of an application and their roles (CompreFace's rules)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from admin import accounts, errors
from admin.applications import authorize, set_owner
from admin.permissions import Action, Actor
from db.models import AppMember, AppRole, User


@dataclass(frozen=True)
class Member:
    user: User
    role: AppRole


def list_members(db: Session, actor: Actor, app_guid: uuid.UUID) -> list[Member]:
    """The application's members by e-mail address (every member may see them)."""
    access = authorize(db, actor, app_guid, Action.VIEW_APP)
    rows = db.execute(select(User, AppMember.role).join(AppMember, AppMember.user_id == User.id)
                      .where(AppMember.app_id == access.app.id).order_by(User.email))
    return [Member(user, role) for user, role in rows]


def add_member(db: Session, actor: Actor, app_guid: uuid.UUID, email: object, role: AppRole) -> Member:
    """Invite a registered user (code 16 when there is none, 19 when already a member). Inviting
    as OWNER hands the application over: the previous owner becomes ADMINISTRATOR."""
    access = authorize(db, actor, app_guid, Action.MANAGE_MEMBERS)
    user = accounts.user_by_email(db, email)
    if user is None:
        raise errors.user_not_found(email)
    if db.get(AppMember, (access.app.id, user.id)) is not None:
        raise errors.already_member()
    db.add(AppMember(app_id=access.app.id, user_id=user.id, role=role))
    db.flush()
    if role == AppRole.OWNER:
        set_owner(db, access.app.id, user.id)
    return Member(user, role)


def change_role(db: Session, actor: Actor, app_guid: uuid.UUID, user_guid: uuid.UUID, role: AppRole) -> Member:
    """Nobody changes their own role (code 14); the owner is not demoted directly but hands the
    application over by making another member OWNER."""
    access = authorize(db, actor, app_guid, Action.MANAGE_MEMBERS)
    user, member = _member(db, access.app.id, user_guid)
    if user.id == actor.user_id:
        raise errors.own_role()
    if member.role == AppRole.OWNER and role != AppRole.OWNER:
        raise errors.not_allowed("The owner's role changes only by making another member OWNER")
    if role == AppRole.OWNER:
        set_owner(db, access.app.id, user.id)
    else:
        member.role = role
    db.flush()
    return Member(user, role)


def remove_member(db: Session, actor: Actor, app_guid: uuid.UUID, user_guid: uuid.UUID) -> None:
    """Remove a member; never the owner (hand the application over first)."""
    access = authorize(db, actor, app_guid, Action.MANAGE_MEMBERS)
    _, member = _member(db, access.app.id, user_guid)
    if member.role == AppRole.OWNER:
        raise errors.not_allowed("The owner cannot be removed; make another member OWNER first")
    db.delete(member)
    db.flush()


def _member(db: Session, app_id: int, user_guid: uuid.UUID) -> tuple[User, AppMember]:
    user = accounts.user_by_guid(db, user_guid)
    member = db.get(AppMember, (app_id, user.id))
    if member is None:
        raise errors.user_not_found(user_guid)
    return user, member
