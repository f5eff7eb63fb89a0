"""User management: one-time set-password links, the installation's settings (open sign-up), and
the box of each enrolled face (for face crops).

Revision ID: 0004
Revises: 0002
Create Date: 2026-12-05
"""

from __future__ import annotations

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "password_links",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="password_links_pkey"),
        sa.UniqueConstraint("token_hash", name="password_links_token_hash_key"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="password_links_user_id_fkey", ondelete="CASCADE"),
    )
    op.create_index("ix_password_links_user_id", "password_links", ["user_id"])
    op.create_table(
        "installation",
        sa.Column("id", sa.SmallInteger(), nullable=False),
        sa.Column("sign_up_open", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="installation_pkey"),
    )
    op.add_column("faces", sa.Column("box", postgresql.JSONB(), nullable=True))


def downgrade() -> None:
    op.drop_column("faces", "box")
    op.drop_table("installation")
    op.drop_table("password_links")
