"""Applications: the containers of services and members. Every function checks the actor's
rights (admin.permissions) and works in the caller's transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import and_, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from admin import announce, errors
from admin.permissions import Action, Actor, effective_app_role, require, require_in_app
from common.names import entity_name as check_name  # also admin.services'
from db.models import AppMember, AppRole, Application, Service, User


@dataclass(frozen=True)
class AppAccess:
    """An application with the role the actor acts with in it, and its owner (None: an
    application made at the console, which has none). ``member_role`` is the role the actor was
    given as a member (None: not a member; a global OWNER or ADMINISTRATOR acts as OWNER anyway)."""

    app: Application
    role: AppRole
    owner: User | None = None
    member_role: AppRole | None = None


def authorize(db: Session, actor: Actor, app_guid: uuid.UUID, action: Action) -> AppAccess:
    """The application ``app_guid`` when ``actor`` may do ``action`` in it (else 404 or 403)."""
    row = db.execute(
        select(Application, AppMember.role)
        .outerjoin(AppMember, and_(AppMember.app_id == Application.id, AppMember.user_id == actor.user_id))
        .where(Application.guid == app_guid)
    ).one_or_none()
    if row is None:
        raise errors.app_not_found(app_guid)
    return AppAccess(row[0], require_in_app(actor, action, row[1], app_guid), _owners(db, [row[0].id]).get(row[0].id),
                     row[1])


def list_apps(db: Session, actor: Actor) -> list[AppAccess]:
    """The applications ``actor`` may see, by name."""
    rows = db.execute(
        select(Application, AppMember.role)
        .outerjoin(AppMember, and_(AppMember.app_id == Application.id, AppMember.user_id == actor.user_id))
        .order_by(func.lower(Application.name))
    ).all()
    visible = [(app, role, member_role) for app, member_role in rows
               if (role := effective_app_role(actor, member_role)) is not None]
    owners = _owners(db, [app.id for app, _, _ in visible])
    return [AppAccess(app, role, owners.get(app.id), member_role) for app, role, member_role in visible]


def create_app(db: Session, actor: Actor, name: object) -> AppAccess:
    """A new application, owned by the actor (global OWNER and ADMINISTRATOR only). Names are
    unique across the installation (code 17)."""
    require(actor, Action.CREATE_APP)
    name = check_name(name, "Application")
    _check_unique(db, name)
    app = Application(name=name)
    db.add(app)
    flush_unique(db, name)
    owner = None
    if actor.user_id is not None:
        db.add(AppMember(app_id=app.id, user_id=actor.user_id, role=AppRole.OWNER))
        owner = db.get(User, actor.user_id)
    db.flush()
    return AppAccess(app, AppRole.OWNER, owner, AppRole.OWNER if owner else None)


def rename_app(db: Session, actor: Actor, app_guid: uuid.UUID, name: object) -> AppAccess:
    access = authorize(db, actor, app_guid, Action.RENAME_APP)
    name = check_name(name, "Application")
    if name != access.app.name:
        _check_unique(db, name)
        access.app.name = name
        flush_unique(db, name)
    return access


def delete_app(db: Session, actor: Actor, app_guid: uuid.UUID) -> None:
    """Delete the application with its services and their collections; api servers drop them."""
    access = authorize(db, actor, app_guid, Action.DELETE_APP)
    for service in db.scalars(select(Service).where(Service.app_id == access.app.id).order_by(Service.id)):
        announce.service_deleted(db, service)
    db.delete(access.app)
    db.flush()


def set_owner(db: Session, app_id: int, user_id: int) -> None:
    """Make ``user_id`` (a member) the application's owner; the previous owner becomes
    ADMINISTRATOR (CompreFace's hand-over)."""
    db.execute(update(AppMember).where(AppMember.app_id == app_id, AppMember.role == AppRole.OWNER,
                                       AppMember.user_id != user_id).values(role=AppRole.ADMINISTRATOR))
    db.execute(update(AppMember).where(AppMember.app_id == app_id, AppMember.user_id == user_id)
               .values(role=AppRole.OWNER))


def flush_unique(db: Session, name: str) -> None:
    """Flush; a unique index refusing ``name`` (a concurrent change took it) is code 17."""
    try:
        db.flush()
    except IntegrityError:
        raise errors.name_taken(name) from None


def _check_unique(db: Session, name: str) -> None:
    if db.scalar(select(Application.id).where(Application.name == name)) is not None:
        raise errors.name_taken(name)


def _owners(db: Session, app_ids: list[int]) -> dict[int, User]:
    rows = db.execute(select(AppMember.app_id, User).join(User, User.id == AppMember.user_id)
                      .where(AppMember.app_id.in_(app_ids), AppMember.role == AppRole.OWNER))
    return {app_id: user for app_id, user in rows}
