"""有奖举报: public reports with reward.

``phone_code``: one-time codes sent through the SMS hook to confirm a reporter's phone, kept
only as a salted SHA-256, with an expiry and a count of wrong tries. ``public_report``: what
anyone reported without an account (photo, point, category, description, the confirmed
phone, the client it came from, its random receipt code), its moderation (accepted →
the ticket it became; rejected → the reason). ``reward_entry``: the reward ledger, one entry
per accepted report with the rule and amount that applied; append-only like the history.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

APPEND_ONLY = ("reward_entry",)
STATUSES = "'pending', 'accepted', 'rejected'"


def upgrade() -> None:
    op.create_table(
        "phone_code",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("phone", sa.String(20), nullable=False),
        sa.Column("client", sa.String(80), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("salt", sa.String(32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.SmallInteger, nullable=False, server_default="0"),
        sa.Column("used_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_phone_code_phone", "phone_code", ["phone", "created_at"])
    op.create_index("ix_phone_code_client", "phone_code", ["client", "created_at"])
    op.create_table(
        "public_report",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("receipt", sa.String(20), nullable=False, unique=True),
        sa.Column("phone", sa.String(20), nullable=False),
        sa.Column("client", sa.String(80), nullable=False),
        sa.Column(
            "category_code",
            sa.String(30),
            sa.ForeignKey("problem_category.code"),
            nullable=False,
        ),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("township_id", sa.Integer, sa.ForeignKey("township.id", ondelete="SET NULL")),
        sa.Column("location_source", sa.String(10), nullable=False),
        sa.Column("photo", sa.LargeBinary, nullable=False),
        sa.Column("photo_name", sa.String(255), nullable=False),
        sa.Column("photo_sha256", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(10), nullable=False, server_default="pending"),
        sa.Column("moderated_at", sa.DateTime(timezone=True)),
        sa.Column("moderated_by", sa.Integer, sa.ForeignKey("app_user.id", ondelete="SET NULL")),
        sa.Column("reject_reason", sa.Text),
        sa.Column("ticket_id", sa.Integer, sa.ForeignKey("ticket.id"), unique=True),
        sa.Column("geom", Geometry("POINT", srid=4326, spatial_index=False), nullable=False),
        sa.CheckConstraint(f"status IN ({STATUSES})", name="public_report_status"),
        sa.CheckConstraint(
            "location_source IN ('map', 'exif')", name="public_report_location_source"
        ),
        sa.CheckConstraint(
            "(status = 'accepted') = (ticket_id IS NOT NULL)", name="public_report_ticket"
        ),
        sa.CheckConstraint(
            "status <> 'rejected' OR reject_reason IS NOT NULL", name="public_report_reason"
        ),
    )
    op.create_index("ix_public_report_phone", "public_report", ["phone", "created_at"])
    op.create_index("ix_public_report_client", "public_report", ["client", "created_at"])
    op.create_index("ix_public_report_status", "public_report", ["status", "created_at"])
    op.create_table(
        "reward_entry",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "report_id",
            sa.Integer,
            sa.ForeignKey("public_report.id"),
            nullable=False,
            unique=True,
        ),
        sa.Column("rule", sa.String(60), nullable=False),
        sa.Column("amount", sa.Numeric(10, 2), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount >= 0", name="reward_entry_amount"),
    )
    for table in APPEND_ONLY:
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION refuse_truncate()"
        )


def downgrade() -> None:
    for table in APPEND_ONLY:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
    op.drop_table("reward_entry")
    op.drop_table("public_report")
    op.drop_table("phone_code")
