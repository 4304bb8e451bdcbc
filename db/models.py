"""The domain tables. Geometry is EPSG:4326 with explicit types; GeoAlchemy2 adds GiST indexes.

Kinds and levels are short English codes with CHECK constraints; their Chinese labels live in
`core.vocab`, so the database never depends on display text.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from core.vocab import CLASS_BASES, DEPUTY_LEVELS, ROLES, SITE_KINDS


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    pass


class CountyOwned:
    """A row of one county (migration 0020): filled on insert from its parent row or from the
    scope (``db.scope``), and seen only in that county's scope or the city's."""

    county_id: Mapped[int] = mapped_column(
        ForeignKey("county.id", ondelete="RESTRICT"),
        server_default=text("shuijian_scope_county()"),
    )


class MaybeCountyOwned:
    """Like ``CountyOwned``, but NULL for the city's own rows (a city account, a system
    action): those are seen in the city's scope only."""

    county_id: Mapped[int | None] = mapped_column(
        ForeignKey("county.id", ondelete="RESTRICT"),
        server_default=text("shuijian_scope_county()"),
    )


class County(Base):
    __tablename__ = "county"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(6), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=True), nullable=False)


class Township(CountyOwned, Base):
    __tablename__ = "township"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=True), nullable=False)


class GridCell(CountyOwned, Base):
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


