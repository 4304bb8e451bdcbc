"""Least privilege: a statement-level trigger refuses TRUNCATE on the append-only tables.

The app role has no TRUNCATE right at all (db/roles.py); this guard stops the owner too, whose
migrations and maintenance could otherwise empty the history by accident (``TRUNCATE app_user
CASCADE`` reaches ticket_event). A deliberate wipe (``shuijian demo --reset``) lifts it for its
own transaction, which only the owner can (``db.roles.truncate_guard_lifted``).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# The append-only tables as of this revision (db.roles.APPEND_ONLY; a test keeps them equal).
APPEND_ONLY = (
    "ticket_event",
    "ticket_attachment",
    "platform_update",
    "api_call_log",
    "gpx_upload",
    "patrol_flag",
    "patrol_review",
    "visit",
    "site_class_change",
    "login_attempt",
    "reminder_item",
    "privacy_zone",
    "privacy_place",
)


def upgrade() -> None:
    op.execute("""
        CREATE FUNCTION refuse_truncate() RETURNS trigger AS $$
        BEGIN
            RAISE EXCEPTION '% is append-only (TRUNCATE refused)', TG_TABLE_NAME;
        END $$ LANGUAGE plpgsql
    """)
    for table in APPEND_ONLY:
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION refuse_truncate()"
        )


def downgrade() -> None:
    for table in APPEND_ONLY:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
    op.execute("DROP FUNCTION IF EXISTS refuse_truncate()")
