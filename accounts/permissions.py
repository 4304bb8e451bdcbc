"""One permission table: which role may do what.

Services enforce it (``require``); pages read it (``may``) only to decide what to show, so a
hidden button is never the only thing between a role and an action. Rules that depend on the
row as well as the role stay beside the row, in the service that owns it, and name the action
here: a deputy acts as reporter only on the tickets they reported, and as re-inspector only
on a ticket nobody reported whose re-inspector they are (``tickets.service``), an
analyst acts for a platform only when that platform has no API of its own (same place), a
deputy uploads and reads patrols only as themselves (``tracks``).

Township staff (``township``: 乡全科网格员, 综合指挥中心, 乡人大办公室, 信息员) do the county
analyst's daily work, but only within their own township: every action below that names
them is read "… within the user's township", and the services narrow each query and refuse
each row outside it with ``accounts.scope`` (``narrow`` / ``check_township``), never the page
alone. What they get and why:

- the township's tickets: read them, dispatch and re-route them, act for a platform without
  an API, designate a re-inspector — the 综合指挥中心 dispatches what is found in the
  township, and the seed has township offices collecting (汇总) their own;
- the township's patrols: read and review flagged ones — the 信息员 knows whether a deputy
  really walked that pond; its due list, coverage map, issues map and today's glance;
- the evaluation page narrowed to the township (its own deputies and its own row of the
  ranking): "各乡镇人大定期汇总".
- the cross-sections at the township's edges (交接断面水质), upstream or downstream of it, and
  its own 约谈 runs: the sections it is assessed by and the water it receives (the results are
  published anyway).

What they do not get: uploading or reporting on a deputy's behalf (the county's analysts
vouch for such records), the county overview, the bulletin (the county's document, naming
every township's deputies), and any administration.

The city's people (市人大常委会: ``city_leader``, ``city_analyst``) see every county of the
deployment and rank them monthly (一月一排名、一月一通报, ``reports.city_ranking``): both read the
draft ranking and build the city's bulletin; only the city's analysts publish a
month, which freezes it for the public page. No county role publishes the city's ranking.
"""

from __future__ import annotations

from accounts.auth import SignedIn
from core.errors import PermissionDenied

LEADER, ANALYST, DEPUTY, ADMIN = "leader", "analyst", "deputy", "admin"
TOWNSHIP = "township"  # confined to its township (accounts.scope)
# The city's (市人大): every county in view, reading only — a county's records are its own
# staff's to act on. A city user may narrow the view to one county (ui.session).
CITY_LEADER, CITY_ANALYST = "city_leader", "city_analyst"
CITY = (CITY_LEADER, CITY_ANALYST)
EVERYONE = (LEADER, ANALYST, DEPUTY, ADMIN, TOWNSHIP)

