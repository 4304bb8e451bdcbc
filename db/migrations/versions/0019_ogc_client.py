"""The open interface's clients: who may read the OGC API – Features, each by its own key.

A client (the 综治平台, the 河长制 app, …) has a code, a name and the SHA-256 of its current
key (none when revoked). Clients are records (db.roles.NO_DELETE): a revoked client keeps
its row, so the call log's code still names someone. The index on the call log serves the
per-client throttle, which counts a client's calls of the last minute there.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ogc_client",
        sa.Column("code", sa.String(16), primary_key=True),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("api_key_hash", sa.Text),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.CheckConstraint("code ~ '^[a-z0-9_]{2,16}$'", name="ogc_client_code_shape"),
    )
    op.create_index("ix_api_call_log_caller_at", "api_call_log", ["platform_code", "at"])


def downgrade() -> None:
    op.drop_index("ix_api_call_log_caller_at", table_name="api_call_log")
    op.drop_table("ogc_client")
