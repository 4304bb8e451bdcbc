"""ticket_state reads the status from the moves that change it: a ``designate`` event (an
analyst names the deputy who re-inspects a ticket nobody reported) goes from a status to the
same status, and must not make ``status_at`` look as if the ticket had just reached it.

The status itself is unchanged (a designation keeps it); only ``status_at`` now says when the
ticket reached its status.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

VIEW = """
    CREATE OR REPLACE VIEW ticket_state AS
    SELECT t.id AS ticket_id, e.to_status AS status, e.at AS status_at
    FROM ticket t
    JOIN LATERAL (
        SELECT to_status, at FROM ticket_event ev WHERE ev.ticket_id = t.id{only_moves}
        ORDER BY ev.id DESC LIMIT 1
    ) e ON true
"""


def upgrade() -> None:
    op.execute(VIEW.format(only_moves=" AND ev.from_status IS DISTINCT FROM ev.to_status"))


def downgrade() -> None:
    op.execute(VIEW.format(only_moves=""))