# action → the roles that may take it. Admin is written out, not implied.
PERMISSIONS: dict[str, tuple[str, ...]] = {
    # Pages (the sign-in page and the public archive are open to everyone, signed in or not).
    "view_glance": (
        LEADER,
        ANALYST,
        ADMIN,
        TOWNSHIP,
        *CITY,
    ),  # today at a glance: a leader's landing page
    "view_my_sites": (DEPUTY,),  # a deputy's own sites, their landing page
    "view_overview": (LEADER, ANALYST, ADMIN, *CITY),
    "view_account": (*EVERYONE, *CITY),
    "view_upload": (DEPUTY, ANALYST, ADMIN),
    "view_patrols": (DEPUTY, ANALYST, ADMIN, TOWNSHIP, CITY_ANALYST),
    "view_due": (*EVERYONE, *CITY),
    "view_coverage": (LEADER, ANALYST, ADMIN, TOWNSHIP, *CITY),
    "view_evaluation": (LEADER, ANALYST, ADMIN, TOWNSHIP, *CITY),
    "view_report": (DEPUTY, ANALYST, ADMIN),
    "view_worklist": (DEPUTY, ANALYST, ADMIN, TOWNSHIP),
    "view_issues_map": (*EVERYONE, *CITY),
    "view_ticket": (*EVERYONE, *CITY),
    "view_admin": (ADMIN,),
    "view_register": (LEADER, ANALYST, ADMIN, TOWNSHIP, *CITY),  # 挂号销号: the problem register
    "view_warnings": (LEADER, ANALYST, ADMIN, TOWNSHIP, *CITY),  # 预警管理: early warnings
    "view_public_reports": (ANALYST, ADMIN, TOWNSHIP),  # 有奖举报 moderation and the reward ledger
    "view_supervision": (LEADER, ANALYST, ADMIN, *CITY),  # 督查组: groups, visits, findings
    "view_volunteers": (LEADER, ANALYST, ADMIN, *CITY),  # volunteer teams and their duty days
    # 一月一排名: the city's monthly ranking of its counties (draft, publication, bulletin).
    "view_city_ranking": (CITY_LEADER, CITY_ANALYST),
    # 交接断面水质: township staff read the sections at their township's edges only
    # (water.quality narrows with accounts.scope); the city reads every county's.
    "view_water_quality": (LEADER, ANALYST, ADMIN, TOWNSHIP, *CITY),
    # Patrols.
    "upload_own_patrol": (DEPUTY,),  # as themselves only
    "upload_for_deputy": (ANALYST, ADMIN),  # recorded as on behalf
    "read_any_patrol": (ANALYST, ADMIN, TOWNSHIP, CITY_ANALYST),  # a deputy reads their own
    "review_patrol": (ANALYST, ADMIN, TOWNSHIP),
    "read_any_due_list": (
        LEADER,
        ANALYST,
        ADMIN,
        TOWNSHIP,
        *CITY,
    ),  # a deputy reads their own sites
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
    "manage_tickets": (ANALYST, ADMIN, TOWNSHIP),  # dispatch, re-route, the analysts' worklist
    "designate_reinspector": (
        ANALYST,
        ADMIN,
        TOWNSHIP,
    ),  # name the deputy who re-inspects such a ticket
    "act_for_platform": (
        ANALYST,
        ADMIN,
        TOWNSHIP,
    ),  # accept/return/feed back for a platform without API
    "read_any_ticket": (
        LEADER,
        ANALYST,
        ADMIN,
        TOWNSHIP,
        *CITY,
    ),  # a deputy reads theirs and their township's
    # 有奖举报: public reports. Township staff moderate their own township's only
    # (tickets.public_reports.moderation_scope narrows the rows).
    "moderate_public_report": (ANALYST, ADMIN, TOWNSHIP),  # accept (a ticket) or reject
    "export_reward_ledger": (ANALYST, ADMIN),  # the ledger with phones, for payment; audited
    # Administration (the same services the command line calls; each action is audited).
    "manage_users": (ADMIN,),
    "manage_assignments": (ADMIN,),
    "manage_platforms": (ADMIN,),
    "read_audit_log": (ADMIN,),
    # Grid heads (网格长): import and list them; their phones are contact data, for the
    # people who call them (duty.grid_heads). Everyone who opens the coverage map sees names.
    "manage_grid_heads": (ADMIN,),
    "read_grid_head_contact": (ANALYST, ADMIN),
    # Supervision groups (督查组) and volunteer patrols (骑行河长, 老骥常青).
    "read_supervision": (LEADER, ANALYST, ADMIN, *CITY),
    "manage_supervision_groups": (ANALYST, ADMIN),  # groups, members, townships
    # A check-in or a track, with findings: the Standing Committee's leaders lead the groups.
    "record_supervision_visit": (LEADER, ANALYST, ADMIN),
    "read_volunteers": (LEADER, ANALYST, ADMIN, *CITY),
    "manage_volunteers": (ANALYST, ADMIN),  # teams and members (CSV imports)
    "upload_volunteer_patrol": (ANALYST, ADMIN),  # volunteers have no account: staff upload
    # Cross-sections and their monthly results (CSV or Excel); audited like the grid heads.
    "import_water_quality": (ANALYST, ADMIN),
    # Reports.
    "build_bulletin": (LEADER, ANALYST, ADMIN, *CITY),
    # The register and early warnings: leaders see, staff act.
    "read_register": (LEADER, ANALYST, ADMIN, TOWNSHIP, *CITY),
    "read_warnings": (LEADER, ANALYST, ADMIN, TOWNSHIP, *CITY),
    "act_on_warning": (ANALYST, ADMIN, TOWNSHIP),  # acknowledge and close, with a note
    # The city's ranking of its counties (一月一排名、一月一通报): a draft anyone of the city
    # reads; publishing freezes a month for the public, superseding is audited.
    "read_city_ranking": (CITY_LEADER, CITY_ANALYST),
    "publish_city_ranking": (CITY_ANALYST,),
    "build_city_bulletin": (CITY_LEADER, CITY_ANALYST),
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
