"""Server-side sign-in sessions: the browser keeps a random token in an HttpOnly cookie, the
database keeps only its SHA-256 with the idle and absolute expiry, so a stolen database copy
signs nobody in and a sign-out anywhere ends the session everywhere.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sign_in_session",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column(
            "user_id",
            sa.Integer,
            sa.ForeignKey("app_user.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("client", sa.String(120), nullable=False),
        sa.Column("language", sa.String(2), nullable=False, server_default="zh"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        sa.Column("revoked_why", sa.String(20)),
        sa.CheckConstraint("language IN ('zh', 'en')", name="sign_in_session_language_known"),
        sa.CheckConstraint(
            "revoked_why IS NULL OR revoked_why IN ('sign_out', 'password', 'inactive')",
            name="sign_in_session_revoked_why_known",
        ),
    )
    op.create_index("ix_sign_in_session_user", "sign_in_session", ["user_id"])


def downgrade() -> None:
    op.drop_table("sign_in_session")
