"""一月一排名、一月一通报: the city's monthly ranking of its counties, frozen when published;
the city's roles and their accounts came with 0020.

``city_ranking_publication`` is one publication of a month (the rules it was scored by, who
and when); ``city_ranking`` its lines, one per county, with the indicators, points, score and
rank exactly as published. Both are append-only (the app may only insert and read them; a
TRUNCATE guard like 0012's): a later correction is a new publication that names the one it
supersedes, with a reason — a partial unique index allows one first publication per month,
a unique ``supersedes_id`` lets each be superseded once, and a composite foreign key keeps a
correction in its own month, so the chain of a month cannot fork.

The rows are the city's, not a county's: the public page reads every county's line. The
``county_id`` column (with an index) names whose line it is.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

# The append-only tables this revision adds (with the earlier ones', db.roles.APPEND_ONLY).
APPEND_ONLY = ("city_ranking_publication", "city_ranking")


def upgrade() -> None:
    op.create_table(
        "city_ranking_publication",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("month", sa.Date, nullable=False),
        sa.Column("as_of", sa.Date, nullable=False),
        sa.Column("weights_version", sa.String(40), nullable=False),
        sa.Column("weights", JSONB, nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_by", sa.String(120), nullable=False),
        sa.Column("published_by_user_id", sa.Integer, sa.ForeignKey("app_user.id")),
        sa.Column("supersedes_id", sa.Integer),
        sa.Column("reason", sa.Text),
        sa.CheckConstraint("extract(day FROM month) = 1", name="city_ranking_publication_month"),
        sa.CheckConstraint(
            "(supersedes_id IS NULL) = (reason IS NULL)", name="city_ranking_publication_reason"
        ),
        sa.UniqueConstraint("id", "month", name="city_ranking_publication_id_month"),
        sa.UniqueConstraint("supersedes_id", name="city_ranking_publication_supersedes_once"),
        sa.ForeignKeyConstraint(
            ["supersedes_id", "month"],
            ["city_ranking_publication.id", "city_ranking_publication.month"],
            name="city_ranking_publication_supersedes_same_month",
        ),
    )
    op.create_index(
        "ux_city_ranking_publication_first",
        "city_ranking_publication",
        ["month"],
        unique=True,
        postgresql_where=sa.text("supersedes_id IS NULL"),
    )
    op.create_table(
        "city_ranking",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "publication_id",
            sa.Integer,
            sa.ForeignKey("city_ranking_publication.id"),
            nullable=False,
        ),
        sa.Column("month", sa.Date, nullable=False),
        sa.Column("county_id", sa.Integer, sa.ForeignKey("county.id"), nullable=False),
        sa.Column("county_code", sa.String(6), nullable=False),
        sa.Column("county_name", sa.String(80), nullable=False),
        sa.Column("indicators", JSONB, nullable=False),
        sa.Column("points", JSONB, nullable=False),
        sa.Column("score", sa.Numeric(6, 2)),
        sa.Column("rank", sa.Integer),
        sa.Column("weights_version", sa.String(40), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_by", sa.String(120), nullable=False),
        sa.UniqueConstraint("publication_id", "county_id", name="city_ranking_once_per_county"),
    )
    op.create_index("ix_city_ranking_county", "city_ranking", ["county_id"])
    op.create_index("ix_city_ranking_month", "city_ranking", ["month"])
    for table in APPEND_ONLY:
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION refuse_truncate()"
        )


def downgrade() -> None:
    for table in APPEND_ONLY:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
    op.drop_table("city_ranking")
    op.drop_table("city_ranking_publication")