class Site(CountyOwned, Base):
    """A supervised site: pond, reservoir, small water body, river section or livestock farm."""

    __tablename__ = "site"
    __table_args__ = (
        CheckConstraint(_in("kind", tuple(SITE_KINDS)), name="site_kind_known"),
        CheckConstraint("site_class BETWEEN 1 AND 3", name="site_class_range"),
        CheckConstraint(
            f"class_basis IS NULL OR {_in('class_basis', CLASS_BASES)}",
            name="site_class_basis_known",
        ),
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
    class_basis: Mapped[str | None] = mapped_column(String(30))
    township_id: Mapped[int | None] = mapped_column(ForeignKey("township.id", ondelete="SET NULL"))
    grid_cell_id: Mapped[int | None] = mapped_column(
        ForeignKey("grid_cell.id", ondelete="SET NULL")
    )
    geom = mapped_column(Geometry("GEOMETRY", srid=4326, spatial_index=True), nullable=False)


class SiteClassChange(CountyOwned, Base):
    """A site's class from a day on, with its basis: appended, never rewritten — the
    history of why a site is patrolled as often as it is. site.site_class and
    site.class_basis hold the latest row's values."""

    __tablename__ = "site_class_change"
    __table_args__ = (
        CheckConstraint("site_class BETWEEN 1 AND 3", name="site_class_change_range"),
        CheckConstraint(_in("basis", CLASS_BASES), name="site_class_change_basis_known"),
        UniqueConstraint("site_id", "valid_from", name="site_class_change_once_a_day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"))
    site_class: Mapped[int] = mapped_column(SmallInteger)
    basis: Mapped[str] = mapped_column(String(30))
    valid_from: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Deputy(CountyOwned, Base):
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


class Assignment(CountyOwned, Base):
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


class User(MaybeCountyOwned, Base):
    __tablename__ = "app_user"
    __table_args__ = (
        CheckConstraint(_in("role", ROLES), name="app_user_role_known"),
        CheckConstraint("(role = 'deputy') = (deputy_id IS NOT NULL)", name="app_user_deputy_tie"),
        # A township account (乡镇工作人员) is confined to its township; no other role has one.
        CheckConstraint(
            "(role = 'township') = (township_id IS NOT NULL)", name="app_user_township_tie"
        ),
        Index("ix_app_user_township", "township_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    password_hash: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(20))
    deputy_id: Mapped[int | None] = mapped_column(
        ForeignKey("deputy.id", ondelete="CASCADE"), unique=True
    )
    township_id: Mapped[int | None] = mapped_column(ForeignKey("township.id", ondelete="RESTRICT"))
    display_name: Mapped[str | None] = mapped_column(String(80))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class GpxUpload(CountyOwned, Base):
    """The original GPX file, kept byte for byte; its hash makes re-uploads no-ops."""

    __tablename__ = "gpx_upload"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))  # unique within its county (0020)
    filename: Mapped[str] = mapped_column(String(255))
    size_bytes: Mapped[int]
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    encoding: Mapped[str] = mapped_column(String(20))
    gpx_version: Mapped[str] = mapped_column(String(10))
    declared_crs: Mapped[str] = mapped_column(String(10))
    naive_timezone: Mapped[str] = mapped_column(String(60))
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Patrol(CountyOwned, Base):
    """One uploaded track. Whether it counts is derived (view patrol_state), never stored."""

    __tablename__ = "patrol"

    id: Mapped[int] = mapped_column(primary_key=True)
    upload_id: Mapped[int] = mapped_column(ForeignKey("gpx_upload.id"), unique=True)
    deputy_id: Mapped[int] = mapped_column(ForeignKey("deputy.id"))
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    on_behalf: Mapped[bool] = mapped_column(default=False)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    distance_m: Mapped[float] = mapped_column(Float, default=0.0)
    n_points: Mapped[int]
    n_kept: Mapped[int]
    dropped: Mapped[dict] = mapped_column(JSONB, default=dict)
    has_times: Mapped[bool]
    fingerprint: Mapped[str] = mapped_column(String(64))
    shape_signature: Mapped[list[float] | None] = mapped_column(ARRAY(Float))
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class PatrolTrack(CountyOwned, Base):
    """A patrol's points: one MULTILINESTRINGM (M = epoch seconds), kept apart from the patrol
    row in monthly partitions of ``recorded_at`` (0023), so old months can be archived whole."""

    __tablename__ = "patrol_track"
    __table_args__ = {"postgresql_partition_by": "RANGE (recorded_at)"}

    patrol_id: Mapped[int] = mapped_column(
        ForeignKey("patrol.id", ondelete="CASCADE"), primary_key=True
    )
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    geom = mapped_column(
        Geometry("MULTILINESTRINGM", srid=4326, spatial_index=False), nullable=False
    )


class PatrolFeature(CountyOwned, Base):
    """Waypoints and routes of a GPX file: stored, shown, never proof of a visit."""

    __tablename__ = "patrol_feature"

    id: Mapped[int] = mapped_column(primary_key=True)
    patrol_id: Mapped[int] = mapped_column(ForeignKey("patrol.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))
    name: Mapped[str | None] = mapped_column(String(255))
    time: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    geom = mapped_column(Geometry("GEOMETRY", srid=4326, spatial_index=False), nullable=False)


class PatrolFlag(CountyOwned, Base):
    __tablename__ = "patrol_flag"
    __table_args__ = (UniqueConstraint("patrol_id", "code", name="patrol_flag_once"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patrol_id: Mapped[int] = mapped_column(ForeignKey("patrol.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(30))
    message: Mapped[str] = mapped_column(Text)
    details: Mapped[list] = mapped_column(JSONB, default=list, server_default="[]")


class PatrolReview(CountyOwned, Base):
    """An analyst's accept/reject of a flagged patrol; appended, the latest one decides."""

    __tablename__ = "patrol_review"

    id: Mapped[int] = mapped_column(primary_key=True)
    patrol_id: Mapped[int] = mapped_column(ForeignKey("patrol.id", ondelete="CASCADE"))
    decision: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(Text)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Visit(CountyOwned, Base):
    """A stay at a site proven by a track; monthly partitions of ``arrived`` (0023)."""

    __tablename__ = "visit"
    __table_args__ = {"postgresql_partition_by": "RANGE (arrived)"}

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    patrol_id: Mapped[int] = mapped_column(ForeignKey("patrol.id", ondelete="CASCADE"))
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    arrived: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    left: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    dwell_s: Mapped[float] = mapped_column(Float)
    n_points: Mapped[int]
    is_assigned: Mapped[bool]


class ChecklistAnswer(CountyOwned, Base):
    __tablename__ = "checklist_answer"
    __table_args__ = (
        UniqueConstraint("patrol_id", "site_id", "item", name="checklist_answer_once"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patrol_id: Mapped[int] = mapped_column(ForeignKey("patrol.id", ondelete="CASCADE"))
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    item: Mapped[str] = mapped_column(String(40))
    answer: Mapped[bool]
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class PatrolPhoto(CountyOwned, Base):
    __tablename__ = "patrol_photo"
    __table_args__ = (UniqueConstraint("patrol_id", "sha256", name="patrol_photo_once"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patrol_id: Mapped[int] = mapped_column(ForeignKey("patrol.id", ondelete="CASCADE"))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id", ondelete="SET NULL"))
    sha256: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255))
    mime: Mapped[str] = mapped_column(String(40))
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    caption: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Platform(Base):
    """One of the four government platforms; its API key is stored only as a hash."""

    __tablename__ = "platform"

    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(40))
    name_en: Mapped[str] = mapped_column(String(80))
    endpoint_url: Mapped[str | None] = mapped_column(Text)
    api_key_hash: Mapped[str | None] = mapped_column(Text)


class OgcClient(Base):
    """A reader of the open interface (OGC API – Features); its key is stored only as a hash."""

    __tablename__ = "ogc_client"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    api_key_hash: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ProblemCategory(Base):
    """The routing table: category → platform, deadline (working days), de-duplication radius."""

    __tablename__ = "problem_category"

    code: Mapped[str] = mapped_column(String(30), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(60))
    name_en: Mapped[str] = mapped_column(String(80))
    platform_code: Mapped[str] = mapped_column(ForeignKey("platform.code"))
    deadline_workdays: Mapped[int] = mapped_column(SmallInteger)
    dedupe_radius_m: Mapped[float] = mapped_column(Float)
    active: Mapped[bool] = mapped_column(default=True)


class Ticket(CountyOwned, Base):
    """A dispatch ticket (交办单). Its status is the latest event's (view ticket_state)."""

    __tablename__ = "ticket"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(30), unique=True)
    category_code: Mapped[str] = mapped_column(ForeignKey("problem_category.code"))
    platform_code: Mapped[str] = mapped_column(ForeignKey("platform.code"))
    township_id: Mapped[int | None] = mapped_column(ForeignKey("township.id", ondelete="SET NULL"))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id", ondelete="SET NULL"))
    reporter_deputy_id: Mapped[int | None] = mapped_column(ForeignKey("deputy.id"))
    reported_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    source: Mapped[str] = mapped_column(String(20), default="app")
    patrol_id: Mapped[int | None] = mapped_column(ForeignKey("patrol.id", ondelete="SET NULL"))
    description: Mapped[str] = mapped_column(Text)
    deadline: Mapped[date] = mapped_column(Date)
    geom = mapped_column(Geometry("POINT", srid=4326, spatial_index=True), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class TicketEvent(CountyOwned, Base):
    """One move of a ticket; append-only (a trigger refuses UPDATE and DELETE)."""

    __tablename__ = "ticket_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id", ondelete="CASCADE"))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(20))
    actor_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL")
    )
    actor_platform: Mapped[str | None] = mapped_column(ForeignKey("platform.code"))
    comment: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[dict] = mapped_column(JSONB, default=dict)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class TicketAttachment(CountyOwned, Base):
    __tablename__ = "ticket_attachment"
    __table_args__ = (UniqueConstraint("ticket_id", "sha256", name="ticket_attachment_once"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id", ondelete="CASCADE"))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("ticket_event.id"))
    sha256: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255))
    mime: Mapped[str] = mapped_column(String(40))
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    taken_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    geom = mapped_column(Geometry("POINT", srid=4326, spatial_index=False), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class TicketFollower(CountyOwned, Base):
    """A deputy who found the same problem and follows the open ticket instead of doubling it."""

    __tablename__ = "ticket_follower"

    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("ticket.id", ondelete="CASCADE"), primary_key=True
    )
    deputy_id: Mapped[int] = mapped_column(ForeignKey("deputy.id"), primary_key=True)
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Outbox(CountyOwned, Base):
    """A message to a platform, written in the same transaction as the event that causes it."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id", ondelete="CASCADE"))
    platform_code: Mapped[str] = mapped_column(ForeignKey("platform.code"))
    idempotency_key: Mapped[str] = mapped_column(String(80), unique=True)
    payload: Mapped[dict] = mapped_column(JSONB)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class PlatformUpdate(CountyOwned, Base):
    """A platform's update id, remembered so that a retried push changes nothing."""

    __tablename__ = "platform_update"

    platform_code: Mapped[str] = mapped_column(ForeignKey("platform.code"), primary_key=True)
    update_id: Mapped[str] = mapped_column(String(120), primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id", ondelete="CASCADE"))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("ticket_event.id"))
    received_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class ApiCallLog(Base):
    __tablename__ = "api_call_log"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    platform_code: Mapped[str | None] = mapped_column(String(20))
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(Text)
    status: Mapped[int] = mapped_column(SmallInteger)
    duration_ms: Mapped[float] = mapped_column(Float)
    client: Mapped[str | None] = mapped_column(String(80))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Meta(Base):
    """Small key/value facts about the loaded data (e.g. which demo seed built it)."""

    __tablename__ = "meta"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class TownshipOffice(CountyOwned, Base):
    """The township's people's congress office (乡镇人大办公室): where an overdue site is
    escalated. ``phone`` is used as a deputy's contact is: the DingTalk @-mention and the SMS
    hook's ``to``; a township without a row has no office contact."""

    __tablename__ = "township_office"
    __table_args__ = (
        CheckConstraint("btrim(name) <> ''", name="township_office_name_given"),
        CheckConstraint("btrim(phone) <> ''", name="township_office_phone_given"),
    )

    township_id: Mapped[int] = mapped_column(
        ForeignKey("township.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(120))
    contact_name: Mapped[str | None] = mapped_column(String(40))
    phone: Mapped[str] = mapped_column(String(40))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ReminderLog(MaybeCountyOwned, Base):
    """One reminder message attempt (sent, failed, skipped or undeliverable), kept as history:
    to a deputy, or (an escalation) to a township's office."""

    __tablename__ = "reminder_log"
    __table_args__ = (
        CheckConstraint(
            "status IN ('sent', 'failed', 'skipped', 'undeliverable')",
            name="reminder_log_status_known",
        ),
        CheckConstraint("recipient IN ('deputy', 'office')", name="reminder_log_recipient_known"),
        CheckConstraint(
            "(recipient = 'deputy') = (deputy_id IS NOT NULL)",
            name="reminder_log_deputy_iff_deputy",
        ),
        CheckConstraint(
            "status <> 'undeliverable' OR recipient = 'office'",
            name="reminder_log_undeliverable_is_office",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(10), default="deputy")
    deputy_id: Mapped[int | None] = mapped_column(ForeignKey("deputy.id"))
    township_id: Mapped[int | None] = mapped_column(ForeignKey("township.id"))
    channel: Mapped[str] = mapped_column(String(20))
    on_date: Mapped[date] = mapped_column(Date)
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    ok: Mapped[bool]
    status: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str | None] = mapped_column(Text)
    sites: Mapped[list] = mapped_column(JSONB, default=list)


class ReminderItem(CountyOwned, Base):
    """One step of one (site, deadline) reminded through a channel — due soon, the n-th
    overdue round, or the escalation. The primary key makes each step happen once, even for
    runs at the same time: a run claims the row before it sends and keeps it only on success."""

    __tablename__ = "reminder_item"
    __table_args__ = (
        CheckConstraint(
            "step IN ('due_soon', 'overdue', 'escalation')", name="reminder_item_step_known"
        ),
        CheckConstraint(
            "round >= 0 AND (step = 'overdue' OR round = 0)",
            name="reminder_item_round_of_overdue",
        ),
    )

    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), primary_key=True)
    deadline: Mapped[date] = mapped_column(Date, primary_key=True)
    channel: Mapped[str] = mapped_column(String(20), primary_key=True)
    step: Mapped[str] = mapped_column(String(12), primary_key=True)
    round: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    deputy_id: Mapped[int] = mapped_column(ForeignKey("deputy.id"))
    first_sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    log_id: Mapped[int] = mapped_column(ForeignKey("reminder_log.id"))


__all__ = [
    "ApiCallLog",
    "AuditEvent",
    "Outbox",
    "Platform",
    "PlatformUpdate",
    "ProblemCategory",
    "Ticket",
    "TicketAttachment",
    "TicketEvent",
    "TicketFollower",
    "Assignment",
    "Base",
    "ChecklistAnswer",
    "County",
    "Deputy",
    "EarlyWarning",
    "GpxUpload",
    "GridCell",
    "GridHead",
    "GridHeadReminder",
    "LoginAttempt",
    "Meta",
    "Patrol",
    "PatrolFeature",
    "PatrolFlag",
    "PatrolPhoto",
    "PatrolReview",
    "PrivacyPlace",
    "PrivacyZone",
    "ReminderItem",
    "ReminderLog",
    "SignInSession",
    "Site",
    "SiteRegistration",
    "SupervisionAssignment",
    "SupervisionFinding",
    "SupervisionGroup",
    "SupervisionMember",
    "SupervisionVisit",
    "Township",
    "TownshipOffice",
    "User",
    "Visit",
    "VolunteerMember",
    "VolunteerPatrol",
    "VolunteerTeam",
    "VolunteerVisit",
]


class LoginAttempt(Base):
    """A sign-in failure, success or admin unlock, by account name (as typed, existing or
    not) and client; appended only. Throttling reads the failures since the last success or
    unlock (accounts.throttle)."""

    __tablename__ = "login_attempt"
    __table_args__ = (
        CheckConstraint(
            "outcome IN ('failure', 'success', 'unlock')", name="login_attempt_outcome_known"
        ),
        Index("ix_login_attempt_username", "username", "at"),
        Index("ix_login_attempt_client", "client", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(120))
    client: Mapped[str] = mapped_column(String(120))
    outcome: Mapped[str] = mapped_column(String(10))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SignInSession(Base):
    """A signed-in browser: the SHA-256 of the random token its HttpOnly cookie carries, with
    the idle and absolute expiry (accounts.sessions). Sign-out, a password change or a
    deactivated account revoke it; the row stays as the record."""

    __tablename__ = "sign_in_session"
    __table_args__ = (
        CheckConstraint("language IN ('zh', 'en')", name="sign_in_session_language_known"),
        CheckConstraint(
            "revoked_why IS NULL OR revoked_why IN ('sign_out', 'password', 'inactive')",
            name="sign_in_session_revoked_why_known",
        ),
        Index("ix_sign_in_session_user", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    client: Mapped[str] = mapped_column(String(120))
    language: Mapped[str] = mapped_column(String(2), server_default="zh")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_why: Mapped[str | None] = mapped_column(String(20))


_POINT_INSIDE = "radius_m > 0 AND sqrt(offset_east_m ^ 2 + offset_north_m ^ 2) < radius_m"


class PrivacyZone(CountyOwned, Base):
    """The draw of a deputy's privacy zone around the registered home: a radius and the offset
    of the zone's centre from the home, drawn once at random and kept (archive.privacy), so
    months of cut tracks cannot be averaged back to the home."""

    __tablename__ = "privacy_zone"
    __table_args__ = (CheckConstraint(_POINT_INSIDE, name="privacy_zone_point_inside"),)

    deputy_id: Mapped[int] = mapped_column(
        ForeignKey("deputy.id", ondelete="CASCADE"), primary_key=True
    )
    radius_m: Mapped[float] = mapped_column(Float)
    offset_east_m: Mapped[float] = mapped_column(Float)
    offset_north_m: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class PrivacyPlace(CountyOwned, Base):
    """A recurring start/end point of a deputy's tracks (a workplace, a home not registered),
    with its own zone drawn once and kept; the anchor is fixed when the place is found."""

    __tablename__ = "privacy_place"
    __table_args__ = (
        CheckConstraint(_POINT_INSIDE, name="privacy_place_point_inside"),
        Index("ix_privacy_place_deputy", "deputy_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    deputy_id: Mapped[int] = mapped_column(ForeignKey("deputy.id", ondelete="CASCADE"))
    anchor = mapped_column(Geometry("POINT", srid=4326, spatial_index=False), nullable=False)
    radius_m: Mapped[float] = mapped_column(Float)
    offset_east_m: Mapped[float] = mapped_column(Float)
    offset_north_m: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class AuditEvent(MaybeCountyOwned, Base):
    """An administrative action (an account added, a password reset, a deputy assigned, a
    platform's key rotated …): who, when, which action on what, and its details. Appended
    only; never a password or a key in it (accounts.audit refuses such details)."""

    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_at", "at"),
        Index("ix_audit_event_action", "action", "at"),
        {"postgresql_partition_by": "RANGE (at)"},  # monthly partitions (0023)
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    # "user:<name>" from the app (with the account's id), "cli:<os user>" from the shell
    actor: Mapped[str] = mapped_column(String(120))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(200))
    details: Mapped[dict] = mapped_column(JSONB, default=dict)


class GridHead(CountyOwned, Base):
    """The head of a small grid cell (小微水体网格长) for a period. Like an assignment, a new
    head closes the current row the day before (``valid_to``, exclusive) and nothing is
    rewritten or deleted; one head per cell on any day (an exclusion constraint)."""

    __tablename__ = "grid_head"
    __table_args__ = (
        CheckConstraint("btrim(name) <> ''", name="grid_head_name_given"),
        CheckConstraint("btrim(phone) <> ''", name="grid_head_phone_given"),
        CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="grid_head_period_order"),
        Index("ix_grid_head_cell", "grid_cell_id", "valid_from"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    grid_cell_id: Mapped[int] = mapped_column(ForeignKey("grid_cell.id", ondelete="RESTRICT"))
    name: Mapped[str] = mapped_column(String(40))
    phone: Mapped[str] = mapped_column(String(40))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class GridHeadReminder(CountyOwned, Base):
    """One dead-corner gap (a site of the cell overdue, or without a deputy, since a day) told
    to the cell's head in one reminder round through one channel. The primary key is the
    claim: a run inserts it before sending and keeps it only when the channel answered OK."""

    __tablename__ = "grid_head_reminder"
    __table_args__ = (
        CheckConstraint(
            "cause IN ('overdue', 'unassigned')", name="grid_head_reminder_cause_known"
        ),
        CheckConstraint("round >= 0", name="grid_head_reminder_round_positive"),
    )

    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), primary_key=True)
    cause: Mapped[str] = mapped_column(String(12), primary_key=True)
    since: Mapped[date] = mapped_column(Date, primary_key=True)
    channel: Mapped[str] = mapped_column(String(20), primary_key=True)
    round: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    grid_head_id: Mapped[int] = mapped_column(ForeignKey("grid_head.id"))
    grid_cell_id: Mapped[int] = mapped_column(ForeignKey("grid_cell.id"))
    on_date: Mapped[date] = mapped_column(Date)
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SiteRegistration(CountyOwned, Base):
    """A period during which a site is on the problem register (挂号): opened when a problem
    there is confirmed, cancelled (销号) after ``clean_needed`` consecutive clean patrols or
    re-inspections (duty.register). Periods, never a flag: history is the rows."""

    __tablename__ = "site_registration"
    __table_args__ = (
        CheckConstraint(
            "(closed_at IS NULL) = (closed_on IS NULL)", name="site_registration_closed_both"
        ),
        CheckConstraint(
            "closed_at IS NULL OR closed_at >= opened_at", name="site_registration_order"
        ),
        CheckConstraint("clean_needed >= 1 AND clean_streak >= 0", name="site_registration_counts"),
        UniqueConstraint("site_id", "opened_at", name="site_registration_once"),
        Index(
            "ix_site_registration_one_open",
            "site_id",
            unique=True,
            postgresql_where=text("closed_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    opened_ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"))
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    opened_on: Mapped[date] = mapped_column(Date)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_on: Mapped[date | None] = mapped_column(Date)
    clean_needed: Mapped[int] = mapped_column(SmallInteger)
    clean_streak: Mapped[int] = mapped_column(SmallInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class EarlyWarning(CountyOwned, Base):
    """A warning raised by a rule of reports/warnings.toml, once per ``key``; pushed to the
    township office, acknowledged and closed with a note (who and when kept)."""

    __tablename__ = "early_warning"
    __table_args__ = (Index("ix_early_warning_township", "township_id", "raised_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(160), unique=True)
    rule: Mapped[str] = mapped_column(String(30))
    township_id: Mapped[int | None] = mapped_column(ForeignKey("township.id"))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id"))
    deputy_id: Mapped[int | None] = mapped_column(ForeignKey("deputy.id"))
    raised_on: Mapped[date] = mapped_column(Date)
    raised_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    details: Mapped[dict] = mapped_column(JSONB, default=dict)
    pushed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    push_detail: Mapped[str | None] = mapped_column(Text)
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    acknowledged_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    acknowledge_note: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    close_note: Mapped[str | None] = mapped_column(Text)


class PhoneCode(Base):
    """A one-time code sent through the SMS hook to confirm a public reporter's phone: kept
    only as a salted SHA-256 (a copy of the table reveals no code), with an expiry and the
    wrong tries made against it."""

    __tablename__ = "phone_code"
    __table_args__ = (
        Index("ix_phone_code_phone", "phone", "created_at"),
        Index("ix_phone_code_client", "client", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    phone: Mapped[str] = mapped_column(String(20))
    client: Mapped[str] = mapped_column(String(80))
    code_hash: Mapped[str] = mapped_column(String(64))
    salt: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(SmallInteger, default=0)
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PublicReport(CountyOwned, Base):
    """有奖举报: a problem reported by anyone without an account. The phone is for the reward's
    payment only and never leaves the staff's pages; the reporter follows the report by its
    random receipt code (also the key of the payment). Accepted: the ticket it became."""

    __tablename__ = "public_report"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'accepted', 'rejected')", name="public_report_status"
        ),
        CheckConstraint("location_source IN ('map', 'exif')", name="public_report_location_source"),
        CheckConstraint(
            "(status = 'accepted') = (ticket_id IS NOT NULL)", name="public_report_ticket"
        ),
        CheckConstraint(
            "status <> 'rejected' OR reject_reason IS NOT NULL", name="public_report_reason"
        ),
        Index("ix_public_report_phone", "phone", "created_at"),
        Index("ix_public_report_client", "client", "created_at"),
        Index("ix_public_report_status", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    receipt: Mapped[str] = mapped_column(String(20), unique=True)
    phone: Mapped[str] = mapped_column(String(20))
    client: Mapped[str] = mapped_column(String(80))
    category_code: Mapped[str] = mapped_column(ForeignKey("problem_category.code"))
    description: Mapped[str] = mapped_column(Text)
    township_id: Mapped[int | None] = mapped_column(ForeignKey("township.id", ondelete="SET NULL"))
    location_source: Mapped[str] = mapped_column(String(10))
    photo: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    photo_name: Mapped[str] = mapped_column(String(255))
    photo_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    moderated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    moderated_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    reject_reason: Mapped[str | None] = mapped_column(Text)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id"), unique=True)
    geom = mapped_column(Geometry("POINT", srid=4326, spatial_index=False), nullable=False)


class RewardEntry(CountyOwned, Base):
    """One line of the reward ledger: an accepted public report, the rule that priced it and
    the amount (yuan). Appended only; the rules live in reports/rewards.toml."""

    __tablename__ = "reward_entry"
    __table_args__ = (CheckConstraint("amount >= 0", name="reward_entry_amount"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("public_report.id"), unique=True)
    rule: Mapped[str] = mapped_column(String(60))
    amount: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


# ---------------------------------------------------------------- 督查组 and volunteer patrols

SUPERVISION_ROLES: tuple[str, ...] = ("leader", "member")
SUPERVISION_VISIT_KINDS: tuple[str, ...] = ("checkin", "gpx")
VOLUNTEER_KINDS: tuple[str, ...] = ("cycling", "veteran")  # 骑行河长, 老骥常青


class SupervisionGroup(CountyOwned, Base):
    """A supervision group (督查组) led by a Standing Committee leader (由常委会领导带队)."""

    __tablename__ = "supervision_group"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))  # unique within its county (0020)
    name: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class SupervisionMember(CountyOwned, Base):
    """A person in a group for a period, as its leader or a member: closed, never deleted, so
    who led a past visit stays known; one leader at a time (a partial unique index)."""

    __tablename__ = "supervision_member"
    __table_args__ = (
        CheckConstraint(_in("role", SUPERVISION_ROLES), name="supervision_member_role_known"),
        CheckConstraint("btrim(name) <> ''", name="supervision_member_name_given"),
        CheckConstraint(
            "valid_to IS NULL OR valid_to > valid_from", name="supervision_member_period_order"
        ),
        Index("ix_supervision_member_group", "group_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("supervision_group.id", ondelete="RESTRICT"))
    name: Mapped[str] = mapped_column(String(40))
    title: Mapped[str | None] = mapped_column(String(80))
    role: Mapped[str] = mapped_column(String(10))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)


class SupervisionAssignment(CountyOwned, Base):
    """A group ↔ township for a period: closed, never rewritten or deleted."""

    __tablename__ = "supervision_assignment"
    __table_args__ = (
        CheckConstraint(
            "valid_to IS NULL OR valid_to > valid_from",
            name="supervision_assignment_period_order",
        ),
        Index("ix_supervision_assignment_township", "township_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("supervision_group.id", ondelete="RESTRICT"))
    township_id: Mapped[int] = mapped_column(ForeignKey("township.id", ondelete="RESTRICT"))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)


class SupervisionVisit(CountyOwned, Base):
    """An inspection visit: a check-in (a place and a time) or a GPX track read by the same
    reader as patrols. Appended only; its findings hang on it."""

    __tablename__ = "supervision_visit"
    __table_args__ = (
        CheckConstraint(_in("kind", SUPERVISION_VISIT_KINDS), name="supervision_visit_kind_known"),
        CheckConstraint(
            "(kind = 'gpx') = (upload_id IS NOT NULL)", name="supervision_visit_gpx_has_upload"
        ),
        CheckConstraint(
            "kind = 'gpx' OR btrim(coalesce(place, '')) <> ''",
            name="supervision_visit_checkin_has_place",
        ),
        Index("ix_supervision_visit_township_at", "township_id", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("supervision_group.id"))
    township_id: Mapped[int] = mapped_column(ForeignKey("township.id"))
    kind: Mapped[str] = mapped_column(String(10))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    place: Mapped[str | None] = mapped_column(String(200))
    upload_id: Mapped[int | None] = mapped_column(ForeignKey("gpx_upload.id"), unique=True)
    distance_m: Mapped[float | None] = mapped_column(Float)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    geom = mapped_column(Geometry("GEOMETRY", srid=4326, spatial_index=False), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SupervisionFinding(CountyOwned, Base):
    """What a visit found (text, an optional photo); appended only."""

    __tablename__ = "supervision_finding"
    __table_args__ = (
        CheckConstraint("btrim(text) <> ''", name="supervision_finding_text_given"),
        Index("ix_supervision_finding_visit", "visit_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("supervision_visit.id"))
    text: Mapped[str] = mapped_column(Text)
    photo: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    photo_mime: Mapped[str | None] = mapped_column(String(40))
    photo_sha256: Mapped[str | None] = mapped_column(String(64))
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class VolunteerTeam(CountyOwned, Base):
    """A volunteer team: 骑行河长 (cycling) or 老骥常青 (veteran)."""

    __tablename__ = "volunteer_team"
    __table_args__ = (CheckConstraint(_in("kind", VOLUNTEER_KINDS), name="volunteer_team_kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))  # unique within its county (0020)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(10))
    township_id: Mapped[int | None] = mapped_column(ForeignKey("township.id", ondelete="SET NULL"))


class VolunteerMember(CountyOwned, Base):
    """A volunteer in a team from a day on (``left_on`` closes it; never deleted)."""

    __tablename__ = "volunteer_member"
    __table_args__ = (
        CheckConstraint("left_on IS NULL OR left_on > joined_on", name="volunteer_member_period"),
        Index("ix_volunteer_member_team", "team_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))  # unique within its county (0020)
    team_id: Mapped[int] = mapped_column(ForeignKey("volunteer_team.id", ondelete="RESTRICT"))
    name: Mapped[str] = mapped_column(String(40))
    contact: Mapped[str | None] = mapped_column(String(80))
    joined_on: Mapped[date] = mapped_column(Date)
    left_on: Mapped[date | None] = mapped_column(Date)


class VolunteerPatrol(CountyOwned, Base):
    """A volunteer's uploaded track, read and cleaned by the patrols' ingestion, kept apart
    from ``patrol`` so no deputy figure or evaluation ever counts it."""

    __tablename__ = "volunteer_patrol"
    __table_args__ = (Index("ix_volunteer_patrol_member_started", "member_id", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    upload_id: Mapped[int] = mapped_column(ForeignKey("gpx_upload.id"), unique=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("volunteer_member.id"))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    distance_m: Mapped[float] = mapped_column(Float)
    n_points: Mapped[int]
    n_kept: Mapped[int]
    has_times: Mapped[bool]
    fingerprint: Mapped[str] = mapped_column(String(64))
    flags: Mapped[list] = mapped_column(JSONB, default=list)
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    geom = mapped_column(Geometry("MULTILINESTRINGM", srid=4326, spatial_index=False))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class VolunteerVisit(CountyOwned, Base):
    """A site a volunteer's track stayed at (the same distance and dwell as a deputy's visit)."""

    __tablename__ = "volunteer_visit"
    __table_args__ = (Index("ix_volunteer_visit_patrol", "patrol_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patrol_id: Mapped[int] = mapped_column(ForeignKey("volunteer_patrol.id"))
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    arrived: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    left: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    dwell_s: Mapped[float] = mapped_column(Float)


class CityRankingPublication(Base):
    """一月一通报: a month's ranking of the city's counties as a city analyst published it — the
    rules it was scored by, when and by whom. Appended only. A month's first publication
    supersedes nothing; a correction names the one it supersedes (same month, each at most
    once, with a reason), so a month's publications form one chain whose end is current."""

    __tablename__ = "city_ranking_publication"
    __table_args__ = (
        CheckConstraint("extract(day FROM month) = 1", name="city_ranking_publication_month"),
        CheckConstraint(
            "(supersedes_id IS NULL) = (reason IS NULL)", name="city_ranking_publication_reason"
        ),
        UniqueConstraint("id", "month", name="city_ranking_publication_id_month"),
        UniqueConstraint("supersedes_id", name="city_ranking_publication_supersedes_once"),
        # A correction supersedes a publication of its own month.
        ForeignKeyConstraint(
            ["supersedes_id", "month"],
            ["city_ranking_publication.id", "city_ranking_publication.month"],
            name="city_ranking_publication_supersedes_same_month",
        ),
        Index(
            "ux_city_ranking_publication_first",
            "month",
            unique=True,
            postgresql_where=text("supersedes_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[date] = mapped_column(Date)  # the month's first day
    as_of: Mapped[date] = mapped_column(Date)  # events before this local day were counted
    weights_version: Mapped[str] = mapped_column(String(40))
    weights: Mapped[dict] = mapped_column(JSONB)  # the whole rules file as scored
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    published_by: Mapped[str] = mapped_column(String(120))  # accounts.audit.actor_label
    published_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    supersedes_id: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(Text)


class CityRanking(Base):
    """One county's line of a published ranking, frozen: its indicators (values and the
    counts behind them), points per indicator, score and rank, with the county's name as it
    was. Appended only; the public reads exactly these rows."""

    __tablename__ = "city_ranking"
    __table_args__ = (
        UniqueConstraint("publication_id", "county_id", name="city_ranking_once_per_county"),
        Index("ix_city_ranking_county", "county_id"),
        Index("ix_city_ranking_month", "month"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    publication_id: Mapped[int] = mapped_column(ForeignKey("city_ranking_publication.id"))
    month: Mapped[date] = mapped_column(Date)
    county_id: Mapped[int] = mapped_column(ForeignKey("county.id"))
    county_code: Mapped[str] = mapped_column(String(6))
    county_name: Mapped[str] = mapped_column(String(80))
    indicators: Mapped[dict] = mapped_column(JSONB)
    points: Mapped[dict] = mapped_column(JSONB)
    score: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    rank: Mapped[int | None]
    weights_version: Mapped[str] = mapped_column(String(40))
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    published_by: Mapped[str] = mapped_column(String(120))


# ---------------------------------------------------------------- 交接断面 water quality

WATERBODIES: tuple[str, ...] = ("river", "lake")  # lake: 湖、库 (lakes and reservoirs)


class WaterSection(Base):
    """A township cross-section (交接断面): where a river passes from the upstream township to
    the downstream one. The section assesses the upstream township — the water leaving it
    (water.quality); a section without an upstream township (入境或源头断面) assesses nobody."""

    __tablename__ = "water_section"
    __table_args__ = (
        CheckConstraint("target_class BETWEEN 1 AND 5", name="water_section_target_range"),
        CheckConstraint(_in("waterbody", WATERBODIES), name="water_section_waterbody_known"),
        CheckConstraint(
            "upstream_township_id IS DISTINCT FROM downstream_township_id",
            name="water_section_two_townships",
        ),
        Index("ix_water_section_county", "county_id"),
        Index("ix_water_section_upstream", "upstream_township_id"),
        Index("ix_water_section_downstream", "downstream_township_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))  # unique within its county
    name: Mapped[str] = mapped_column(String(120))
    waterbody: Mapped[str] = mapped_column(String(10), default="river")
    target_class: Mapped[int] = mapped_column(SmallInteger)
    upstream_township_id: Mapped[int | None] = mapped_column(
        ForeignKey("township.id", ondelete="RESTRICT")
    )
    downstream_township_id: Mapped[int] = mapped_column(
        ForeignKey("township.id", ondelete="RESTRICT")
    )
    county_id: Mapped[int] = mapped_column(ForeignKey("county.id", ondelete="RESTRICT"))
    geom = mapped_column(Geometry("POINT", srid=4326, spatial_index=True), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class WaterSample(Base):
    """One month's monitoring result at a section (mg/L; pH dimensionless), one per section
    and month. Its class is computed on reading from water/gb3838_2002.toml, never stored. A
    month imported again replaces the values only when the importer says so, and the audit
    log keeps the values replaced (``water_sample_import``)."""

    __tablename__ = "water_sample"
    __table_args__ = (
        UniqueConstraint("section_id", "month", name="water_sample_once_a_month"),
        CheckConstraint(
            "month = date_trunc('month', sampled_on)::date", name="water_sample_month_of_day"
        ),
        CheckConstraint(
            "dissolved_oxygen >= 0 AND codmn >= 0 AND cod >= 0 AND bod5 >= 0 AND nh3n >= 0 "
            "AND tp >= 0 AND tn >= 0",
            name="water_sample_not_negative",
        ),
        CheckConstraint("ph IS NULL OR ph BETWEEN 0 AND 14", name="water_sample_ph_range"),
        Index("ix_water_sample_county_month", "county_id", "month"),
        Index("ix_water_sample_month", "month"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    section_id: Mapped[int] = mapped_column(ForeignKey("water_section.id", ondelete="RESTRICT"))
    sampled_on: Mapped[date] = mapped_column(Date)
    month: Mapped[date] = mapped_column(Date)
    dissolved_oxygen: Mapped[Decimal] = mapped_column(Numeric)
    codmn: Mapped[Decimal] = mapped_column(Numeric)
    cod: Mapped[Decimal] = mapped_column(Numeric)
    bod5: Mapped[Decimal] = mapped_column(Numeric)
    nh3n: Mapped[Decimal] = mapped_column(Numeric)
    tp: Mapped[Decimal] = mapped_column(Numeric)
    tn: Mapped[Decimal] = mapped_column(Numeric)
    ph: Mapped[Decimal | None] = mapped_column(Numeric)
    county_id: Mapped[int] = mapped_column(ForeignKey("county.id", ondelete="RESTRICT"))
    source: Mapped[str] = mapped_column(String(255))
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    imported_by: Mapped[str] = mapped_column(String(120))
