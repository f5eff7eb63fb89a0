"""Who may do what: CompreFace's roles as one table.

Global roles act on the installation, application roles inside one application. A global OWNER or
ADMINISTRATOR has an application OWNER's rights in every application, member or not; a global
USER acts by the role they were given in each application, and sees no other application.

Where CompreFace is silent, Likeness chooses (and the tests hold it to that):
- every member of an application may see its members and its services' statistics;
- an application always keeps its OWNER: the owner is neither removed nor demoted directly, but
  hands the application over by making another member OWNER (and becomes ADMINISTRATOR);
- a user not allowed to see an application is told it does not exist (404), not that it is
  forbidden, so that application names and ids do not leak.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TypeVar

from admin import errors
from db.models import AppRole, GlobalRole, User

R = TypeVar("R", GlobalRole, AppRole)


class Action(enum.StrEnum):
    # On the installation.
    CREATE_APP = "create applications"
    LIST_USERS = "list users"
    CHANGE_GLOBAL_ROLE = "change global roles"
    MANAGE_USERS = "create users, disable them, give them set-password links"
    CHANGE_SETTINGS = "open or close sign-up"
    # Inside one application.
    VIEW_APP = "see the application, its members, services, API keys and statistics"
    RENAME_APP = "rename the application"
    DELETE_APP = "delete the application"
    MANAGE_MEMBERS = "invite members, change their roles, remove them"
    MANAGE_SERVICES = "create, rename, delete and clone services, regenerate API keys"


_ALL_APP_ROLES = frozenset(AppRole)

GLOBAL_PERMISSIONS: dict[Action, frozenset[GlobalRole]] = {
    Action.CREATE_APP: frozenset({GlobalRole.OWNER, GlobalRole.ADMINISTRATOR}),
    Action.LIST_USERS: frozenset({GlobalRole.OWNER, GlobalRole.ADMINISTRATOR}),
    Action.CHANGE_GLOBAL_ROLE: frozenset({GlobalRole.OWNER, GlobalRole.ADMINISTRATOR}),
    Action.MANAGE_USERS: frozenset({GlobalRole.OWNER, GlobalRole.ADMINISTRATOR}),
    Action.CHANGE_SETTINGS: frozenset({GlobalRole.OWNER}),
}

APP_PERMISSIONS: dict[Action, frozenset[AppRole]] = {
    Action.VIEW_APP: _ALL_APP_ROLES,
    Action.RENAME_APP: frozenset({AppRole.OWNER}),
    Action.DELETE_APP: frozenset({AppRole.OWNER}),
    Action.MANAGE_MEMBERS: frozenset({AppRole.OWNER}),
    Action.MANAGE_SERVICES: frozenset({AppRole.OWNER, AppRole.ADMINISTRATOR}),
}


@dataclass(frozen=True)
class Actor:
    """Whoever calls the domain functions: a signed-in user, or the operator at the console."""

    user_id: int | None  # None: the console (the `likeness` CLI), with a global OWNER's rights
    global_role: GlobalRole

    @classmethod
    def of(cls, user: User) -> Actor:
        return cls(user.id, user.global_role)


CONSOLE = Actor(None, GlobalRole.OWNER)


def effective_app_role(actor: Actor, member_role: AppRole | None) -> AppRole | None:
    """The role ``actor`` acts with in an application where they are ``member_role`` (None: not a
    member); None when they may not see the application at all."""
    if actor.global_role in (GlobalRole.OWNER, GlobalRole.ADMINISTRATOR):
        return AppRole.OWNER
    return member_role


def may(actor: Actor, action: Action, app_role: AppRole | None = None) -> bool:
    """Whether ``actor`` may do ``action``; for an application action, ``app_role`` is the
    actor's :func:`effective_app_role` there."""
    if action in GLOBAL_PERMISSIONS:
        return actor.global_role in GLOBAL_PERMISSIONS[action]
    return app_role in APP_PERMISSIONS[action]


def require(actor: Actor, action: Action) -> None:
    """Raise "not allowed" (403, code 9) unless ``actor`` may do the installation-wide ``action``."""
    if not may(actor, action):
        raise errors.not_allowed()


def require_in_app(actor: Actor, action: Action, member_role: AppRole | None, app_guid: object) -> AppRole:
    """The actor's effective role in the application; raises "not found" (404, code 2) when they
    may not see it and "not allowed" (403, code 9) when they may see it but not do ``action``."""
    role = effective_app_role(actor, member_role)
    if role is None:
        raise errors.app_not_found(app_guid)
    if not may(actor, action, role):
        raise errors.not_allowed()
    return role


def parse_role(role_class: type[R], value: object) -> R:
    """A role name (``OWNER``, ``ADMINISTRATOR``, ``USER``; any case) of ``role_class``."""
    try:
        return role_class[value.strip().upper()]
    except (KeyError, AttributeError):
        raise errors.validation(f"role must be one of {', '.join(role_class)}") from None
