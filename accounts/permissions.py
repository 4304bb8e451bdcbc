"""One permission table: which role may do what.

Services enforce it (``require``); pages read it (``may``) only to decide what to show, so a
hidden button is never the only thing between a role and an action. Rules that depend on the
row as well as the role stay beside the row, in the service that owns it, and name the action
here: a deputy acts as reporter only on the tickets they reported, and as re-inspector only
on a ticket nobody reported whose re-inspector they are (``tickets.service``), an
analyst acts for a platform only when that platform has no API of its own (same place), a
deputy uploads and reads patrols only as themselves (``tracks``).
"""

from __future__ import annotations

from accounts.auth import SignedIn
from core.errors import PermissionDenied

LEADER, ANALYST, DEPUTY, ADMIN = "leader", "analyst", "deputy", "admin"
EVERYONE = (LEADER, ANALYST, DEPUTY, ADMIN)

# action → the roles that may take it. Admin is written out, not implied.
PERMISSIONS: dict[str, tuple[str, ...]] = {
    # Pages (the sign-in page and the public archive are open to everyone, signed in or not).
    "view_glance": (LEADER, ANALYST, ADMIN),  # today at a glance: a leader's landing page
    "view_my_sites": (DEPUTY,),  # a deputy's own sites, their landing page
    "view_overview": (LEADER, ANALYST, ADMIN),
    "view_account": EVERYONE,
    "view_upload": (DEPUTY, ANALYST, ADMIN),
    "view_patrols": (DEPUTY, ANALYST, ADMIN),
    "view_due": EVERYONE,
    "view_coverage": (LEADER, ANALYST, ADMIN),
    "view_evaluation": (LEADER, ANALYST, ADMIN),
    "view_report": (DEPUTY, ANALYST, ADMIN),
    "view_worklist": (DEPUTY, ANALYST, ADMIN),
    "view_issues_map": EVERYONE,
    "view_ticket": EVERYONE,
    "view_admin": (ADMIN,),
    "view_supervision": (LEADER, ANALYST, ADMIN),  # 督查组: groups, visits, findings
    "view_volunteers": (LEADER, ANALYST, ADMIN),  # volunteer teams and their duty days
    # Patrols.
    "upload_own_patrol": (DEPUTY,),  # as themselves only
    "upload_for_deputy": (ANALYST, ADMIN),  # recorded as on behalf
    "read_any_patrol": (ANALYST, ADMIN),  # a deputy reads their own
    "review_patrol": (ANALYST, ADMIN),
    "read_any_due_list": (LEADER, ANALYST, ADMIN),  # a deputy reads their own sites
    # Tickets.
    "report_own_problem": (DEPUTY,),
    "report_for_deputy": (ANALYST, ADMIN),
    "act_as_reporter": (DEPUTY,),  # withdraw, re-inspect, rate: on their own reports only
    # Withdrawal (撤回) is the reporting deputy's alone, not an analyst's nor an admin's: a
    # report is the deputy's record, counted in their evaluation (tickets.lifecycle).
    "withdraw_report": (DEPUTY,),
    # Re-inspect and rate a ticket nobody reported (a platform's): only its re-inspector, the
    # deputy an analyst designated or else the site's deputy of the day.
    "act_as_reinspector": (DEPUTY,),
    "manage_tickets": (ANALYST, ADMIN),  # dispatch, re-route, the analysts' worklist
    "designate_reinspector": (ANALYST, ADMIN),  # name the deputy who re-inspects such a ticket
    "act_for_platform": (ANALYST, ADMIN),  # accept/return/feed back for a platform without API
    "read_any_ticket": (LEADER, ANALYST, ADMIN),  # a deputy reads theirs and their township's
    # Administration (the same services the command line calls; each action is audited).
    "manage_users": (ADMIN,),
    "manage_assignments": (ADMIN,),
    "manage_platforms": (ADMIN,),
    "read_audit_log": (ADMIN,),
    # Supervision groups (督查组) and volunteer patrols (骑行河长, 老骥常青).
    "read_supervision": (LEADER, ANALYST, ADMIN),
    "manage_supervision_groups": (ANALYST, ADMIN),  # groups, members, townships
    # A check-in or a track, with findings: the Standing Committee's leaders lead the groups.
    "record_supervision_visit": (LEADER, ANALYST, ADMIN),
    "read_volunteers": (LEADER, ANALYST, ADMIN),
    "manage_volunteers": (ANALYST, ADMIN),  # teams and members (CSV imports)
    "upload_volunteer_patrol": (ANALYST, ADMIN),  # volunteers have no account: staff upload
    # Reports.
    "build_bulletin": (LEADER, ANALYST, ADMIN),
}

PAGE_ACTIONS = tuple(a for a in PERMISSIONS if a.startswith("view_"))


def may(role: str | None, action: str) -> bool:
    """Whether ``role`` may take ``action`` (an unknown action is a programming error)."""
    try:
        roles = PERMISSIONS[action]
    except KeyError:
        raise KeyError(f"no such action in the permission table: {action!r}") from None
    return role in roles


def require(user: SignedIn | None, action: str) -> SignedIn:
    """The user, if their role may take ``action``; else PermissionDenied naming both."""
    if user is None:
        raise PermissionDenied("not signed in", code="not_signed_in", action=action)
    if not may(user.role, action):
        raise PermissionDenied(
            f"role {user.role!r} may not {action.replace('_', ' ')}",
            code="not_allowed",
            action=action,
            role=user.role,
        )
    return user


__all__ = ["PAGE_ACTIONS", "PERMISSIONS", "may", "require"]
