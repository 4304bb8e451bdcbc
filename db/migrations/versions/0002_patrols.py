"""Patrols: uploaded GPX files, tracks, visits, checklist answers, photos, flags and reviews.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _now() -> sa.Column:
    return sa.Column(
        "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
    )


def upgrade() -> None:
    op.create_table(
        "gpx_upload",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("size_bytes", sa.Integer, nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.Column("encoding", sa.String(20), nullable=False),
        sa.Column("gpx_version", sa.String(10), nullable=False),
        sa.Column("declared_crs", sa.String(10), nullable=False),
        sa.Column("naive_timezone", sa.String(60), nullable=False),
        sa.Column("uploaded_by", sa.Integer, sa.ForeignKey("app_user.id", ondelete="SET NULL")),
        _now(),
        sa.CheckConstraint("declared_crs IN ('wgs84', 'gcj02')", name="gpx_upload_crs_known"),
    )
    op.create_table(
        "patrol",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "upload_id",
            sa.Integer,
            sa.ForeignKey("gpx_upload.id", ondelete="RESTRICT"),
            nullable=False,
            unique=True,
        ),
        sa.Column(
            "deputy_id", sa.Integer, sa.ForeignKey("deputy.id", ondelete="RESTRICT"), nullable=False
        ),
        sa.Column("uploaded_by", sa.Integer, sa.ForeignKey("app_user.id", ondelete="SET NULL")),
        sa.Column("on_behalf", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("started_at", sa.DateTime(timezone=True)),
        sa.Column("ended_at", sa.DateTime(timezone=True)),
        sa.Column("distance_m", sa.Float, nullable=False, server_default="0"),
        sa.Column("n_points", sa.Integer, nullable=False),
        sa.Column("n_kept", sa.Integer, nullable=False),
        sa.Column("dropped", postgresql.JSONB, nullable=False, server_default="{}"),
        sa.Column("has_times", sa.Boolean, nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("shape_signature", postgresql.ARRAY(sa.Float)),
        sa.Column("notes", sa.Text),
        sa.Column("geom", Geometry("MULTILINESTRINGM", srid=4326, spatial_index=False)),
        _now(),
    )
    op.create_index("idx_patrol_geom", "patrol", ["geom"], postgresql_using="gist")
    op.create_index("ix_patrol_deputy_started", "patrol", ["deputy_id", "started_at"])
    op.create_index("ix_patrol_fingerprint", "patrol", ["fingerprint"])
    op.create_table(
        "patrol_feature",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "patrol_id", sa.Integer, sa.ForeignKey("patrol.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("name", sa.String(255)),
        sa.Column("time", sa.DateTime(timezone=True)),
        sa.Column("geom", Geometry("GEOMETRY", srid=4326, spatial_index=False), nullable=False),
        sa.CheckConstraint("kind IN ('waypoint', 'route')", name="patrol_feature_kind_known"),
    )
    op.create_index("ix_patrol_feature_patrol", "patrol_feature", ["patrol_id"])
    op.create_table(
        "patrol_flag",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "patrol_id", sa.Integer, sa.ForeignKey("patrol.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("code", sa.String(30), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.UniqueConstraint("patrol_id", "code", name="patrol_flag_once"),
    )
    op.create_table(
        "patrol_review",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "patrol_id", sa.Integer, sa.ForeignKey("patrol.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("decision", sa.String(10), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("reviewer_id", sa.Integer, sa.ForeignKey("app_user.id", ondelete="SET NULL")),
        _now(),
        sa.CheckConstraint("decision IN ('accept', 'reject')", name="patrol_review_decision"),
        sa.CheckConstraint("length(trim(reason)) > 0", name="patrol_review_has_reason"),
    )
    op.create_index("ix_patrol_review_patrol", "patrol_review", ["patrol_id", "id"])
    op.create_table(
        "visit",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "patrol_id", sa.Integer, sa.ForeignKey("patrol.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column(
            "site_id", sa.Integer, sa.ForeignKey("site.id", ondelete="RESTRICT"), nullable=False
        ),
        sa.Column("arrived", sa.DateTime(timezone=True), nullable=False),
        sa.Column("left", sa.DateTime(timezone=True), nullable=False),
        sa.Column("dwell_s", sa.Float, nullable=False),
        sa.Column("n_points", sa.Integer, nullable=False),
        sa.Column("is_assigned", sa.Boolean, nullable=False),
        sa.CheckConstraint('"left" >= arrived', name="visit_time_order"),
    )
    op.create_index("ix_visit_site_arrived", "visit", ["site_id", "arrived"])
    op.create_index("ix_visit_patrol", "visit", ["patrol_id"])
    op.create_table(
        "checklist_answer",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "patrol_id", sa.Integer, sa.ForeignKey("patrol.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column(
            "site_id", sa.Integer, sa.ForeignKey("site.id", ondelete="RESTRICT"), nullable=False
        ),
        sa.Column("item", sa.String(40), nullable=False),
        sa.Column("answer", sa.Boolean, nullable=False),
        _now(),
        sa.UniqueConstraint("patrol_id", "site_id", "item", name="checklist_answer_once"),
    )
    op.create_table(
        "patrol_photo",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "patrol_id", sa.Integer, sa.ForeignKey("patrol.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("site_id", sa.Integer, sa.ForeignKey("site.id", ondelete="SET NULL")),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("mime", sa.String(40), nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.Column("caption", sa.Text),
        _now(),
        sa.UniqueConstraint("patrol_id", "sha256", name="patrol_photo_once"),
    )
    # A patrol counts when nothing flagged it, or when the latest review accepted it.
    op.execute("""
        CREATE VIEW patrol_state AS
        SELECT p.id AS patrol_id,
               EXISTS (SELECT 1 FROM patrol_flag f WHERE f.patrol_id = p.id) AS flagged,
               r.decision AS review,
               (NOT EXISTS (SELECT 1 FROM patrol_flag f WHERE f.patrol_id = p.id)
                OR r.decision = 'accept') AND p.has_times AS counts
        FROM patrol p
        LEFT JOIN LATERAL (
            SELECT decision FROM patrol_review pr WHERE pr.patrol_id = p.id
            ORDER BY pr.id DESC LIMIT 1
        ) r ON true
    """)
    op.execute("""
        CREATE VIEW verified_visit AS
        SELECT v.id AS visit_id, v.site_id, p.deputy_id, v.patrol_id, v.arrived, v."left",
               v.dwell_s, v.is_assigned,
               (v.arrived AT TIME ZONE COALESCE(NULLIF(current_setting('shuijian.timezone', true),
                                                       ''), 'Asia/Shanghai'))::date AS visit_date
        FROM visit v
        JOIN patrol p ON p.id = v.patrol_id
        JOIN patrol_state s ON s.patrol_id = p.id
        WHERE s.counts
    """)


def downgrade() -> None:
    op.execute("DROP VIEW verified_visit")
    op.execute("DROP VIEW patrol_state")
    for table in (
        "patrol_photo",
        "checklist_answer",
        "visit",
        "patrol_review",
        "patrol_flag",
        "patrol_feature",
        "patrol",
        "gpx_upload",
    ):
        op.drop_table(table)
