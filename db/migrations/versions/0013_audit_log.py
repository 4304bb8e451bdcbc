"""The audit log: every administrative action (accounts, assignments, platforms), appended.

Who (``user:<name>`` from the app with the account's id, ``cli:<os user>`` from the command
line), when (the one clock), the action's code, its target and details as JSON — never a
password or a key. The app role may only insert and read it (db.roles.APPEND_ONLY); like the
tables of 0012 it carries the statement-level TRUNCATE guard, and a row trigger refuses
UPDATE and DELETE to the owner too.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

# The append-only tables this revision adds (with 0012's, db.roles.APPEND_ONLY).
APPEND_ONLY = ("audit_event",)


def upgrade() -> None:
    op.create_table(
        "audit_event",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(120), nullable=False),
        sa.Column("actor_user_id", sa.Integer, sa.ForeignKey("app_user.id")),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("target", sa.String(200), nullable=False),
        sa.Column("details", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    )
    op.create_index("ix_audit_event_at", "audit_event", ["at"])
    op.create_index("ix_audit_event_action", "audit_event", ["action", "at"])
    op.execute("""
        CREATE FUNCTION audit_event_append_only() RETURNS trigger AS $$
        BEGIN
            RAISE EXCEPTION 'audit_event is append-only (% refused)', TG_OP;
        END $$ LANGUAGE plpgsql
    """)
    op.execute(
        "CREATE TRIGGER audit_event_no_change BEFORE UPDATE OR DELETE ON audit_event "
        "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()"
    )
    for table in APPEND_ONLY:
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION refuse_truncate()"
        )


def downgrade() -> None:
    for table in APPEND_ONLY:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
    op.execute("DROP TRIGGER audit_event_no_change ON audit_event")
    op.drop_table("audit_event")
    op.execute("DROP FUNCTION audit_event_append_only()")
