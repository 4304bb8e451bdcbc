"""County, townships, grid cells, sites, deputies, assignments, users.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _geom(kind: str) -> Geometry:
    # Indexes are created explicitly below, so GeoAlchemy2 must not add its own.
    return Geometry(kind, srid=4326, spatial_index=False)


def _gist(table: str, column: str = "geom") -> None:
    op.create_index(f"idx_{table}_{column}", table, [column], postgresql_using="gist")


def upgrade() -> None:
    op.create_table(
        "county",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(6), nullable=False, unique=True),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("geom", _geom("MULTIPOLYGON"), nullable=False),
    )
    _gist("county")
    op.create_table(
        "township",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(20), nullable=False, unique=True),
        sa.Column("name", sa.String(80), nullable=False, unique=True),
        sa.Column("geom", _geom("MULTIPOLYGON"), nullable=False),
    )
    _gist("township")
    op.create_table(
        "grid_cell",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(40), nullable=False, unique=True),
        sa.Column("name", sa.String(80)),
        sa.Column("level", sa.SmallInteger, nullable=False),
        sa.Column("parent_id", sa.Integer, sa.ForeignKey("grid_cell.id", ondelete="RESTRICT")),
        sa.Column("township_id", sa.Integer, sa.ForeignKey("township.id", ondelete="SET NULL")),
        sa.Column("geom", _geom("MULTIPOLYGON"), nullable=False),
        sa.CheckConstraint("level BETWEEN 1 AND 3", name="grid_cell_level_range"),
        sa.CheckConstraint("(level = 1) = (parent_id IS NULL)", name="grid_cell_parent_by_level"),
    )
    _gist("grid_cell")
    op.create_index("ix_grid_cell_level", "grid_cell", ["level"])
    op.create_index("ix_grid_cell_parent", "grid_cell", ["parent_id"])
    op.create_table(
        "site",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(40), nullable=False, unique=True),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("site_class", sa.SmallInteger, nullable=False),
        sa.Column("township_id", sa.Integer, sa.ForeignKey("township.id", ondelete="SET NULL")),
        sa.Column("grid_cell_id", sa.Integer, sa.ForeignKey("grid_cell.id", ondelete="SET NULL")),
        sa.Column("geom", _geom("GEOMETRY"), nullable=False),
        sa.CheckConstraint(
            "kind IN ('pond', 'reservoir', 'small_water', 'river_section', 'livestock_farm')",
            name="site_kind_known",
        ),
        sa.CheckConstraint("site_class BETWEEN 1 AND 3", name="site_class_range"),
        sa.CheckConstraint(
            "(kind = 'livestock_farm') = (GeometryType(geom) = 'POINT')",
            name="site_farm_is_point",
        ),
    )
    _gist("site")
    op.create_index("ix_site_township", "site", ["township_id"])
    op.create_index("ix_site_grid_cell", "site", ["grid_cell_id"])
    op.create_table(
        "deputy",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(40), nullable=False, unique=True),
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("level", sa.String(10), nullable=False),
        sa.Column("township_id", sa.Integer, sa.ForeignKey("township.id", ondelete="SET NULL")),
        sa.Column("contact", sa.String(80)),
        sa.Column("home", _geom("POINT")),
        sa.CheckConstraint(
            "level IN ('province', 'city', 'county', 'township')", name="deputy_level_known"
        ),
    )
    _gist("deputy", "home")
    op.create_index("ix_deputy_township", "deputy", ["township_id"])
    op.create_table(
        "assignment",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "deputy_id", sa.Integer, sa.ForeignKey("deputy.id", ondelete="RESTRICT"), nullable=False
        ),
        sa.Column(
            "site_id", sa.Integer, sa.ForeignKey("site.id", ondelete="RESTRICT"), nullable=False
        ),
        sa.Column("valid_from", sa.Date, nullable=False),
        sa.Column("valid_to", sa.Date),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint(
            "valid_to IS NULL OR valid_to > valid_from", name="assignment_period_order"
        ),
    )
    op.create_index("ix_assignment_deputy", "assignment", ["deputy_id"])
    op.create_index("ix_assignment_site", "assignment", ["site_id"])
    # One deputy per site on any day: periods of the same site may not overlap.
    op.execute(
        "ALTER TABLE assignment ADD CONSTRAINT assignment_one_deputy_per_day "
        "EXCLUDE USING gist (site_id WITH =, daterange(valid_from, valid_to) WITH &&)"
    )
    op.create_table(
        "app_user",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("username", sa.String(60), nullable=False, unique=True),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("role", sa.String(10), nullable=False),
        sa.Column(
            "deputy_id", sa.Integer, sa.ForeignKey("deputy.id", ondelete="CASCADE"), unique=True
        ),
        sa.Column("display_name", sa.String(80)),
        sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint(
            "role IN ('leader', 'analyst', 'deputy', 'admin')", name="app_user_role_known"
        ),
        sa.CheckConstraint(
            "(role = 'deputy') = (deputy_id IS NOT NULL)", name="app_user_deputy_tie"
        ),
    )
    op.create_table(
        "meta",
        sa.Column("key", sa.String(60), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )


def downgrade() -> None:
    for table in (
        "meta",
        "app_user",
        "assignment",
        "deputy",
        "site",
        "grid_cell",
        "township",
        "county",
    ):
        op.drop_table(table)
