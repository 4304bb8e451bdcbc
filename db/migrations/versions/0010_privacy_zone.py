"""A deputy's privacy zones for the public archive: radius and centre offset drawn once, kept.

`privacy_zone` holds the draw for the zone around the registered home (one per deputy; the
centre is the home moved by the offset, so a new home keeps the draw). `privacy_place` holds a
zone around each recurring start/end point found among a deputy's tracks, with its own draw and
its anchor fixed when it was found. Neither is ever redrawn: months of tracks cut by the same
zone cannot be averaged to the true point (archive/privacy.py).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def _draw_columns() -> list[sa.Column]:
    return [
        sa.Column("radius_m", sa.Float, nullable=False),
        sa.Column("offset_east_m", sa.Float, nullable=False),
        sa.Column("offset_north_m", sa.Float, nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    ]


def _draw_check(table: str) -> sa.CheckConstraint:
    # The true point lies strictly inside the zone, never at its centre.
    return sa.CheckConstraint(
        "radius_m > 0 AND sqrt(offset_east_m ^ 2 + offset_north_m ^ 2) < radius_m",
        name=f"{table}_point_inside",
    )


def upgrade() -> None:
    op.create_table(
        "privacy_zone",
        sa.Column(
            "deputy_id",
            sa.Integer,
            sa.ForeignKey("deputy.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        *_draw_columns(),
        _draw_check("privacy_zone"),
    )
    op.create_table(
        "privacy_place",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "deputy_id",
            sa.Integer,
            sa.ForeignKey("deputy.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("anchor", Geometry("POINT", srid=4326, spatial_index=False), nullable=False),
        *_draw_columns(),
        _draw_check("privacy_place"),
    )
    op.create_index("ix_privacy_place_deputy", "privacy_place", ["deputy_id"])


def downgrade() -> None:
    op.drop_table("privacy_place")
    op.drop_table("privacy_zone")
