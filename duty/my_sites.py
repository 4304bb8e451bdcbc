"""A deputy's own sites, for their phone: each with its state, deadline, days left, last visit
and a ``geo:`` link that opens it in the phone's map app.

The rules are the due list's (`duty.due.due_list`, the same call `due_list_for` makes for a
deputy); this adds one card state per site, read in this order of precedence:

- ``overdue``: the deadline has passed;
- ``due_soon``: the deadline is within the due-soon days (the setting);
- ``never``: no visit that counts since the assignment began, deadline still ahead;
- ``done``: visited in this window, the next deadline still ahead.

Overdue first, then due soon, never patrolled, done; within each, by deadline, then code.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any
from urllib.parse import quote

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from accounts.auth import SignedIn
from accounts.permissions import may
from core.errors import PermissionDenied
from db.query import county_clause, query_frame
from duty.due import DEFAULT_VISITS_SQL, due_list
from geo.crs import to_wgs84

STATES: tuple[str, ...] = ("overdue", "due_soon", "never", "done")
"""Card states, most urgent first: the order the cards are shown in."""

MY_SITES_COLUMNS: tuple[str, ...] = (
    "site_id",
    "site_code",
    "site_name",
    "kind",
    "site_class",
    "township",
    "state",
    "status",
    "deadline",
    "days_left",
    "last_visit",
    "lon",
    "lat",
    "geo_uri",
)

_POINTS_SQL = """
SELECT id AS site_id, ST_X(ST_PointOnSurface(geom)) AS lon, ST_Y(ST_PointOnSurface(geom)) AS lat
FROM site WHERE id = ANY(:ids) AND {county}
"""


def geo_uri(lon: float, lat: float, name: str) -> str:
    """``geo:lat,lon?q=lat,lon(name)`` (RFC 5870 with the label Android's map apps read),
    coordinates in WGS84 to six decimals (about 0.1 m), the name percent-encoded."""
    where = f"{lat:.6f},{lon:.6f}"
    return f"geo:{where}?q={where}({quote(name, safe='')})"


def my_sites(
    session: Session,
    user: SignedIn,
    on: date,
    visits_sql: str = DEFAULT_VISITS_SQL,
    visits_params: Mapping[str, Any] | None = None,
    due_soon_days: int | None = None,
) -> pd.DataFrame:
    """The sites currently assigned to the signed-in deputy on day ``on``, one row each, in
    the order of ``STATES`` (columns ``MY_SITES_COLUMNS``). ``deadline`` and ``last_visit``
    are datetime64 (local days; ``last_visit`` NaT: never visited since the assignment
    began); ``lon``/``lat`` a point on the site in WGS84. An account without a deputy record
    has no sites of its own: refused with ``no_deputy_linked``."""
    if user.deputy_id is None or not may(user.role, "view_my_sites"):
        raise PermissionDenied("this account is linked to no deputy", code="no_deputy_linked")
    frame = due_list(
        session,
        on,
        deputy_id=user.deputy_id,
        visits_sql=visits_sql,
        visits_params=visits_params,
        due_soon_days=due_soon_days,
    )
    points = query_frame(
        session,
        _POINTS_SQL.format(county=county_clause()),
        {"ids": [int(i) for i in frame["site_id"]]},
    )
    frame = frame.merge(points, on="site_id", how="left")
    lon, lat = to_wgs84(frame["lon"].to_numpy(dtype=float), frame["lat"].to_numpy(dtype=float))
    frame["lon"], frame["lat"] = lon, lat
    never = frame["last_visit"].isna().to_numpy()
    frame["state"] = np.select(
        [
            frame["status"].eq("overdue").to_numpy(),
            frame["status"].eq("due_soon").to_numpy(),
            never,
        ],
        ["overdue", "due_soon", "never"],
        default="done",
    ).astype(object)
    frame["geo_uri"] = [
        geo_uri(x, y, name) for x, y, name in zip(lon, lat, frame["site_name"], strict=True)
    ]
    frame["_rank"] = frame["state"].map({s: i for i, s in enumerate(STATES)})
    frame = frame.sort_values(["_rank", "deadline", "site_code"], kind="stable")
    return frame.reset_index(drop=True)[list(MY_SITES_COLUMNS)]


__all__ = ["MY_SITES_COLUMNS", "STATES", "geo_uri", "my_sites"]
