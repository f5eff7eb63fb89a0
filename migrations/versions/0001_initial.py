"""The initial schema: users, applications and members, services, collections, request counts.

Revision ID: 0001
Revises:
Create Date: 2025-11-21
"""

from __future__ import annotations

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

ROLES = ("OWNER", "ADMINISTRATOR", "USER")
global_role = sa.Enum(*ROLES, name="global_role")
app_role = sa.Enum(*ROLES, name="app_role")
service_type = sa.Enum("RECOGNITION", "DETECTION", "VERIFICATION", name="service_type")


def _created_at() -> sa.Column:
    return sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("guid", postgresql.UUID(), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("first_name", sa.String(63), nullable=False),
        sa.Column("last_name", sa.String(63), nullable=False),
        sa.Column("global_role", global_role, nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        _created_at(),
        sa.PrimaryKeyConstraint("id", name="users_pkey"),
        sa.UniqueConstraint("guid", name="users_guid_key"),
    )
    op.create_index("users_email_lower", "users", [sa.text("lower(email)")], unique=True)

    op.create_table(
        "applications",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("guid", postgresql.UUID(), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        _created_at(),
        sa.PrimaryKeyConstraint("id", name="applications_pkey"),
        sa.UniqueConstraint("guid", name="applications_guid_key"),
        sa.UniqueConstraint("name", name="applications_name_key"),
    )

    op.create_table(
        "app_members",
        sa.Column("app_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("role", app_role, nullable=False),
        sa.PrimaryKeyConstraint("app_id", "user_id", name="app_members_pkey"),
        sa.ForeignKeyConstraint(["app_id"], ["applications.id"], name="app_members_app_id_fkey", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="app_members_user_id_fkey", ondelete="CASCADE"),
    )
    op.create_index("ix_app_members_user_id", "app_members", ["user_id"])

    op.create_table(
        "services",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("guid", postgresql.UUID(), nullable=False),
        sa.Column("app_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("type", service_type, nullable=False),
        sa.Column("api_key", postgresql.UUID(), nullable=False),
        sa.Column("collection_version", sa.BigInteger(), server_default="0", nullable=False),
        _created_at(),
        sa.PrimaryKeyConstraint("id", name="services_pkey"),
        sa.UniqueConstraint("guid", name="services_guid_key"),
        sa.UniqueConstraint("api_key", name="services_api_key_key"),
        sa.ForeignKeyConstraint(["app_id"], ["applications.id"], name="services_app_id_fkey", ondelete="CASCADE"),
    )
    op.create_index("services_app_name_lower", "services", ["app_id", sa.text("lower(name)")], unique=True)

    op.create_table(
        "subjects",
        sa.Column("id", postgresql.UUID(), nullable=False),
        sa.Column("service_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.PrimaryKeyConstraint("id", name="subjects_pkey"),
        sa.ForeignKeyConstraint(["service_id"], ["services.id"], name="subjects_service_id_fkey",
                                ondelete="CASCADE"),
    )
    op.create_index("subjects_service_name_lower", "subjects", ["service_id", sa.text("lower(name)")], unique=True)

    op.create_table(
        "faces",
        sa.Column("id", postgresql.UUID(), nullable=False),
        sa.Column("service_id", sa.BigInteger(), nullable=False),
        sa.Column("subject_id", postgresql.UUID(), nullable=False),
        sa.Column("embedding", sa.LargeBinary(), nullable=False),
        sa.Column("calculator", sa.String(255), nullable=False),
        _created_at(),
        sa.PrimaryKeyConstraint("id", name="faces_pkey"),
        sa.ForeignKeyConstraint(["service_id"], ["services.id"], name="faces_service_id_fkey", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["subject_id"], ["subjects.id"], name="faces_subject_id_fkey", ondelete="CASCADE"),
    )
    op.create_index("ix_faces_service_id", "faces", ["service_id"])
    op.create_index("ix_faces_subject_id", "faces", ["subject_id"])

    op.create_table(
        "stored_images",
        sa.Column("face_id", postgresql.UUID(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("face_id", name="stored_images_pkey"),
        sa.ForeignKeyConstraint(["face_id"], ["faces.id"], name="stored_images_face_id_fkey", ondelete="CASCADE"),
    )

    op.create_table(
        "request_counts",
        sa.Column("service_id", sa.BigInteger(), nullable=False),
        sa.Column("hour", sa.DateTime(timezone=True), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("service_id", "hour", name="request_counts_pkey"),
        sa.ForeignKeyConstraint(["service_id"], ["services.id"], name="request_counts_service_id_fkey",
                                ondelete="CASCADE"),
    )


def downgrade() -> None:
    for table in ("request_counts", "stored_images", "faces", "subjects", "services", "app_members",
                  "applications", "users"):
        op.drop_table(table)
    for enum in (service_type, app_role, global_role):
        op.execute(f"DROP TYPE {enum.name}")
