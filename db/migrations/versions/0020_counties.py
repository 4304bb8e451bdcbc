"""Many counties in one deployment: every county-owned row carries its county, and PostgreSQL's
row-level security lets a transaction see and write only the county in its scope.

Why a column and not a schema per county: [8/8]'s road past one machine distributes by county
(Citus ``create_distributed_table(…, 'county_id')``), which needs the distribution column in
every distributed table; city figures are one query with ``GROUP BY county_id`` instead of a
UNION over N schemas; and one Alembic history serves every county (a schema per county would
run every migration N times and drift when one fails half way).

The scope (``db/scope.py``) reaches the database as the setting ``shuijian.county``: a county
id, ``all`` (the city and the system's own jobs), or nothing (no county-owned row at all).
A login role listed in ``county_db_role`` is pinned to its county whatever the setting says:
the database's own guarantee for a county run as its own deployment, and what an adversary
holding that role's SQL still cannot get past.

Each county-owned table gets ``county_id`` (index, foreign key), filled on insert from its
parent rows (a trigger per table; a parent the scope cannot see is refused, so a row cannot
be hung under another county's parent), else from the scope's one county (the column
default; a database of one county needs no scope at all). The policy ``county_scope``
applies to reads and writes (WITH CHECK), and is FORCEd: the owner is bound too, so a
deployment with one role for everything is not thereby a deployment without counties.
Migrations say ``all`` before they begin (env.py). The county table is not forced: its
SECURITY DEFINER helper reads it past the policy.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

# table → the foreign keys (column, parent table) its county is read from, in order; a table
# whose county may stay NULL (a city account, a system action) is listed in NULLABLE.
PARENTS: dict[str, tuple[tuple[str, str], ...]] = {
    "township": (),
    "grid_cell": (("township_id", "township"), ("parent_id", "grid_cell")),
    "site": (("township_id", "township"), ("grid_cell_id", "grid_cell")),
    "site_class_change": (("site_id", "site"),),
    "deputy": (("township_id", "township"),),
    "assignment": (("site_id", "site"), ("deputy_id", "deputy")),
    "app_user": (("deputy_id", "deputy"), ("township_id", "township")),
    "gpx_upload": (("uploaded_by", "app_user"),),
    "patrol": (("deputy_id", "deputy"), ("upload_id", "gpx_upload")),
    "patrol_feature": (("patrol_id", "patrol"),),
    "patrol_flag": (("patrol_id", "patrol"),),
    "patrol_review": (("patrol_id", "patrol"),),
    "visit": (("site_id", "site"), ("patrol_id", "patrol")),
    "checklist_answer": (("patrol_id", "patrol"), ("site_id", "site")),
    "patrol_photo": (("patrol_id", "patrol"), ("site_id", "site")),
    "ticket": (
        ("site_id", "site"),
        ("township_id", "township"),
        ("patrol_id", "patrol"),
        ("reporter_deputy_id", "deputy"),
    ),
    "ticket_event": (("ticket_id", "ticket"),),
    "ticket_attachment": (("ticket_id", "ticket"),),
    "ticket_follower": (("ticket_id", "ticket"),),
    "outbox": (("ticket_id", "ticket"),),
    "platform_update": (("ticket_id", "ticket"),),
    "township_office": (("township_id", "township"),),
    "reminder_log": (("township_id", "township"), ("deputy_id", "deputy")),
    "reminder_item": (("site_id", "site"), ("deputy_id", "deputy"), ("log_id", "reminder_log")),
    "privacy_zone": (("deputy_id", "deputy"),),
    "privacy_place": (("deputy_id", "deputy"),),
    "audit_event": (("actor_user_id", "app_user"),),
    "grid_head": (("grid_cell_id", "grid_cell"),),
    "grid_head_reminder": (("grid_cell_id", "grid_cell"), ("site_id", "site")),
    "site_registration": (("site_id", "site"),),
    "early_warning": (("township_id", "township"), ("site_id", "site"), ("deputy_id", "deputy")),
    "public_report": (("township_id", "township"), ("ticket_id", "ticket")),
    "reward_entry": (("report_id", "public_report"),),
    "supervision_group": (),
    "supervision_member": (("group_id", "supervision_group"),),
    "supervision_assignment": (("group_id", "supervision_group"), ("township_id", "township")),
    "supervision_visit": (("group_id", "supervision_group"), ("township_id", "township")),
    "supervision_finding": (("visit_id", "supervision_visit"),),
    "volunteer_team": (("township_id", "township"),),
    "volunteer_member": (("team_id", "volunteer_team"),),
    "volunteer_patrol": (("member_id", "volunteer_member"),),
    "volunteer_visit": (("site_id", "site"), ("patrol_id", "volunteer_patrol")),
}
# A city account (city_leader, city_analyst) belongs to no county; an audit entry of the
# system or of a city account, a reminder run's summary, likewise. Seen only in the city scope.
NULLABLE = ("app_user", "audit_event", "reminder_log")

FUNCTIONS = """
CREATE TABLE county_db_role (
    role_name text PRIMARY KEY,
    county_id integer NOT NULL REFERENCES county(id) ON DELETE RESTRICT
);
COMMENT ON TABLE county_db_role IS
  'Login roles pinned to one county: row-level security ignores shuijian.county for them.';

