"""A full year at province scale: the status queries read a period's visits and, per duty, the
one last verified visit before it, never the whole history ([8/8] Scale, item 2).

- ``ix_visit_arrived`` (arrived): the city's month reads the month's visits as one range.
- ``ix_visit_county_arrived`` (county_id, arrived): one county's month names its county and
  reads only that county's visits of the month (the deployment distributes by county).
- ``ix_visit_site_arrived`` (site_id, arrived) exists since 0002: the per-duty LATERAL lookup
  "last verified visit before the period" walks it backwards from the period's start and
  stops at the first verified visit by the duty's deputy (the 14-day chain stays exact).
- ``verified_visit`` gains ``county_id`` (appended, the other columns unchanged), so a
  county's queries can name the county on the visits themselves, not only on the sites.

Indexes created on a partitioned ``visit`` propagate to its partitions, so these statements
serve a plain and a partitioned table alike. No summary table is maintained: nothing new has
to be kept true on ingest, review or delete.

Revision ID: 0024
Revises: 0022 (to be re-chained onto 0023 at merge)
Create Date: 2026-12-07
"""

from alembic import op

revision = "0024"
down_revision = "0022"
branch_labels = None
depends_on = None

_VIEW = """
CREATE {replace} VIEW verified_visit AS
SELECT v.id AS visit_id, v.site_id, p.deputy_id, v.patrol_id, v.arrived, v."left",
       v.dwell_s, v.is_assigned,
       (v.arrived AT TIME ZONE COALESCE(NULLIF(current_setting('shuijian.timezone', true),
                                               ''), 'Asia/Shanghai'))::date AS visit_date{extra}
FROM visit v
JOIN patrol p ON p.id = v.patrol_id
JOIN patrol_state s ON s.patrol_id = p.id
WHERE s.counts
"""


def upgrade() -> None:
    op.execute("CREATE INDEX ix_visit_arrived ON visit (arrived)")
    op.execute("CREATE INDEX ix_visit_county_arrived ON visit (county_id, arrived)")
    op.execute(_VIEW.format(replace="OR REPLACE", extra=",\n       v.county_id"))


def downgrade() -> None:
    op.execute("DROP VIEW verified_visit")
    op.execute(_VIEW.format(replace="", extra=""))
    op.execute("DROP INDEX ix_visit_county_arrived")
    op.execute("DROP INDEX ix_visit_arrived")
