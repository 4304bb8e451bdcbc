"""督查组 supervision groups and volunteer patrol teams (骑行河长, 老骥常青).

Groups have members (one leader at a time) and townships for periods, closed and never
deleted; their inspection visits (a check-in or a GPX track) and findings are appended only.
Volunteer teams and members are records; a volunteer's track is stored apart from ``patrol``
(its own table, the same ``gpx_upload`` store), so no deputy figure can count it.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects.postgresql import JSONB

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

# The append-only tables this revision adds (with 0012's and 0013's, db.roles.APPEND_ONLY).
APPEND_ONLY = ("supervision_visit", "supervision_finding", "volunteer_visit")


def _period(prefix: str, start: str = "valid_from", end: str = "valid_to") -> list:
    return [
        sa.Column(start, sa.Date, nullable=False),
        sa.Column(end, sa.Date),
        sa.CheckConstraint(f"{end} IS NULL OR {end} > {start}", name=f"{prefix}_period_order"),
    ]


def upgrade() -> None:
    op.create_table(
        "supervision_group",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(40), nullable=False, unique=True),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )
    op.create_table(
        "supervision_member",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "group_id",
            sa.Integer,
            sa.ForeignKey("supervision_group.id", ondelete="RESTRICT"),
            nullable=False,
        ),
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("title", sa.String(80)),
        sa.Column("role", sa.String(10), nullable=False),
        *_period("supervision_member"),
        sa.CheckConstraint("role IN ('leader', 'member')", name="supervision_member_role_known"),
        sa.CheckConstraint("btrim(name) <> ''", name="supervision_member_name_given"),
    )
    op.create_index("ix_supervision_member_group", "supervision_member", ["group_id"])
    op.create_index(
        "ux_supervision_member_one_leader",
        "supervision_member",
        ["group_id"],
        unique=True,
        postgresql_where=sa.text("role = 'leader' AND valid_to IS NULL"),
    )
    op.create_table(
        "supervision_assignment",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "group_id",
            sa.Integer,
            sa.ForeignKey("supervision_group.id", ondelete="RESTRICT"),
            nullable=False,
        ),
        sa.Column(
            "township_id",
            sa.Integer,
            sa.ForeignKey("township.id", ondelete="RESTRICT"),
            nullable=False,
        ),
        *_period("supervision_assignment"),
    )
    op.create_index("ix_supervision_assignment_township", "supervision_assignment", ["township_id"])
    op.create_index(
        "ux_supervision_assignment_open",
        "supervision_assignment",
        ["group_id", "township_id"],
        unique=True,
        postgresql_where=sa.text("valid_to IS NULL"),
    )
    op.create_table(
        "supervision_visit",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("group_id", sa.Integer, sa.ForeignKey("supervision_group.id"), nullable=False),
        sa.Column("township_id", sa.Integer, sa.ForeignKey("township.id"), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True)),
        sa.Column("place", sa.String(200)),
        sa.Column("upload_id", sa.Integer, sa.ForeignKey("gpx_upload.id"), unique=True),
        sa.Column("distance_m", sa.Float),
        sa.Column("recorded_by", sa.Integer, sa.ForeignKey("app_user.id")),
        sa.Column("geom", Geometry("GEOMETRY", srid=4326, spatial_index=False)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('checkin', 'gpx')", name="supervision_visit_kind_known"),
        sa.CheckConstraint(
            "(kind = 'gpx') = (upload_id IS NOT NULL)", name="supervision_visit_gpx_has_upload"
        ),
        sa.CheckConstraint(
            "kind = 'gpx' OR btrim(coalesce(place, '')) <> ''",
            name="supervision_visit_checkin_has_place",
        ),
    )
    op.create_index(
        "ix_supervision_visit_township_at", "supervision_visit", ["township_id", "started_at"]
    )
    op.create_index(
        "idx_supervision_visit_geom", "supervision_visit", ["geom"], postgresql_using="gist"
    )
    op.create_table(
        "supervision_finding",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("visit_id", sa.Integer, sa.ForeignKey("supervision_visit.id"), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("photo", sa.LargeBinary),
        sa.Column("photo_mime", sa.String(40)),
        sa.Column("photo_sha256", sa.String(64)),
        sa.Column("recorded_by", sa.Integer, sa.ForeignKey("app_user.id")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("btrim(text) <> ''", name="supervision_finding_text_given"),
    )
    op.create_index("ix_supervision_finding_visit", "supervision_finding", ["visit_id"])

    op.create_table(
        "volunteer_team",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(40), nullable=False, unique=True),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("township_id", sa.Integer, sa.ForeignKey("township.id", ondelete="SET NULL")),
        sa.CheckConstraint("kind IN ('cycling', 'veteran')", name="volunteer_team_kind"),
    )
    op.create_table(
        "volunteer_member",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(40), nullable=False, unique=True),
        sa.Column(
            "team_id",
            sa.Integer,
            sa.ForeignKey("volunteer_team.id", ondelete="RESTRICT"),
            nullable=False,
        ),
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("contact", sa.String(80)),
        sa.Column("joined_on", sa.Date, nullable=False),
        sa.Column("left_on", sa.Date),
        sa.CheckConstraint(
            "left_on IS NULL OR left_on > joined_on", name="volunteer_member_period"
        ),
    )
    op.create_index("ix_volunteer_member_team", "volunteer_member", ["team_id"])
    op.create_table(
        "volunteer_patrol",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "upload_id", sa.Integer, sa.ForeignKey("gpx_upload.id"), nullable=False, unique=True
        ),
        sa.Column("member_id", sa.Integer, sa.ForeignKey("volunteer_member.id"), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True)),
        sa.Column("ended_at", sa.DateTime(timezone=True)),
        sa.Column("distance_m", sa.Float, nullable=False),
        sa.Column("n_points", sa.Integer, nullable=False),
        sa.Column("n_kept", sa.Integer, nullable=False),
        sa.Column("has_times", sa.Boolean, nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("flags", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
        sa.Column("uploaded_by", sa.Integer, sa.ForeignKey("app_user.id")),
        sa.Column("geom", Geometry("MULTILINESTRINGM", srid=4326, spatial_index=False)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_volunteer_patrol_member_started", "volunteer_patrol", ["member_id", "started_at"]
    )
    op.create_index(
        "idx_volunteer_patrol_geom", "volunteer_patrol", ["geom"], postgresql_using="gist"
    )
    op.create_table(
        "volunteer_visit",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("patrol_id", sa.Integer, sa.ForeignKey("volunteer_patrol.id"), nullable=False),
        sa.Column("site_id", sa.Integer, sa.ForeignKey("site.id"), nullable=False),
        sa.Column("arrived", sa.DateTime(timezone=True), nullable=False),
        sa.Column("left", sa.DateTime(timezone=True), nullable=False),
        sa.Column("dwell_s", sa.Float, nullable=False),
    )
    op.create_index("ix_volunteer_visit_patrol", "volunteer_visit", ["patrol_id"])
    for table in APPEND_ONLY:
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION refuse_truncate()"
        )


def downgrade() -> None:
    for table in APPEND_ONLY:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
    for table in (
        "volunteer_visit",
        "volunteer_patrol",
        "volunteer_member",
        "volunteer_team",
        "supervision_finding",
        "supervision_visit",
        "supervision_assignment",
        "supervision_member",
        "supervision_group",
    ):
        op.drop_table(table)