CREATE FUNCTION shuijian_pinned_county() RETURNS integer
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT county_id FROM county_db_role WHERE role_name = current_user
$$;

CREATE FUNCTION shuijian_scope_all() RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT shuijian_pinned_county() IS NULL
     AND coalesce(current_setting('shuijian.county', true), '') = 'all'
$$;

-- A deployment of one county needs no scope: its rows are that county's. Read past the
-- county table's own policy (which calls the function below), hence SECURITY DEFINER.
CREATE FUNCTION shuijian_lone_county() RETURNS integer
LANGUAGE sql STABLE PARALLEL SAFE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT min(id) FROM county HAVING count(*) = 1
$$;

CREATE FUNCTION shuijian_scope_county() RETURNS integer
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT coalesce(
    shuijian_pinned_county(),
    CASE WHEN coalesce(current_setting('shuijian.county', true), '') ~ '^[1-9][0-9]{0,8}$'
         THEN current_setting('shuijian.county', true)::integer END,
    shuijian_lone_county())
$$;
"""

POLICY = "(SELECT shuijian_scope_all()) OR {column} = (SELECT shuijian_scope_county())"


def _trigger_function(table: str, parents: tuple[tuple[str, str], ...]) -> str:
    """The county of a new row: its parents' (all the same one). A parent the scope cannot
    see is refused: its row exists (the foreign key says so), so it is another county's."""
    steps = "\n".join(
        f"  IF NEW.{column} IS NOT NULL THEN\n"
        f"    SELECT county_id INTO parent FROM {parent} WHERE id = NEW.{column};\n"
        "    IF NOT FOUND THEN\n"
        f"      RAISE EXCEPTION 'new row violates row-level security policy for table \"%\"', "
        f"'{table}' USING ERRCODE = '42501',\n"
        f"        DETAIL = '{column} names a row of another county';\n"
        "    END IF;\n"
        "    IF county IS NOT NULL AND parent IS DISTINCT FROM county THEN\n"
        f"      RAISE EXCEPTION 'a {table} row joins rows of two counties' "
        "USING ERRCODE = '23514';\n"
        "    END IF;\n"
        "    county := coalesce(county, parent);\n"
        "  END IF;"
        for column, parent in parents
    )
    return f"""
CREATE FUNCTION shuijian_county_of_{table}() RETURNS trigger
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE county integer; parent integer;
BEGIN
{steps}
  IF county IS NOT NULL THEN
    NEW.county_id := county;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER a_county_of_{table} BEFORE INSERT ON {table}
  FOR EACH ROW EXECUTE FUNCTION shuijian_county_of_{table}();
"""


