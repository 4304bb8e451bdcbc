"""Township staff (乡镇工作人员 / 乡人大办公室 / 信息员): an account confined to one township.

``app_user.township_id`` names the township a ``township`` account sees and acts within; it is
NULL for every other role, and a CHECK ties the two both ways (as ``app_user_deputy_tie`` does
for deputies), so a township account without a township, or a county role with one, cannot
be stored. RESTRICT: a township with staff accounts is not deleted from under them.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

ROLES_BEFORE = ("leader", "analyst", "deputy", "admin")
ROLES_AFTER = (*ROLES_BEFORE, "township")


def _roles_check(roles: tuple[str, ...]) -> None:
    op.drop_constraint("app_user_role_known", "app_user", type_="check")
    listed = ", ".join(f"'{r}'" for r in roles)
    op.create_check_constraint("app_user_role_known", "app_user", f"role IN ({listed})")


def upgrade() -> None:
    op.add_column(
        "app_user",
        sa.Column("township_id", sa.Integer, sa.ForeignKey("township.id", ondelete="RESTRICT")),
    )
    op.create_index("ix_app_user_township", "app_user", ["township_id"])
    _roles_check(ROLES_AFTER)
    op.create_check_constraint(
        "app_user_township_tie", "app_user", "(role = 'township') = (township_id IS NOT NULL)"
    )


def downgrade() -> None:
    # A township account has no place in the older schema, and turning it into a county role
    # would widen what it sees; deleting it would orphan its history. So the downgrade stops
    # and says so while one exists: change its role or lock and remove it first.
    held = op.get_bind().scalar(sa.text("SELECT count(*) FROM app_user WHERE role = 'township'"))
    if held:
        raise RuntimeError(
            f"{held} township account(s) exist: give them another role "
            "(shuijian user role) before downgrading below 0015"
        )
    op.drop_constraint("app_user_township_tie", "app_user", type_="check")
    _roles_check(ROLES_BEFORE)
    op.drop_index("ix_app_user_township", "app_user")
    op.drop_column("app_user", "township_id")
