"""A site's class changes with its pollution risk: the change is appended to its history
(``site_class_change``) with the day it takes effect and its basis, and the site's current
class follows. Nothing is rewritten, so the reason for every past class stays readable.

The duty computations read the current class (``site.site_class``); a change takes effect
for the windows that follow it (the history says since when).
"""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import ShuijianError
from core.vocab import CLASS_BASES
from db.models import Site, SiteClassChange
from db.query import query_frame


class SiteClassRefused(ShuijianError):
    """The class change was not recorded; nothing was written."""


def change_site_class(
    session: Session,
    site_code: str,
    site_class: int,
    basis: str,
    valid_from: date,
    note: str | None = None,
) -> SiteClassChange:
    """Record that ``site_code`` is of ``site_class`` from ``valid_from`` on, because of
    ``basis`` (a code of core.vocab.CLASS_BASES)."""
    site = session.scalar(select(Site).where(Site.code == site_code.strip()))
    if site is None:
        raise SiteClassRefused(f"no site {site_code!r}", code="no_such_site", site=site_code)
    if site_class not in (1, 2, 3):
        raise SiteClassRefused(
            f"site class must be 1, 2 or 3, not {site_class!r}",
            code="bad_site_class_value",
            value=str(site_class),
        )
    if basis not in CLASS_BASES:
        raise SiteClassRefused(
            f"unknown class basis {basis!r}; known: {', '.join(CLASS_BASES)}",
            code="unknown_class_basis_value",
            value=basis,
            known=", ".join(CLASS_BASES),
        )
    if site.site_class == site_class:
        raise SiteClassRefused(
            f"site {site.code} is class {site_class} already",
            code="site_class_unchanged",
            site=site.code,
            site_class=site_class,
        )
    last = session.scalar(
        select(SiteClassChange.valid_from)
        .where(SiteClassChange.site_id == site.id)
        .order_by(SiteClassChange.valid_from.desc())
        .limit(1)
    )
    if last is not None and valid_from <= last:
        raise SiteClassRefused(
            f"site {site.code}: a change on {valid_from} is not after the last one ({last})",
            code="site_class_change_too_early",
            site=site.code,
            valid_from=valid_from.isoformat(),
            last=last.isoformat(),
        )
    change = SiteClassChange(
        site_id=site.id, site_class=site_class, basis=basis, valid_from=valid_from, note=note
    )
    session.add(change)
    site.site_class = site_class
    site.class_basis = basis
    session.flush()
    return change


def class_history(session: Session, site_code: str) -> pd.DataFrame:
    """Every class a site has had: valid_from, site_class, basis (a code), note."""
    return query_frame(
        session,
        "SELECT c.valid_from, c.site_class, c.basis, c.note FROM site_class_change c "
        "JOIN site s ON s.id = c.site_id WHERE s.code = :code ORDER BY c.valid_from",
        {"code": site_code.strip()},
    )


__all__ = ["SiteClassRefused", "change_site_class", "class_history"]