def upgrade() -> None:
    bind = op.get_bind()
    op.execute(FUNCTIONS)
    first = bind.scalar(sa.text("SELECT min(id) FROM county"))
    for table, parents in PARENTS.items():
        op.add_column(
            table,
            sa.Column(
                "county_id",
                sa.Integer,
                sa.ForeignKey("county.id", ondelete="RESTRICT"),
                server_default=sa.text("shuijian_scope_county()"),
            ),
        )
        if first is not None:
            # Before this revision a database held one county: every row is its.
            op.execute(sa.text(f"UPDATE {table} SET county_id = :c").bindparams(c=first))
        if table not in NULLABLE:
            op.alter_column(table, "county_id", nullable=False)
        op.create_index(f"ix_{table}_county", table, ["county_id"])
        if parents:
            op.execute(_trigger_function(table, parents))
        # FORCE: the owner too (one role for everything must not mean every county).
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY county_scope ON {table} "
            f"USING ({POLICY.format(column='county_id')}) "
            f"WITH CHECK ({POLICY.format(column='county_id')})"
        )
    # The county table itself: a county sees its own outline and name only.
    op.execute("ALTER TABLE county ENABLE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY county_scope ON county USING ({POLICY.format(column='id')}) "
        f"WITH CHECK ((SELECT shuijian_scope_all()))"
    )
    # Two counties may each have a 城关镇: a township's name is unique within its county.
    op.drop_constraint("township_name_key", "township", type_="unique")
    op.create_unique_constraint("township_county_name_key", "township", ["county_id", "name"])
    # Codes a county gives its own groups and teams, and a file uploaded once per county, are
    # unique within the county: two counties may both have 督查一组, or receive one file.
    for table, column in PER_COUNTY_UNIQUE:
        op.drop_constraint(f"{table}_{column}_key", table, type_="unique")
        op.create_unique_constraint(f"{table}_county_{column}_key", table, ["county_id", column])
    # Ticket numbers count per county and month (330822-202612-0001, 339901-202612-0001).
    op.alter_column("ticket_counter", "month", type_=sa.String(20))
    op.execute(
        "UPDATE ticket_counter SET month = (SELECT code FROM county ORDER BY id LIMIT 1) "
        "|| '-' || month WHERE EXISTS (SELECT 1 FROM county)"
    )
    # The city's accounts belong to no county, every other account to one.
    op.alter_column("app_user", "role", type_=sa.String(20))
    roles = ", ".join(f"'{r}'" for r in ROLES_AFTER)
    op.drop_constraint("app_user_role_known", "app_user", type_="check")
    op.create_check_constraint("app_user_role_known", "app_user", f"role IN ({roles})")
    # … and the database says so on insert: a city account takes no county from the scope.
    op.execute(
        """
CREATE FUNCTION shuijian_city_account() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.role IN ('city_leader', 'city_analyst') THEN
    NEW.county_id := NULL;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER b_city_account_has_no_county BEFORE INSERT ON app_user
  FOR EACH ROW EXECUTE FUNCTION shuijian_city_account();
"""
    )
    op.create_check_constraint(
        "app_user_city_tie",
        "app_user",
        "(role IN ('city_leader', 'city_analyst')) = (county_id IS NULL)",
    )


ROLES_BEFORE = ("leader", "analyst", "deputy", "admin", "township")
ROLES_AFTER = (*ROLES_BEFORE, "city_leader", "city_analyst")


PER_COUNTY_UNIQUE = (
    ("gpx_upload", "sha256"),
    ("supervision_group", "code"),
    ("volunteer_team", "code"),
    ("volunteer_member", "code"),
)


def downgrade() -> None:
    bind = op.get_bind()
    counties = bind.scalar(sa.text("SELECT count(*) FROM county"))
    city = bind.scalar(sa.text("SELECT count(*) FROM app_user WHERE county_id IS NULL"))
    if counties > 1 or city:
        raise RuntimeError(
            f"{counties} counties and {city} city account(s): the schema below 0020 holds one "
            "county and no city accounts; remove them before downgrading"
        )
    op.execute("UPDATE ticket_counter SET month = split_part(month, '-', 2)")
    op.alter_column("ticket_counter", "month", type_=sa.String(6))
    op.drop_constraint("app_user_city_tie", "app_user", type_="check")
    op.execute("DROP TRIGGER b_city_account_has_no_county ON app_user")
    op.execute("DROP FUNCTION shuijian_city_account()")
    roles = ", ".join(f"'{r}'" for r in ROLES_BEFORE)
    op.drop_constraint("app_user_role_known", "app_user", type_="check")
    op.create_check_constraint("app_user_role_known", "app_user", f"role IN ({roles})")
    for table, column in PER_COUNTY_UNIQUE:
        op.drop_constraint(f"{table}_county_{column}_key", table, type_="unique")
        op.create_unique_constraint(f"{table}_{column}_key", table, [column])
    op.drop_constraint("township_county_name_key", "township", type_="unique")
    op.create_unique_constraint("township_name_key", "township", ["name"])
    op.execute("DROP POLICY county_scope ON county")
    op.execute("ALTER TABLE county DISABLE ROW LEVEL SECURITY")
    for table, parents in reversed(PARENTS.items()):
        op.execute(f"DROP POLICY county_scope ON {table}")
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
        if parents:
            op.execute(f"DROP TRIGGER a_county_of_{table} ON {table}")
            op.execute(f"DROP FUNCTION shuijian_county_of_{table}()")
        op.drop_index(f"ix_{table}_county", table)
        op.drop_column(table, "county_id")
    op.execute("DROP FUNCTION shuijian_scope_county()")
    op.execute("DROP FUNCTION shuijian_scope_all()")
    op.execute("DROP FUNCTION shuijian_lone_county()")
    op.execute("DROP FUNCTION shuijian_pinned_county()")
    op.execute("DROP TABLE county_db_role")
