"""Site classes with their basis and history: why a site is class 1, 2 or 3 (its pollution
risk, as a code) and every change of class with the day it took effect.

Existing sites get one history row each, from the day of the migration, basis "reassessed"
unless a basis is known.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

BASES = (
    "large_farm",
    "farm",
    "farm_nearby",
    "village_nearby",
    "reservoir",
    "low_risk",
    "reassessed",
)
KNOWN = ", ".join(f"'{b}'" for b in BASES)


def upgrade() -> None:
    op.add_column("site", sa.Column("class_basis", sa.String(30)))
    op.create_check_constraint(
        "site_class_basis_known", "site", f"class_basis IS NULL OR class_basis IN ({KNOWN})"
    )
    op.create_table(
        "site_class_change",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "site_id", sa.Integer, sa.ForeignKey("site.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("site_class", sa.SmallInteger, nullable=False),
        sa.Column("basis", sa.String(30), nullable=False),
        sa.Column("valid_from", sa.Date, nullable=False),
        sa.Column("note", sa.Text),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint("site_class BETWEEN 1 AND 3", name="site_class_change_range"),
        sa.CheckConstraint(f"basis IN ({KNOWN})", name="site_class_change_basis_known"),
        sa.UniqueConstraint("site_id", "valid_from", name="site_class_change_once_a_day"),
    )
    op.create_index("ix_site_class_change_site", "site_class_change", ["site_id", "valid_from"])
    op.execute(
        "INSERT INTO site_class_change (site_id, site_class, basis, valid_from) "
        "SELECT id, site_class, COALESCE(class_basis, 'reassessed'), CURRENT_DATE FROM site"
    )


def downgrade() -> None:
    op.drop_table("site_class_change")
    op.drop_constraint("site_class_basis_known", "site")
    op.drop_column("site", "class_basis")
