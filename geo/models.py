"""The domain tables. Geometry is EPSG:4326 with explicit types; GeoAlchemy2 adds GiST indexes.

Kinds and levels are short English codes with CHECK constraints; their Chinese labels live in
`geo.vocab`, so the database never depends on display text.
"""

from __future__ import annotations

from datetime import date, datetime

from geoalchemy2 import Geometry
from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from geo.vocab import DEPUTY_LEVELS, ROLES, SITE_KINDS


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    pass


class County(Base):
    __tablename__ = "county"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(6), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=True), nullable=False)


class Township(Base):
    __tablename__ = "township"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=True), nullable=False)


class GridCell(Base):
    """A cell of the 网格 hierarchy: level 1 large (大网格), 2 medium (中网格), 3 small (小网格)."""

    __tablename__ = "grid_cell"
    __table_args__ = (
        CheckConstraint("level BETWEEN 1 AND 3", name="grid_cell_level_range"),
        CheckConstraint("(level = 1) = (parent_id IS NULL)", name="grid_cell_parent_by_level"),
        Index("ix_grid_cell_level", "level"),
        Index("ix_grid_cell_parent", "parent_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str | None] = mapped_column(String(80))
    level: Mapped[int] = mapped_column(SmallInteger)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("grid_cell.id", ondelete="RESTRICT"))
    township_id: Mapped[int | None] = mapped_column(ForeignKey("township.id", ondelete="SET NULL"))
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=True), nullable=False)

    parent: Mapped[GridCell | None] = relationship(remote_side=[id])


class Site(Base):
    """A supervised site: pond, reservoir, small water body, river section or livestock farm."""

    __tablename__ = "site"
    __table_args__ = (
        CheckConstraint(_in("kind", tuple(SITE_KINDS)), name="site_kind_known"),
        CheckConstraint("site_class BETWEEN 1 AND 3", name="site_class_range"),
        CheckConstraint(
            "(kind = 'livestock_farm') = (GeometryType(geom) = 'POINT')",
            name="site_farm_is_point",
        ),
        Index("ix_site_township", "township_id"),
        Index("ix_site_grid_cell", "grid_cell_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20))
    site_class: Mapped[int] = mapped_column(SmallInteger)
    township_id: Mapped[int | None] = mapped_column(ForeignKey("township.id", ondelete="SET NULL"))
    grid_cell_id: Mapped[int | None] = mapped_column(
        ForeignKey("grid_cell.id", ondelete="SET NULL")
    )
    geom = mapped_column(Geometry("GEOMETRY", srid=4326, spatial_index=True), nullable=False)


class Deputy(Base):
    """A 人大代表 of one of four levels (省/市/县/乡)."""

    __tablename__ = "deputy"
    __table_args__ = (
        CheckConstraint(_in("level", tuple(DEPUTY_LEVELS)), name="deputy_level_known"),
        Index("ix_deputy_township", "township_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(40))
    level: Mapped[str] = mapped_column(String(10))
    township_id: Mapped[int | None] = mapped_column(ForeignKey("township.id", ondelete="SET NULL"))
    contact: Mapped[str | None] = mapped_column(String(80))
    home = mapped_column(Geometry("POINT", srid=4326, spatial_index=True), nullable=True)


class Assignment(Base):
    """Deputy ↔ site for a period. Rows are closed (valid_to set), never rewritten or deleted,
    and one site has at most one deputy on any day (an exclusion constraint)."""

    __tablename__ = "assignment"
    __table_args__ = (
        CheckConstraint(
            "valid_to IS NULL OR valid_to > valid_from", name="assignment_period_order"
        ),
        Index("ix_assignment_deputy", "deputy_id"),
        Index("ix_assignment_site", "site_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    deputy_id: Mapped[int] = mapped_column(ForeignKey("deputy.id", ondelete="RESTRICT"))
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="RESTRICT"))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class User(Base):
    __tablename__ = "app_user"
    __table_args__ = (
        CheckConstraint(_in("role", ROLES), name="app_user_role_known"),
        CheckConstraint("(role = 'deputy') = (deputy_id IS NOT NULL)", name="app_user_deputy_tie"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    password_hash: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(10))
    deputy_id: Mapped[int | None] = mapped_column(
        ForeignKey("deputy.id", ondelete="CASCADE"), unique=True
    )
    display_name: Mapped[str | None] = mapped_column(String(80))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Meta(Base):
    """Small key/value facts about the loaded data (e.g. which demo seed built it)."""

    __tablename__ = "meta"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


__all__ = [
    "Assignment",
    "Base",
    "County",
    "Deputy",
    "GridCell",
    "Meta",
    "Site",
    "Township",
    "User",
]
