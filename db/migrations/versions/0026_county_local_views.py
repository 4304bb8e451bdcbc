"""The state views name their county in every correlation, and carry it ([8/8] item 5: Citus).

``patrol_state``, ``verified_visit`` and ``ticket_state`` correlated a patrol's flags and
reviews, a visit's patrol and a ticket's events by id alone. A county's query through them
then scanned ``patrol_flag``, ``patrol_review``, ``patrol`` and ``ticket_event`` with no
``county_id`` condition: PostgreSQL cannot carry the county from one table to another across
an id equality, and Citus routes a query to one county's shard only if every table in it is
tied to that county (a child row and its parent share their county: the insert triggers of
migration 0020). Now every correlation and join also equates ``county_id``, and each
view carries its rows' ``county_id`` as its last column (CREATE OR REPLACE VIEW may only add
columns at the end; the others are unchanged in name, order, type and meaning), so a caller
names the county once (``vv.county_id = 1``, or joins ``ON ... AND vv.county_id =
s.county_id``) and the planner hands it to every table inside.

Rows are unchanged: a flag, a review, a visit and an event always share their parent's county
(0020's insert triggers; as composite foreign keys in the Citus script, db/citus.py), so the
added equalities only restate what holds. ``verified_visit`` keeps 0024's form (the patrol's
"counts" written out, one patrol lookup per visit) with the county added to each correlation.

Revision ID: 0026
Revises: 0024
Create Date: 2026-12-07
"""

from alembic import op

revision = "0026"
down_revision = "0024"
branch_labels = None
depends_on = None

VISIT_DATE = (
    "(v.arrived AT TIME ZONE COALESCE(NULLIF(current_setting('shuijian.timezone', true), ''),"
    " 'Asia/Shanghai'))::date"
)


def upgrade() -> None:
    op.execute("""
        CREATE OR REPLACE VIEW patrol_state AS
        SELECT p.id AS patrol_id,
               EXISTS (SELECT 1 FROM patrol_flag f
                       WHERE f.patrol_id = p.id AND f.county_id = p.county_id) AS flagged,
               r.decision AS review,
               (NOT EXISTS (SELECT 1 FROM patrol_flag f
                            WHERE f.patrol_id = p.id AND f.county_id = p.county_id)
                OR r.decision = 'accept') AND p.has_times AS counts,
               p.county_id
        FROM patrol p
        LEFT JOIN LATERAL (
            SELECT decision FROM patrol_review pr
            WHERE pr.patrol_id = p.id AND pr.county_id = p.county_id
            ORDER BY pr.id DESC LIMIT 1
        ) r ON true
    """)
    op.execute(f"""
        CREATE OR REPLACE VIEW verified_visit AS
        SELECT v.id AS visit_id, v.site_id, p.deputy_id, v.patrol_id, v.arrived, v."left",
               v.dwell_s, v.is_assigned, {VISIT_DATE} AS visit_date, v.county_id
        FROM visit v
        JOIN patrol p ON p.id = v.patrol_id AND p.county_id = v.county_id
        WHERE p.has_times
          AND NOT EXISTS (
            SELECT 1 FROM patrol_flag f
            WHERE f.patrol_id = p.id AND f.county_id = p.county_id
              AND (SELECT pr.decision FROM patrol_review pr
                   WHERE pr.patrol_id = f.patrol_id AND pr.county_id = f.county_id
                   ORDER BY pr.id DESC LIMIT 1) IS DISTINCT FROM 'accept')
    """)
    op.execute("""
        CREATE OR REPLACE VIEW ticket_state AS
        SELECT t.id AS ticket_id, e.to_status AS status, e.at AS status_at, t.county_id
        FROM ticket t
        JOIN LATERAL (
            SELECT to_status, at FROM ticket_event ev
            WHERE ev.ticket_id = t.id AND ev.county_id = t.county_id
              AND ev.from_status IS DISTINCT FROM ev.to_status
            ORDER BY ev.id DESC LIMIT 1
        ) e ON true
    """)


def downgrade() -> None:
    # a view's columns cannot be dropped in place: the views are made again as 0006 (and, for
    # verified_visit, 0024) left them (the app role's rights are granted again after every
    # migration, db.migrate)
    op.execute("DROP VIEW verified_visit")
    op.execute("DROP VIEW patrol_state")
    op.execute("DROP VIEW ticket_state")
    op.execute("""
        CREATE VIEW patrol_state AS
        SELECT p.id AS patrol_id,
               EXISTS (SELECT 1 FROM patrol_flag f WHERE f.patrol_id = p.id) AS flagged,
               r.decision AS review,
               (NOT EXISTS (SELECT 1 FROM patrol_flag f WHERE f.patrol_id = p.id)
                OR r.decision = 'accept') AND p.has_times AS counts
        FROM patrol p
        LEFT JOIN LATERAL (
            SELECT decision FROM patrol_review pr WHERE pr.patrol_id = p.id
            ORDER BY pr.id DESC LIMIT 1
        ) r ON true
    """)
    op.execute(f"""
        CREATE VIEW verified_visit AS
        SELECT v.id AS visit_id, v.site_id, p.deputy_id, v.patrol_id, v.arrived, v."left",
               v.dwell_s, v.is_assigned, {VISIT_DATE} AS visit_date, v.county_id
        FROM visit v
        JOIN patrol p ON p.id = v.patrol_id
        WHERE p.has_times
          AND NOT EXISTS (
            SELECT 1 FROM patrol_flag f
            WHERE f.patrol_id = p.id
              AND (SELECT pr.decision FROM patrol_review pr WHERE pr.patrol_id = f.patrol_id
                   ORDER BY pr.id DESC LIMIT 1) IS DISTINCT FROM 'accept')
    """)
    op.execute("""
        CREATE VIEW ticket_state AS
        SELECT t.id AS ticket_id, e.to_status AS status, e.at AS status_at
        FROM ticket t
        JOIN LATERAL (
            SELECT to_status, at FROM ticket_event ev
            WHERE ev.ticket_id = t.id AND ev.from_status IS DISTINCT FROM ev.to_status
            ORDER BY ev.id DESC LIMIT 1
        ) e ON true
    """)
