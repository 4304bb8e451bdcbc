"""A full year at province scale: the status queries read a period's visits and, per duty, the
one last verified visit before it, never the whole history ([8/8] Scale, item 2).

- ``ix_visit_arrived`` (arrived): the city's month reads the month's visits as one range.
- ``ix_visit_county_arrived`` (county_id, arrived): one county's month names its county and
  reads only that county's visits of the month (the deployment distributes by county).
- ``ix_visit_site_arrived_cover`` (site_id, arrived) replaces 0002's ``ix_visit_site_arrived``
  with the patrol and county included: the per-duty LATERAL lookup "last verified visit
  before the period" walks it backwards from the period's start and stops at the first
  verified visit by the duty's deputy (the 14-day chain stays exact).
- ``ix_patrol_counts`` (id) INCLUDE (deputy_id, has_times, county_id): the one patrol lookup
  per visit reads the index alone (0026 correlates it on the county too).
- ``verified_visit`` gains ``county_id`` (appended, the other columns unchanged), so a
  county's queries can name the county on the visits themselves, not only on the sites; and
  it tests "the patrol counts" itself (the same rule as ``patrol_state.counts``) at one
  patrol lookup per visit instead of four index probes.

Indexes created on a partitioned ``visit`` propagate to its partitions, so these statements
serve a plain and a partitioned table alike. No summary table is maintained: nothing new has
to be kept true on ingest, review or delete.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07
"""

from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

# 0002's view: a visit counts when its patrol has times and nothing flagged it, or the latest
# review accepted it (``patrol_state.counts``).
_VIEW_0002 = """
CREATE VIEW verified_visit AS
SELECT v.id AS visit_id, v.site_id, p.deputy_id, v.patrol_id, v.arrived, v."left",
       v.dwell_s, v.is_assigned,
       (v.arrived AT TIME ZONE COALESCE(NULLIF(current_setting('shuijian.timezone', true),
                                               ''), 'Asia/Shanghai'))::date AS visit_date
FROM visit v
JOIN patrol p ON p.id = v.patrol_id
JOIN patrol_state s ON s.patrol_id = p.id
WHERE s.counts
"""

# The same rows and columns, county_id appended, and ``patrol_state.counts`` written out so
# that a visit costs one patrol lookup and one anti-join probe: a patrol does not count when
# it has no times, or a flag and a latest review that is not an acceptance (the review is
# read for flagged patrols only). Through the patrol_state view each visit cost a second
# patrol lookup and a review probe, and the flag test inside an OR could not become an
# anti-join: the planner priced every visit so high that it read all visits in patrol order
# rather than the period's.
_VIEW = """
CREATE OR REPLACE VIEW verified_visit AS
SELECT v.id AS visit_id, v.site_id, p.deputy_id, v.patrol_id, v.arrived, v."left",
       v.dwell_s, v.is_assigned,
       (v.arrived AT TIME ZONE COALESCE(NULLIF(current_setting('shuijian.timezone', true),
                                               ''), 'Asia/Shanghai'))::date AS visit_date,
       v.county_id
FROM visit v
JOIN patrol p ON p.id = v.patrol_id
WHERE p.has_times
  AND NOT EXISTS (
    SELECT 1 FROM patrol_flag f
    WHERE f.patrol_id = p.id
      AND (SELECT pr.decision FROM patrol_review pr WHERE pr.patrol_id = f.patrol_id
           ORDER BY pr.id DESC LIMIT 1) IS DISTINCT FROM 'accept')
"""


def upgrade() -> None:
    # Covering (INCLUDE) so that the lookups read the index alone where the visibility map
    # allows: the visit's patrol (and site, county), and the patrol's deputy and has_times.
    op.execute("CREATE INDEX ix_visit_arrived ON visit (arrived) INCLUDE (site_id, patrol_id)")
    op.execute(
        "CREATE INDEX ix_visit_county_arrived ON visit (county_id, arrived) "
        "INCLUDE (site_id, patrol_id)"
    )
    op.execute(
        "CREATE INDEX ix_visit_site_arrived_cover ON visit (site_id, arrived) "
        "INCLUDE (patrol_id, county_id)"
    )
    op.execute("DROP INDEX IF EXISTS ix_visit_site_arrived")
    op.execute(
        "CREATE INDEX ix_patrol_counts ON patrol (id) INCLUDE (deputy_id, has_times, county_id)"
    )
    op.execute(_VIEW)


def downgrade() -> None:
    op.execute("DROP VIEW verified_visit")
    op.execute(_VIEW_0002)
    op.execute("DROP INDEX ix_patrol_counts")
    op.execute("CREATE INDEX ix_visit_site_arrived ON visit (site_id, arrived)")
    op.execute("DROP INDEX ix_visit_site_arrived_cover")
    op.execute("DROP INDEX ix_visit_county_arrived")
    op.execute("DROP INDEX ix_visit_arrived")
