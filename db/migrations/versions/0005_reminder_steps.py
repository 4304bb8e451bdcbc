"""Reminder steps and township offices: "未按时巡查" is reminded once when due soon, once when
overdue, again every N days while overdue, and escalated once to the township's people's
congress office (乡镇人大办公室) after M days.

- ``township_office``: one contact per township (office name, contact person, phone), used
  as the deputies' ``contact`` is: the DingTalk @-mention and the SMS hook's ``to``.
- ``reminder_item`` gains ``step`` (due_soon / overdue / escalation) and ``round`` (the n-th
  overdue period of N days, 0 otherwise), and its primary key becomes (site, deadline,
  channel, step, round): the database, not a lock, makes each step happen once. Rows of the
  old schema become ``due_soon`` or ``overdue`` round 0 by the day they were sent.
- ``reminder_log`` records messages to offices too (``recipient``, ``township_id``; no
  deputy) and the status ``undeliverable`` (an escalation for a township without an office
  contact: logged, nothing marked, tried again by the next run).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

ITEM_KEY_OLD = ["site_id", "deadline", "channel"]
ITEM_KEY = ["site_id", "deadline", "channel", "step", "round"]


def upgrade() -> None:
    op.create_table(
        "township_office",
        sa.Column(
            "township_id",
            sa.Integer,
            sa.ForeignKey("township.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("contact_name", sa.String(40)),
        sa.Column("phone", sa.String(40), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("btrim(name) <> ''", name="township_office_name_given"),
        sa.CheckConstraint("btrim(phone) <> ''", name="township_office_phone_given"),
    )

    op.add_column(
        "reminder_log",
        sa.Column("recipient", sa.String(10), nullable=False, server_default="deputy"),
    )
    op.alter_column("reminder_log", "recipient", server_default=None)
    op.add_column(
        "reminder_log", sa.Column("township_id", sa.Integer, sa.ForeignKey("township.id"))
    )
    op.alter_column("reminder_log", "deputy_id", nullable=True)
    op.alter_column("reminder_log", "status", type_=sa.String(16))
    op.drop_constraint("reminder_log_status_known", "reminder_log", type_="check")
    op.create_check_constraint(
        "reminder_log_status_known",
        "reminder_log",
        "status IN ('sent', 'failed', 'skipped', 'undeliverable')",
    )
    op.create_check_constraint(
        "reminder_log_recipient_known", "reminder_log", "recipient IN ('deputy', 'office')"
    )
    op.create_check_constraint(
        "reminder_log_deputy_iff_deputy",
        "reminder_log",
        "(recipient = 'deputy') = (deputy_id IS NOT NULL)",
    )
    op.create_check_constraint(
        "reminder_log_undeliverable_is_office",
        "reminder_log",
        "status <> 'undeliverable' OR recipient = 'office'",
    )

    op.add_column("reminder_item", sa.Column("step", sa.String(12)))
    op.add_column(
        "reminder_item",
        sa.Column("round", sa.SmallInteger, nullable=False, server_default="0"),
    )
    op.execute(
        "UPDATE reminder_item i SET step = CASE WHEN l.on_date > i.deadline THEN 'overdue' "
        "ELSE 'due_soon' END FROM reminder_log l WHERE l.id = i.log_id"
    )
    op.alter_column("reminder_item", "step", nullable=False)
    op.alter_column("reminder_item", "round", server_default=None)
    op.drop_constraint("reminder_item_pkey", "reminder_item", type_="primary")
    op.create_primary_key("reminder_item_pkey", "reminder_item", ITEM_KEY)
    op.create_check_constraint(
        "reminder_item_step_known",
        "reminder_item",
        "step IN ('due_soon', 'overdue', 'escalation')",
    )
    op.create_check_constraint(
        "reminder_item_round_of_overdue",
        "reminder_item",
        "round >= 0 AND (step = 'overdue' OR round = 0)",
    )


def downgrade() -> None:
    # Back to one row per (site, deadline, channel): keep each pair's first reminder.
    op.execute("DELETE FROM reminder_item WHERE step = 'escalation'")
    op.execute(
        "DELETE FROM reminder_item a USING reminder_item b WHERE a.site_id = b.site_id "
        "AND a.deadline = b.deadline AND a.channel = b.channel "
        "AND (a.first_sent_at, a.step, a.round) > (b.first_sent_at, b.step, b.round)"
    )
    op.drop_constraint("reminder_item_round_of_overdue", "reminder_item", type_="check")
    op.drop_constraint("reminder_item_step_known", "reminder_item", type_="check")
    op.drop_constraint("reminder_item_pkey", "reminder_item", type_="primary")
    op.create_primary_key("reminder_item_pkey", "reminder_item", ITEM_KEY_OLD)
    op.drop_column("reminder_item", "round")
    op.drop_column("reminder_item", "step")

    op.execute("DELETE FROM reminder_log WHERE recipient = 'office'")
    op.drop_constraint("reminder_log_undeliverable_is_office", "reminder_log", type_="check")
    op.drop_constraint("reminder_log_deputy_iff_deputy", "reminder_log", type_="check")
    op.drop_constraint("reminder_log_recipient_known", "reminder_log", type_="check")
    op.drop_constraint("reminder_log_status_known", "reminder_log", type_="check")
    op.create_check_constraint(
        "reminder_log_status_known", "reminder_log", "status IN ('sent', 'failed', 'skipped')"
    )
    op.alter_column("reminder_log", "status", type_=sa.String(10))
    op.alter_column("reminder_log", "deputy_id", nullable=False)
    op.drop_column("reminder_log", "township_id")
    op.drop_column("reminder_log", "recipient")

    op.drop_table("township_office")
