"""The installation's settings (one row; the defaults apply while there is none)."""

from __future__ import annotations

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from admin import errors
from admin.permissions import Action, Actor, require
from db.models import Installation

ROW_ID = 1


def settings(db: Session) -> Installation:
    """The settings as stored, or the defaults (not added to the session)."""
    return db.get(Installation, ROW_ID) or Installation(id=ROW_ID, sign_up_open=True)


def set_sign_up_open(db: Session, actor: Actor, is_open: object) -> Installation:
    """Open or close sign-up (the global OWNER only)."""
    require(actor, Action.CHANGE_SETTINGS)
    if not isinstance(is_open, bool):
        raise errors.validation("signUpOpen must be true or false")
    # One statement, so that two owners' clicks at once cannot both insert the row.
    db.execute(insert(Installation).values(id=ROW_ID, sign_up_open=is_open)
               .on_conflict_do_update(index_elements=[Installation.id], set_={"sign_up_open": is_open}))
    db.expire_all()
    return settings(db)
