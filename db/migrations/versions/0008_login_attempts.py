"""Sign-in attempts, for throttling: every failure, success and admin unlock by account name
and client, appended. Failures since the last success or unlock decide the wait.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_attempt",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("username", sa.String(120), nullable=False),
        sa.Column("client", sa.String(120), nullable=False),
        sa.Column("outcome", sa.String(10), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "outcome IN ('failure', 'success', 'unlock')", name="login_attempt_outcome_known"
        ),
    )
    op.create_index("ix_login_attempt_username", "login_attempt", ["username", "at"])
    op.create_index("ix_login_attempt_client", "login_attempt", ["client", "at"])


def downgrade() -> None:
    op.drop_table("login_attempt")
