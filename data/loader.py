"""Load a generated demo county through the same importers that real files go through."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from accounts.auth import create_user, hash_password
from core.errors import ShuijianError
from data.demo import DemoCounty
from db import scope
from db.models import County, Deputy, Meta, Township, User
from duty.grid_heads import store_grid_heads
from geo import importers

# Demo sign-ins, documented in the README. Outside the demo no account has a default password.
DEMO_ACCOUNTS: tuple[tuple[str, str, str, str], ...] = (
    ("admin", "admin-demo", "admin", "系统管理员"),
    ("leader", "leader-demo", "leader", "人大常委会领导"),
    ("analyst", "analyst-demo", "analyst", "人大工委分析员"),
)
# The city's accounts (市人大), made when a second county joins the demo city.
CITY_ACCOUNTS: tuple[tuple[str, str, str, str], ...] = (
    ("city-leader", "city-leader-demo", "city_leader", "市人大常委会领导"),
    ("city-analyst", "city-analyst-demo", "city_analyst", "市人大工委分析员"),
)
DEPUTY_DEMO_PASSWORD = "deputy-demo"
# One township staff account (乡人大办公室) per township: tz01, tz02, … in township-code order.
TOWNSHIP_DEMO_PASSWORD = "township-demo"
DOMAIN_TABLES = (
    "county_db_role",
    "grid_head_reminder",
    "grid_head",
    "township_office",
    "app_user",
    "assignment",
    "deputy",
    "site",
    "grid_cell",
    "township",
    "county",
    "meta",
)


class DemoRefused(ShuijianError):
    """The database holds other data; the demo will not mix with it unless told to reset."""

    code = "demo_database_not_empty"


@dataclass(frozen=True)
class DemoSummary:
    seed: int
    townships: int
    cells: tuple[int, int, int]
    sites: int
    deputies: int
    users: int


def loaded_seed(session: Session) -> str | None:
    return session.scalar(select(Meta.value).where(Meta.key == "demo_seed"))


def loaded_source(session: Session) -> str | None:
    return session.scalar(select(Meta.value).where(Meta.key == "county_source"))


def has_county(session: Session) -> bool:
    return bool(session.scalar(select(func.count()).select_from(County)))


def wipe(session: Session) -> None:
    """Delete every county, grid, site, deputy and account row (for --reset only)."""
    session.execute(text(f"TRUNCATE {', '.join(DOMAIN_TABLES)} RESTART IDENTITY CASCADE"))


def load_demo(
    session: Session,
    demo: DemoCounty,
    source_label: str,
    reset: bool = False,
    joining: str | None = None,
) -> DemoSummary:
    """Load a demo county. ``joining``: the account prefix of a further county of the same
    city (``ly-`` → ly-admin, ly-d0001, ly-tz01), loaded beside those already there; the
    city's own accounts (city-leader, city-analyst) come with the first county that joins."""
    if reset:
        wipe(session)
    elif has_county(session) and joining is None:
        seed = loaded_seed(session)
        what = f"the demo county of seed {seed}" if seed else "a county"
        raise DemoRefused(f"the database already holds {what}; use --reset to replace it")
    county = demo.county.iloc[0]
    importers.import_county(
        session, demo.county, source_label, str(county["code"]), str(county["name"])
    )
    county_id = int(session.scalar(select(County.id).where(County.code == str(county["code"]))))
    # Every row below is this county's (the column default reads the scope, migration 0020).
    scope.switch(session, county_id)
    importers.import_townships(session, demo.townships, source_label)
    importers.import_cells(session, demo.cells, source_label)
    importers.import_sites(session, demo.sites, source_label)
    deputies = demo.deputies.rename(columns={"township_code": "township"})
    importers.import_deputies(session, deputies, source_label)
    importers.import_assignments(session, demo.assignments, source_label)
    importers.import_township_offices(session, demo.offices, source_label)
    # The grid heads: the first head of every small cell, then the few who were replaced.
    heads = demo.grid_heads
    store_grid_heads(session, heads.drop_duplicates("cell"), source_label)
    store_grid_heads(session, heads[heads.duplicated("cell")].reset_index(drop=True), source_label)
    users = _create_demo_users(session, county_id, joining or "")
    if joining is None:
        session.add(Meta(key="demo_seed", value=str(demo.seed)))
        session.add(Meta(key="county_source", value=source_label))
    else:
        scope.switch(session, scope.ALL)  # the city's accounts are seen in its scope only
    if joining is not None and not session.scalar(
        select(func.count()).select_from(User).where(User.role == "city_leader")
    ):
        for username, password, role, display in CITY_ACCOUNTS:
            create_user(session, username, hash_password(password), role, display_name=display)
        users += len(CITY_ACCOUNTS)
    session.flush()
    counts = tuple(int((demo.cells["level"] == lv).sum()) for lv in (1, 2, 3))
    return DemoSummary(
        demo.seed, len(demo.townships), counts, len(demo.sites), len(demo.deputies), users
    )


def _create_demo_users(session: Session, county_id: int, prefix: str) -> int:
    """The county's demo accounts. The loader runs as the owner, whom row-level security
    does not narrow: every query here names the county."""
    for username, password, role, display in DEMO_ACCOUNTS:
        create_user(
            session,
            prefix + username,
            hash_password(password),
            role,
            display_name=display,
            county_id=county_id,
        )
    # One Argon2 hash for the shared demo deputy password: hashing 382 times would cost ~20 s
    # for no protection, since the password is published in the README anyway.
    deputy_hash = hash_password(DEPUTY_DEMO_PASSWORD)
    rows = session.execute(
        select(Deputy.id, Deputy.code, Deputy.name).where(Deputy.county_id == county_id)
    ).all()
    session.execute(
        User.__table__.insert(),
        [
            {
                "username": code.lower(),
                "password_hash": deputy_hash,
                "role": "deputy",
                "deputy_id": dep_id,
                "display_name": name,
                "is_active": True,
            }
            for dep_id, code, name in rows
        ],
    )
    return len(DEMO_ACCOUNTS) + len(rows) + _create_township_users(session, county_id, prefix)


def _create_township_users(session: Session, county_id: int, prefix: str) -> int:
    """``tz01``… : one township account per township (its people's congress office)."""
    town_hash = hash_password(TOWNSHIP_DEMO_PASSWORD)
    towns = session.execute(
        select(Township.id, Township.name)
        .where(Township.county_id == county_id)
        .order_by(Township.code)
    ).all()
    for i, (town_id, name) in enumerate(towns, start=1):
        create_user(
            session,
            f"{prefix}tz{i:02d}",
            town_hash,
            "township",
            display_name=f"{name}人大办公室",
            township_id=town_id,
        )
    return len(towns)
