"""Patrol duty: the window rules (`windows`), the due list (`due`), period coverage of sites
and grid cells (`coverage`) and the Excel export (`export`).

The exact semantics of deadlines, statuses and missed windows are stated in
`duty.windows`'s docstring; the roll-up and dead-corner rules in `duty.coverage`'s.
"""

from duty.coverage import (
    CELLS_SQL,
    cell_coverage,
    load_cells,
    month_bounds,
    period_status_frame,
    site_period_status,
)
from duty.due import DEFAULT_VISITS_SQL, DUE_COLUMNS, due_list
from duty.windows import (
    CLASS2_MAX_GAP_DAYS,
    STATUSES,
    SiteStatus,
    missed_counts,
    missed_deadlines,
    next_deadline,
    next_deadline_array,
    site_status,
    site_status_frame,
    window_of,
    xun_of,
)

__all__ = [
    "CELLS_SQL",
    "CLASS2_MAX_GAP_DAYS",
    "DEFAULT_VISITS_SQL",
    "DUE_COLUMNS",
    "STATUSES",
    "SiteStatus",
    "cell_coverage",
    "due_list",
    "load_cells",
    "missed_counts",
    "missed_deadlines",
    "month_bounds",
    "next_deadline",
    "next_deadline_array",
    "period_status_frame",
    "site_period_status",
    "site_status",
    "site_status_frame",
    "window_of",
    "xun_of",
]
