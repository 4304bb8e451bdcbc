"""Grid heads (小微水体网格长): every small cell has a head, with history, and each dead corner
of a head's cell reaches the head once per reminder round.

``grid_head`` keeps one row per head and period, like ``assignment``: a new head for a cell
closes the current row the day before (``valid_to``, exclusive) instead of overwriting it, and
an exclusion constraint keeps one head per cell on any day. ``grid_head_reminder`` is the claim
of one gap (a site of the cell overdue or without a deputy, from the day it began) in one
reminder round through one channel: its primary key makes each round go out once, as
``reminder_item`` does for the deputies; it is append-only with the TRUNCATE guard.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

# The append-only tables this revision adds (db.roles.APPEND_ONLY).
APPEND_ONLY = ("grid_head_reminder",)


def upgrade() -> None:
    op.create_table(
        "grid_head",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "grid_cell_id",
            sa.Integer,
            sa.ForeignKey("grid_cell.id", ondelete="RESTRICT"),
            nullable=False,
        ),
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("phone", sa.String(40), nullable=False),
        sa.Column("valid_from", sa.Date, nullable=False),
        sa.Column("valid_to", sa.Date),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint("btrim(name) <> ''", name="grid_head_name_given"),
        sa.CheckConstraint("btrim(phone) <> ''", name="grid_head_phone_given"),
        sa.CheckConstraint(
            "valid_to IS NULL OR valid_to > valid_from", name="grid_head_period_order"
        ),
    )
    op.create_index("ix_grid_head_cell", "grid_head", ["grid_cell_id", "valid_from"])
    # One head per cell on any day: periods of the same cell may not overlap.
    op.execute(
        "ALTER TABLE grid_head ADD CONSTRAINT grid_head_one_per_day "
        "EXCLUDE USING gist (grid_cell_id WITH =, daterange(valid_from, valid_to) WITH &&)"
    )
    op.create_table(
        "grid_head_reminder",
        sa.Column("site_id", sa.Integer, sa.ForeignKey("site.id"), primary_key=True),
        sa.Column("cause", sa.String(12), primary_key=True),
        sa.Column("since", sa.Date, primary_key=True),
        sa.Column("channel", sa.String(20), primary_key=True),
        sa.Column("round", sa.SmallInteger, primary_key=True),
        sa.Column("grid_head_id", sa.Integer, sa.ForeignKey("grid_head.id"), nullable=False),
        sa.Column("grid_cell_id", sa.Integer, sa.ForeignKey("grid_cell.id"), nullable=False),
        sa.Column("on_date", sa.Date, nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "cause IN ('overdue', 'unassigned')", name="grid_head_reminder_cause_known"
        ),
        sa.CheckConstraint("round >= 0", name="grid_head_reminder_round_positive"),
    )
    for table in APPEND_ONLY:
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION refuse_truncate()"
        )


def downgrade() -> None:
    for table in APPEND_ONLY:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
    op.drop_table("grid_head_reminder")
    op.drop_table("grid_head")
