"""The database schema, shared by api and admin. Changed only through migrations/."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger, Boolean, DateTime, Enum, ForeignKey, Index, Integer, LargeBinary, MetaData, SmallInteger, String,
    func, true,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.dialects.postgresql import UUID


class Base(DeclarativeBase):
    # PostgreSQL's own names for constraints declared without one, so that migrations can name them.
    metadata = MetaData(naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "%(table_name)s_%(column_0_name)s_key",
        "fk": "%(table_name)s_%(column_0_name)s_fkey",
        "pk": "%(table_name)s_pkey",
    })


class GlobalRole(enum.StrEnum):
    OWNER = "OWNER"
    ADMINISTRATOR = "ADMINISTRATOR"
    USER = "USER"


class AppRole(enum.StrEnum):
    OWNER = "OWNER"
    ADMINISTRATOR = "ADMINISTRATOR"
    USER = "USER"


class ServiceType(enum.StrEnum):
    RECOGNITION = "RECOGNITION"
    DETECTION = "DETECTION"
    VERIFICATION = "VERIFICATION"


def _now() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    guid: Mapped[uuid.UUID] = mapped_column(UUID, unique=True, default=uuid.uuid4)
    email: Mapped[str] = mapped_column(String(254))
    password_hash: Mapped[str] = mapped_column(String(255))
    first_name: Mapped[str] = mapped_column(String(63), default="")
    last_name: Mapped[str] = mapped_column(String(63), default="")
    global_role: Mapped[GlobalRole] = mapped_column(Enum(GlobalRole, name="global_role"), default=GlobalRole.USER)
    enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = _now()

    __table_args__ = (Index("users_email_lower", func.lower(email), unique=True),)


class Application(Base):
    __tablename__ = "applications"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    guid: Mapped[uuid.UUID] = mapped_column(UUID, unique=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = _now()

    members: Mapped[list[AppMember]] = relationship(back_populates="application", cascade="all, delete-orphan",
                                                    passive_deletes=True)
    services: Mapped[list[Service]] = relationship(back_populates="application", cascade="all, delete-orphan",
                                                   passive_deletes=True)


class AppMember(Base):
    __tablename__ = "app_members"

    app_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    role: Mapped[AppRole] = mapped_column(Enum(AppRole, name="app_role"))

    application: Mapped[Application] = relationship(back_populates="members")
    user: Mapped[User] = relationship()


class Service(Base):
    """A face service (CompreFace's "model"): its type, its API key and its collection."""

    __tablename__ = "services"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    guid: Mapped[uuid.UUID] = mapped_column(UUID, unique=True, default=uuid.uuid4)
    # Indexed by services_app_name_lower.
    app_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    type: Mapped[ServiceType] = mapped_column(Enum(ServiceType, name="service_type"))
    api_key: Mapped[uuid.UUID] = mapped_column(UUID, unique=True, default=uuid.uuid4)
    # Bumped by every collection write, in the same transaction; receivers of NOTIFY use it to
    # see a missed message.
    collection_version: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    created_at: Mapped[datetime] = _now()

    application: Mapped[Application] = relationship(back_populates="services")

    # Service names are unique within their application, ignoring case (as in CompreFace).
    __table_args__ = (Index("services_app_name_lower", app_id, func.lower(name), unique=True),)


class Subject(Base):
    __tablename__ = "subjects"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=uuid.uuid4)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))

    __table_args__ = (Index("subjects_service_name_lower", service_id, func.lower(name), unique=True),)


class Face(Base):
    """One enrolled example; its id is the public ``image_id``."""

    __tablename__ = "faces"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=uuid.uuid4)
    # The service is repeated here so that a whole collection loads with one index scan.
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"), index=True)
    subject_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("subjects.id", ondelete="CASCADE"), index=True)
    # float32 little-endian, L2-normalised.
    embedding: Mapped[bytes] = mapped_column(LargeBinary)
    calculator: Mapped[str] = mapped_column(String(255))
    # Where the face was found in its image: {"x_min", "y_min", "x_max", "y_max"} in pixels; None
    # for faces enrolled before it was recorded, or from an embedding.
    box: Mapped[dict | None] = mapped_column(JSONB)
    created_at: Mapped[datetime] = _now()


class StoredImage(Base):
    """The uploaded image a face was enrolled from (``SAVE_IMAGES_TO_DB``); goes with its face."""

    __tablename__ = "stored_images"

    face_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("faces.id", ondelete="CASCADE"), primary_key=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)


class RequestCount(Base):
    """Requests per service and hour, written by the api servers, read by admin statistics."""

    __tablename__ = "request_counts"

    service_id: Mapped[int] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"), primary_key=True)
    hour: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class AdminSession(Base):
    """A signed-in browser (or CLI) session of the admin service.

    Only a hash of the session token is stored, so a copy of the table signs nobody in. A session
    ends when it expires or is revoked (sign-out, "revoke all my sessions", a password change).
    """

    __tablename__ = "admin_sessions"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    # SHA-256 of the token, hex.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = _now()
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SignInFailure(Base):
    """Failed admin sign-ins per e-mail address or per client address (``key``), for throttling."""

    __tablename__ = "sign_in_failures"

    # "email:<address>" or "client:<ip>".
    key: Mapped[str] = mapped_column(String(320), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    last_failure_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PasswordLink(Base):
    """A one-time link that lets a user choose a password (new accounts, resets by the owner).

    Only a hash of the token is stored; a link works once and until it expires.
    """

    __tablename__ = "password_links"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    # SHA-256 of the token, hex.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = _now()
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Installation(Base):
    """Installation-wide settings: one row (id 1); without it, the defaults apply."""

    __tablename__ = "installation"

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    # Whether anyone may create an account on the sign-in page (the first account always may).
    sign_up_open: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
