"""Problems and dispatch tickets (交办单): categories and platforms (configurable tables with
the DESIGN.md defaults), tickets, their append-only event log, attachments, the delivery
outbox, platform updates (for de-duplication) and the API call log.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

PLATFORMS = [
    ("zongzhi", "综治工作平台", "Social governance platform"),
    ("bianmin", "便民服务平台", "Public service platform"),
    ("zhifa", "综合执法平台", "Law enforcement platform"),
    ("shichang", "市场监管平台", "Market regulation platform"),
]
# code, zh, en, platform, deadline in working days, radius (m) within which an open ticket of
# the same category is offered instead of a new one
CATEGORIES = [
    ("sewage", "污水直排/排污口", "Sewage discharge / outfall", "zhifa", 5, 300),
    ("manure", "畜禽粪污直排", "Livestock manure discharge", "zhifa", 5, 300),
    ("illegal_fishing", "非法捕捞（电鱼）", "Illegal fishing (electro-fishing)", "zhifa", 3, 500),
    ("encroachment", "侵占水域/违章建筑", "Encroachment / illegal building", "zhifa", 10, 200),
    ("floating_litter", "水面漂浮物", "Floating litter", "bianmin", 3, 200),
    ("bank_litter", "岸边垃圾", "Litter on the bank", "bianmin", 3, 200),
    ("dead_fish", "死鱼", "Dead fish", "bianmin", 2, 300),
    ("sign_missing", "公示牌缺失", "Notice board missing", "bianmin", 10, 100),
    ("water_dispute", "涉水矛盾纠纷", "Water-related dispute", "zongzhi", 10, 500),
    ("petition", "群众信访", "Public petition", "zongzhi", 10, 500),
    ("unlicensed", "无证经营（农家乐、养殖场证照）", "Unlicensed business", "shichang", 10, 300),
    ("illegal_sales", "违规销售", "Illegal sales", "shichang", 10, 300),
    # Not in DESIGN.md's list; added so that every checklist "yes" has a category.
    ("illegal_farming", "投肥养鱼等违规养殖", "Illegal fish farming", "zhifa", 5, 300),
    ("carcass", "病死畜禽随意丢弃", "Dead livestock dumped", "zhifa", 2, 300),
    ("prohibited_zone", "禁养区内养殖", "Farming in a no-farming zone", "zhifa", 10, 300),
]
STATUSES = (
    "'reported', 'assigned', 'accepted', 'fed_back', 'reinspected', 'rated', 'closed', 'withdrawn'"
)


def _now(name: str = "created_at") -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False)


def upgrade() -> None:
    platform = op.create_table(
        "platform",
        sa.Column("code", sa.String(20), primary_key=True),
        sa.Column("name_zh", sa.String(40), nullable=False),
        sa.Column("name_en", sa.String(80), nullable=False),
        sa.Column("endpoint_url", sa.Text),
        sa.Column("api_key_hash", sa.Text),
    )
    op.bulk_insert(platform, [{"code": c, "name_zh": zh, "name_en": en} for c, zh, en in PLATFORMS])
    category = op.create_table(
        "problem_category",
        sa.Column("code", sa.String(30), primary_key=True),
        sa.Column("name_zh", sa.String(60), nullable=False),
        sa.Column("name_en", sa.String(80), nullable=False),
        sa.Column("platform_code", sa.String(20), sa.ForeignKey("platform.code"), nullable=False),
        sa.Column("deadline_workdays", sa.SmallInteger, nullable=False),
        sa.Column("dedupe_radius_m", sa.Float, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.CheckConstraint("deadline_workdays > 0", name="problem_category_deadline_positive"),
    )
    op.bulk_insert(
        category,
        [
            {
                "code": c,
                "name_zh": zh,
                "name_en": en,
                "platform_code": p,
                "deadline_workdays": d,
                "dedupe_radius_m": r,
            }
            for c, zh, en, p, d, r in CATEGORIES
        ],
    )
    op.create_table(
        "ticket_counter",
        sa.Column("month", sa.String(6), primary_key=True),
        sa.Column("last", sa.Integer, nullable=False),
    )
    op.create_table(
        "ticket",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("number", sa.String(30), nullable=False, unique=True),
        sa.Column(
            "category_code", sa.String(30), sa.ForeignKey("problem_category.code"), nullable=False
        ),
        sa.Column("platform_code", sa.String(20), sa.ForeignKey("platform.code"), nullable=False),
        sa.Column("township_id", sa.Integer, sa.ForeignKey("township.id", ondelete="SET NULL")),
        sa.Column("site_id", sa.Integer, sa.ForeignKey("site.id", ondelete="SET NULL")),
        sa.Column("reporter_deputy_id", sa.Integer, sa.ForeignKey("deputy.id")),
        sa.Column("reported_by", sa.Integer, sa.ForeignKey("app_user.id", ondelete="SET NULL")),
        sa.Column("source", sa.String(20), nullable=False, server_default="app"),
        sa.Column("patrol_id", sa.Integer, sa.ForeignKey("patrol.id", ondelete="SET NULL")),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("deadline", sa.Date, nullable=False),
        sa.Column("geom", Geometry("POINT", srid=4326, spatial_index=False), nullable=False),
        _now(),
    )
    op.create_index("idx_ticket_geom", "ticket", ["geom"], postgresql_using="gist")
    op.create_index("ix_ticket_category", "ticket", ["category_code"])
    op.create_table(
        "ticket_event",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "ticket_id", sa.Integer, sa.ForeignKey("ticket.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("from_status", sa.String(20)),
        sa.Column("to_status", sa.String(20), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("actor_user_id", sa.Integer, sa.ForeignKey("app_user.id", ondelete="SET NULL")),
        sa.Column("actor_platform", sa.String(20), sa.ForeignKey("platform.code")),
        sa.Column("comment", sa.Text),
        sa.Column("payload", postgresql.JSONB, nullable=False, server_default="{}"),
        _now("at"),
        sa.CheckConstraint(f"to_status IN ({STATUSES})", name="ticket_event_status_known"),
    )
    op.create_index("ix_ticket_event_ticket", "ticket_event", ["ticket_id", "id"])
    # Events are history: no update, no delete.
    op.execute("""
        CREATE FUNCTION ticket_event_append_only() RETURNS trigger AS $$
        BEGIN
            RAISE EXCEPTION 'ticket_event is append-only (% refused)', TG_OP;
        END $$ LANGUAGE plpgsql
    """)
    op.execute(
        "CREATE TRIGGER ticket_event_no_change BEFORE UPDATE OR DELETE ON ticket_event "
        "FOR EACH ROW EXECUTE FUNCTION ticket_event_append_only()"
    )
    op.create_table(
        "ticket_attachment",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "ticket_id", sa.Integer, sa.ForeignKey("ticket.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("event_id", sa.Integer, sa.ForeignKey("ticket_event.id")),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("mime", sa.String(40), nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True)),
        sa.Column("geom", Geometry("POINT", srid=4326, spatial_index=False)),
        _now(),
        sa.UniqueConstraint("ticket_id", "sha256", name="ticket_attachment_once"),
    )
    op.create_table(
        "ticket_follower",
        sa.Column(
            "ticket_id",
            sa.Integer,
            sa.ForeignKey("ticket.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("deputy_id", sa.Integer, sa.ForeignKey("deputy.id"), primary_key=True),
        sa.Column("comment", sa.Text),
        _now(),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "ticket_id", sa.Integer, sa.ForeignKey("ticket.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("platform_code", sa.String(20), sa.ForeignKey("platform.code"), nullable=False),
        sa.Column("idempotency_key", sa.String(80), nullable=False, unique=True),
        sa.Column("payload", postgresql.JSONB, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column(
            "next_attempt_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.Column("delivered_at", sa.DateTime(timezone=True)),
        sa.Column("last_error", sa.Text),
        _now(),
    )
    op.create_index("ix_outbox_ticket", "outbox", ["ticket_id", "id"])
    op.create_index(
        "ix_outbox_pending",
        "outbox",
        ["next_attempt_at"],
        postgresql_where=sa.text("delivered_at IS NULL"),
    )
    op.create_table(
        "platform_update",
        sa.Column("platform_code", sa.String(20), sa.ForeignKey("platform.code"), primary_key=True),
        sa.Column("update_id", sa.String(120), primary_key=True),
        sa.Column(
            "ticket_id", sa.Integer, sa.ForeignKey("ticket.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("event_id", sa.Integer, sa.ForeignKey("ticket_event.id")),
        _now("received_at"),
    )
    op.create_table(
        "api_call_log",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("platform_code", sa.String(20)),
        sa.Column("method", sa.String(10), nullable=False),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("status", sa.SmallInteger, nullable=False),
        sa.Column("duration_ms", sa.Float, nullable=False),
        sa.Column("client", sa.String(80)),
        _now("at"),
    )
    op.execute("""
        CREATE VIEW ticket_state AS
        SELECT t.id AS ticket_id, e.to_status AS status, e.at AS status_at
        FROM ticket t
        JOIN LATERAL (
            SELECT to_status, at FROM ticket_event ev WHERE ev.ticket_id = t.id
            ORDER BY ev.id DESC LIMIT 1
        ) e ON true
    """)


def downgrade() -> None:
    op.execute("DROP VIEW ticket_state")
    for table in (
        "api_call_log",
        "platform_update",
        "outbox",
        "ticket_follower",
        "ticket_attachment",
    ):
        op.drop_table(table)
    op.execute("DROP TRIGGER ticket_event_no_change ON ticket_event")
    op.drop_table("ticket_event")
    op.execute("DROP FUNCTION ticket_event_append_only()")
    for table in ("ticket", "ticket_counter", "problem_category", "platform"):
        op.drop_table(table)
