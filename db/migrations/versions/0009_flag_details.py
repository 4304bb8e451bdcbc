"""A plausibility flag keeps what was measured as (code, params) pairs, so a page words it in
the reader's language; the English message stays for the log. Older flags have none and show
their message.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "patrol_flag",
        sa.Column("details", postgresql.JSONB, nullable=False, server_default="[]"),
    )


def downgrade() -> None:
    op.drop_column("patrol_flag", "details")
