"""The problem register (挂号销号) and early warnings (预警管理).

``site_registration``: a site is registered from the day a problem there is confirmed (the
platform accepted a ticket at the site: 承办) until it is cancelled (销号) after K consecutive
clean patrols or re-inspections (SHUIJIAN_REGISTER_CLEAN_STREAK). Each registration is a
period (opened_at, closed_at), never a flag: a site registered twice has two rows. At most one
period of a site is open (a partial unique index).

``early_warning``: one row per warning raised by a rule of reports/warnings.toml; ``key`` is
unique, so a warning is raised once however often the scan runs. It is pushed to the
township office (pushed_at), acknowledged and closed with a note (who and when kept).

Both tables are records the app updates but never deletes (db.roles.NO_DELETE).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

RULES = (
    "overdue_in_a_row",
    "repeat_problem",
    "flagged_deputy",
    "registered_unpatrolled",
    "water_quality",
)


def _tz(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "site_registration",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("site_id", sa.Integer, sa.ForeignKey("site.id"), nullable=False),
        sa.Column("opened_ticket_id", sa.Integer, sa.ForeignKey("ticket.id"), nullable=False),
        _tz("opened_at", nullable=False),
        sa.Column("opened_on", sa.Date, nullable=False),
        _tz("closed_at"),
        sa.Column("closed_on", sa.Date),
        sa.Column("clean_needed", sa.SmallInteger, nullable=False),
        sa.Column("clean_streak", sa.SmallInteger, nullable=False, server_default="0"),
        _tz("updated_at", nullable=False),
        sa.CheckConstraint(
            "(closed_at IS NULL) = (closed_on IS NULL)", name="site_registration_closed_both"
        ),
        sa.CheckConstraint(
            "closed_at IS NULL OR closed_at >= opened_at", name="site_registration_order"
        ),
        sa.CheckConstraint(
            "clean_needed >= 1 AND clean_streak >= 0", name="site_registration_counts"
        ),
        sa.UniqueConstraint("site_id", "opened_at", name="site_registration_once"),
    )
    op.create_index(
        "ix_site_registration_one_open",
        "site_registration",
        ["site_id"],
        unique=True,
        postgresql_where=sa.text("closed_at IS NULL"),
    )
    rules = ", ".join(repr(r) for r in RULES)
    op.create_table(
        "early_warning",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", sa.String(160), nullable=False, unique=True),
        sa.Column("rule", sa.String(30), nullable=False),
        sa.Column("township_id", sa.Integer, sa.ForeignKey("township.id")),
        sa.Column("site_id", sa.Integer, sa.ForeignKey("site.id")),
        sa.Column("deputy_id", sa.Integer, sa.ForeignKey("deputy.id")),
        sa.Column("raised_on", sa.Date, nullable=False),
        _tz("raised_at", nullable=False),
        sa.Column("details", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        _tz("pushed_at"),
        sa.Column("push_detail", sa.Text),
        _tz("acknowledged_at"),
        sa.Column("acknowledged_by", sa.Integer, sa.ForeignKey("app_user.id")),
        sa.Column("acknowledge_note", sa.Text),
        _tz("closed_at"),
        sa.Column("closed_by", sa.Integer, sa.ForeignKey("app_user.id")),
        sa.Column("close_note", sa.Text),
        sa.CheckConstraint(f"rule IN ({rules})", name="early_warning_rule_known"),
        sa.CheckConstraint(
            "(acknowledged_at IS NULL) = (acknowledged_by IS NULL)",
            name="early_warning_ack_who_when",
        ),
        sa.CheckConstraint(
            "closed_at IS NULL OR (acknowledged_at IS NOT NULL AND closed_by IS NOT NULL "
            "AND btrim(close_note) <> '')",
            name="early_warning_closed_after_ack_with_note",
        ),
    )
    op.create_index("ix_early_warning_township", "early_warning", ["township_id", "raised_on"])


def downgrade() -> None:
    op.drop_index("ix_early_warning_township", table_name="early_warning")
    op.drop_table("early_warning")
    op.drop_index("ix_site_registration_one_open", table_name="site_registration")
    op.drop_table("site_registration")
