"""When a site is reminded: the steps of "未按时巡查" for one deadline, as a pure function.

For a deadline D and a day d (days overdue n = d − D):

- ``due_soon``: while the site is due soon (0 ≤ D − d ≤ ``due_soon_days``) — one step.
- ``overdue`` round k: while overdue, k = (n − 1) // N (N = ``reminder_repeat_days``), so the
  rounds start on days overdue 1, 1 + N, 1 + 2N … — one step per round.
- ``escalation``: once overdue n ≥ M (M = ``reminder_escalate_days``) — one step, to the
  township's office.

Each step is a period rather than a single day, so a day the job did not run (or a failed
send) is made up by the next run inside the period; the database keeps each (site, deadline,
channel, step, round) once (``reminder_item``).
"""

from __future__ import annotations

from dataclasses import dataclass

from core import settings
from core.errors import ConfigurationError

STEPS: tuple[str, ...] = ("due_soon", "overdue", "escalation")
DEPUTY_STEPS: tuple[str, ...] = ("due_soon", "overdue")  # the deputy's own message
OFFICE_STEPS: tuple[str, ...] = ("escalation",)  # the township office's message


@dataclass(frozen=True)
class Step:
    """One step of a deadline's reminders: ``round`` counts overdue periods (0 otherwise)."""

    step: str
    round: int = 0


@dataclass(frozen=True)
class Schedule:
    """The two numbers of the schedule (days), read once per run."""

    repeat_days: int
    escalate_days: int

    @classmethod
    def from_settings(
        cls, repeat_days: int | None = None, escalate_days: int | None = None
    ) -> Schedule:
        """The given numbers, else the settings; each must be at least 1."""
        repeat = settings.integer("reminder_repeat_days") if repeat_days is None else repeat_days
        escalate = (
            settings.integer("reminder_escalate_days") if escalate_days is None else escalate_days
        )
        for env, value in (
            ("SHUIJIAN_REMINDER_REPEAT_DAYS", repeat),
            ("SHUIJIAN_REMINDER_ESCALATE_DAYS", escalate),
        ):
            if value < 1:
                raise ConfigurationError(
                    f"{env}={value}: the reminder schedule counts whole days, 1 or more",
                    code="reminder_days_invalid",
                    env=env,
                    value=value,
                )
        return cls(repeat, escalate)

    def steps(self, status: str, days_left: int) -> tuple[Step, ...]:
        """The steps that are due for a site in ``status`` with ``days_left`` to its deadline
        (negative once overdue), whether or not they were already sent."""
        if status == "due_soon":
            return (Step("due_soon"),)
        if status != "overdue":
            return ()
        overdue = -days_left
        due = [Step("overdue", (overdue - 1) // self.repeat_days)]
        if overdue >= self.escalate_days:
            due.append(Step("escalation"))
        return tuple(due)


__all__ = ["DEPUTY_STEPS", "OFFICE_STEPS", "STEPS", "Schedule", "Step"]
