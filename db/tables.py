"""Which tables belong to a county and which to the whole deployment: the one list.

Every other table of the schema carries ``county_id`` and is a county's (row-level security,
migration 0020): distributed by ``county_id`` on the road past one machine (Citus,
``create_distributed_table``), and a county's page names its county in every query of one
(``db.scope`` adds it to every ORM statement, ``db.query.county_clause`` to SQL text;
``tests/test_county_local.py`` EXPLAINs every county page to hold it).

``REFERENCE_TABLES`` have no county of their own: the counties themselves, the codes and
catalogues every county shares, the sign-in machinery (read before anyone has a county), the
pins of ``county_db_role`` (a role's, not a county's row) and the per-county ticket counter
(keyed by the county's code). A county's query may read them whole; in Citus they are
reference tables, copied to every node, so joining one to a county's rows stays local.

``CITY_TABLES`` are the city's rollups (一月一排名): one row per county per month, read whole in
the city's scope on purpose; a county's scope reads only its own line, by name.

``alembic_version`` (the migrations' own) and PostGIS's ``spatial_ref_sys`` are neither: the
coordinator's and the extension's.
"""

from __future__ import annotations

from typing import Final

REFERENCE_TABLES: Final = frozenset(
    {
        # the counties, and the roles pinned to one of them
        "county",
        "county_db_role",
        # what every county shares: platforms, problem categories, OGC clients, settings
        "platform",
        "problem_category",
        "ogc_client",
        "meta",
        # ticket numbers count per county and month, keyed by the county's code
        "ticket_counter",
        # signing in, before a county is known; the platform API's log; 有奖举报's SMS codes
        "login_attempt",
        "sign_in_session",
        "api_call_log",
        "phone_code",
    }
)

CITY_TABLES: Final = frozenset({"city_ranking_publication", "city_ranking"})

# On the road past one machine (Citus, db.citus), every table with a NOT NULL county_id is
# distributed by it; the others go to one of two places:
# - the city's logs and sign-in state stay on the coordinator (Citus local tables), written and
#   read there alone; audit_event and reminder_log hold the city's own rows (no county);
COORDINATOR_TABLES: Final = frozenset(
    {
        "login_attempt",
        "sign_in_session",
        "api_call_log",
        "phone_code",
        "audit_event",
        "reminder_log",
        "alembic_version",
    }
)
# - everything else is copied to every worker (reference tables): small, joined by every
#   county's queries — the accounts among them, since the city's accounts have no county.
REPLICATED_TABLES: Final = frozenset(
    (REFERENCE_TABLES - COORDINATOR_TABLES) | CITY_TABLES | {"app_user"}
)

__all__ = ["CITY_TABLES", "COORDINATOR_TABLES", "REFERENCE_TABLES", "REPLICATED_TABLES"]
