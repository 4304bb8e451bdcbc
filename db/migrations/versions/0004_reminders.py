"""Patrol reminders: a log of every message attempt, and the (site, deadline) pairs already
reminded per channel, so the daily job never repeats a reminder that got through.

A row of reminder_item exists only for a successful send; a failed send leaves only its
reminder_log row, so the next run tries those sites again.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

CHANNELS = "'dingtalk', 'http'"


def upgrade() -> None:
    op.create_table(
        "reminder_log",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("deputy_id", sa.Integer, sa.ForeignKey("deputy.id"), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("on_date", sa.Date, nullable=False),
        sa.Column(
            "sent_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("ok", sa.Boolean, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("detail", sa.Text),
        sa.Column("sites", postgresql.JSONB, nullable=False, server_default="[]"),
        sa.CheckConstraint(f"channel IN ({CHANNELS})", name="reminder_log_channel_known"),
        sa.CheckConstraint(
            "status IN ('sent', 'failed', 'skipped')", name="reminder_log_status_known"
        ),
        sa.CheckConstraint("ok = (status = 'sent')", name="reminder_log_ok_means_sent"),
    )
    op.create_index("ix_reminder_log_deputy", "reminder_log", ["deputy_id", "sent_at"])
    op.create_table(
        "reminder_item",
        sa.Column("site_id", sa.Integer, sa.ForeignKey("site.id"), primary_key=True),
        sa.Column("deadline", sa.Date, primary_key=True),
        sa.Column("channel", sa.String(20), primary_key=True),
        sa.Column("deputy_id", sa.Integer, sa.ForeignKey("deputy.id"), nullable=False),
        sa.Column("first_sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("log_id", sa.Integer, sa.ForeignKey("reminder_log.id"), nullable=False),
        sa.CheckConstraint(f"channel IN ({CHANNELS})", name="reminder_item_channel_known"),
    )


def downgrade() -> None:
    op.drop_table("reminder_item")
    op.drop_index("ix_reminder_log_deputy", table_name="reminder_log")
    op.drop_table("reminder_log")
