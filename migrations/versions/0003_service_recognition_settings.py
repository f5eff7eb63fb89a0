"""Per-service recognition settings: similarity threshold, stranger target, minimum quality.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05
"""

from __future__ import annotations

from alembic import op
import sqlalchemy as sa

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("services", sa.Column("similarity_threshold", sa.String(16), nullable=True))
    op.add_column("services", sa.Column("stranger_target", sa.Float(), server_default="0.01", nullable=False))
    op.add_column("services", sa.Column("min_quality", sa.Float(), nullable=True))


def downgrade() -> None:
    op.drop_column("services", "min_quality")
    op.drop_column("services", "stranger_target")
    op.drop_column("services", "similarity_threshold")
