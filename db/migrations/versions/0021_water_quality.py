"""Water quality at township cross-sections (交接断面水质).

``water_section``: where a river passes from one township to the next, with its target class
(I–V) and water body (river, or lake/reservoir: 湖、库). ``water_sample``: one month's
monitoring result per section (mg/L; pH dimensionless), its class computed on reading from
water/gb3838_2002.toml. Both carry ``county_id`` (indexed) for row-level security; both are
records the app updates and never deletes (db.roles.NO_DELETE): a month imported again
replaces its values only when asked, the audit log keeping the replaced ones.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-10
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

PARAMETERS = ("dissolved_oxygen", "codmn", "cod", "bod5", "nh3n", "tp", "tn")


def _county() -> sa.Column:
    return sa.Column(
        "county_id",
        sa.Integer,
        sa.ForeignKey("county.id", ondelete="RESTRICT"),
        nullable=False,
    )


def _township(name: str, nullable: bool) -> sa.Column:
    return sa.Column(
        name, sa.Integer, sa.ForeignKey("township.id", ondelete="RESTRICT"), nullable=nullable
    )


def upgrade() -> None:
    op.create_table(
        "water_section",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("waterbody", sa.String(10), nullable=False, server_default="river"),
        sa.Column("target_class", sa.SmallInteger, nullable=False),
        _township("upstream_township_id", True),
        _township("downstream_township_id", False),
        _county(),
        sa.Column("geom", Geometry("POINT", srid=4326, spatial_index=False), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("target_class BETWEEN 1 AND 5", name="water_section_target_range"),
        sa.CheckConstraint("waterbody IN ('river', 'lake')", name="water_section_waterbody_known"),
        sa.CheckConstraint(
            "upstream_township_id IS DISTINCT FROM downstream_township_id",
            name="water_section_two_townships",
        ),
    )
    op.create_index("ix_water_section_county", "water_section", ["county_id"])
    # two counties may both number their sections JJ01…
    op.create_unique_constraint(
        "water_section_county_code_key", "water_section", ["county_id", "code"]
    )
    op.create_index("ix_water_section_upstream", "water_section", ["upstream_township_id"])
    op.create_index("ix_water_section_downstream", "water_section", ["downstream_township_id"])
    op.create_index("idx_water_section_geom", "water_section", ["geom"], postgresql_using="gist")
    op.create_table(
        "water_sample",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "section_id",
            sa.Integer,
            sa.ForeignKey("water_section.id", ondelete="RESTRICT"),
            nullable=False,
        ),
        sa.Column("sampled_on", sa.Date, nullable=False),
        sa.Column("month", sa.Date, nullable=False),
        *(sa.Column(name, sa.Numeric, nullable=False) for name in PARAMETERS),
        sa.Column("ph", sa.Numeric),
        _county(),
        sa.Column("source", sa.String(255), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("imported_by", sa.String(120), nullable=False),
        sa.UniqueConstraint("section_id", "month", name="water_sample_once_a_month"),
        sa.CheckConstraint(
            "month = date_trunc('month', sampled_on)::date", name="water_sample_month_of_day"
        ),
        sa.CheckConstraint(
            " AND ".join(f"{name} >= 0" for name in PARAMETERS), name="water_sample_not_negative"
        ),
        sa.CheckConstraint("ph IS NULL OR ph BETWEEN 0 AND 14", name="water_sample_ph_range"),
    )
    op.create_index("ix_water_sample_county_month", "water_sample", ["county_id", "month"])
    op.create_index("ix_water_sample_month", "water_sample", ["month"])
    # Under the counties' row-level security (0020): a section is its downstream township's
    # county's (the importer says so), a sample its section's.
    op.execute(
        """
CREATE FUNCTION shuijian_county_of_water_sample() RETURNS trigger
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE parent integer;
BEGIN
  SELECT county_id INTO parent FROM water_section WHERE id = NEW.section_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'new row violates row-level security policy for table "water_sample"'
      USING ERRCODE = '42501', DETAIL = 'section_id names a row of another county';
  END IF;
  NEW.county_id := parent;
  RETURN NEW;
END $$;
CREATE TRIGGER a_county_of_water_sample BEFORE INSERT ON water_sample
  FOR EACH ROW EXECUTE FUNCTION shuijian_county_of_water_sample();
"""
    )
    policy = "(SELECT shuijian_scope_all()) OR county_id = (SELECT shuijian_scope_county())"
    for table in ("water_section", "water_sample"):
        op.alter_column(table, "county_id", server_default=sa.text("shuijian_scope_county()"))
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY county_scope ON {table} USING ({policy}) WITH CHECK ({policy})")


def downgrade() -> None:
    op.execute("DROP TRIGGER a_county_of_water_sample ON water_sample")
    op.execute("DROP FUNCTION shuijian_county_of_water_sample()")
    op.drop_table("water_sample")
    op.drop_table("water_section")
