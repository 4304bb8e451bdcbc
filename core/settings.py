"""Every setting, declared once as data: name, environment variable, default and help.

The README's configuration table is checked against this list by a test, so a setting cannot
exist without being documented.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from core.errors import ConfigurationError


@dataclass(frozen=True)
class Setting:
    name: str
    env: str
    default: Any
    help: str
    cast: type = str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "database_url",
        "DATABASE_URL",
        None,
        "PostgreSQL+PostGIS server to use (postgresql+psycopg://...). Unset: a project-local "
        "cluster under SHUIJIAN_HOME is created, started and reused.",
    ),
    Setting(
        "database_owner_url",
        "DATABASE_OWNER_URL",
        None,
        "The schema owner's URL, for shuijian db migrate/downgrade and the demo (DATABASE_URL "
        "is then the app role's). Unset: DATABASE_URL when set (one role for everything), "
        "else the project-local cluster's owner role.",
    ),
    Setting(
        "test_database_url",
        "TEST_DATABASE_URL",
        None,
        "Server for the test suite (needs rights to CREATE DATABASE). Unset: the tests use "
        "the project-local cluster.",
    ),
    Setting(
        "home",
        "SHUIJIAN_HOME",
        None,
        "Folder for the project-local cluster and other local state. Default: .shuijian/ in "
        "the checkout (git-ignored).",
    ),
    Setting(
        "log_dir",
        "SHUIJIAN_LOG_DIR",
        None,
        "Folder of errors.log, where unexpected errors are logged with their traceback under "
        "the id users are shown. Default: logs/ in SHUIJIAN_HOME (.shuijian/logs).",
    ),
    Setting(
        "metric_epsg",
        "SHUIJIAN_METRIC_EPSG",
        32650,
        "Projected CRS (EPSG code) in which distances and areas are measured. Default: UTM "
        "zone 50N, the zone of the reference county (Changshan, 118.5°E).",
        int,
    ),
    Setting(
        "county_code",
        "SHUIJIAN_COUNTY_CODE",
        "330822",
        "Six-digit administrative code of the county (used in codes and ticket numbers).",
    ),
    Setting(
        "grid_expected",
        "SHUIJIAN_GRID_EXPECTED",
        "15/192/932",
        "Expected cell counts large/medium/small that check-grid enforces; empty to only "
        "report the counts.",
    ),
    Setting(
        "tianditu_key",
        "TIANDITU_KEY",
        None,
        "Tianditu (天地图) browser key. Set: the maps get a Tianditu basemap. Unset: no "
        "basemap, and no page requests anything outside the machine.",
    ),
    Setting(
        "tile_url",
        "SHUIJIAN_TILE_URL",
        None,
        "XYZ tile URL template of an intranet basemap ({z}/{x}/{y}, optionally {s}), e.g. a "
        "Tianditu proxy. Set: the maps use it before SHUIJIAN_MBTILES and TIANDITU_KEY.",
    ),
    Setting(
        "tile_attribution",
        "SHUIJIAN_TILE_ATTRIBUTION",
        None,
        "Attribution shown under the maps for SHUIJIAN_TILE_URL's tiles (plain text).",
    ),
    Setting(
        "mbtiles",
        "SHUIJIAN_MBTILES",
        None,
        "Path of a raster MBTiles file (png/jpg/webp) served by the app at /tiles/{z}/{x}/{y} "
        "as the offline basemap. Used when SHUIJIAN_TILE_URL is unset, before TIANDITU_KEY.",
    ),
    Setting(
        "visit_distance_m",
        "SHUIJIAN_VISIT_DISTANCE_M",
        50.0,
        "A visit is time spent within this many metres of a site (a pond's edge, a farm's point).",
        float,
    ),
    Setting(
        "visit_min_dwell_min",
        "SHUIJIAN_VISIT_MIN_DWELL_MIN",
        3.0,
        "Minutes within the visit distance that make a visit.",
        float,
    ),
    Setting(
        "max_speed_kmh",
        "SHUIJIAN_MAX_SPEED_KMH",
        150.0,
        "GPS spikes: a point reached from the previous kept point faster than this is dropped "
        "(an absolute limit, not a per-track percentile).",
        float,
    ),
    Setting(
        "gap_split_min",
        "SHUIJIAN_GAP_SPLIT_MIN",
        10.0,
        "A time gap longer than this splits a track segment, unless its two ends are within "
        "SHUIJIAN_STAY_RADIUS_M (a stay: phones record only on movement).",
        float,
    ),
    Setting(
        "stay_radius_m",
        "SHUIJIAN_STAY_RADIUS_M",
        30.0,
        "Two ends of a time gap closer than this are a stay at one place, not a break.",
        float,
    ),
    Setting(
        "county_margin_m",
        "SHUIJIAN_COUNTY_MARGIN_M",
        5000.0,
        "Track points farther than this outside the county outline are dropped.",
        float,
    ),
    Setting(
        "gpx_max_mb",
        "SHUIJIAN_GPX_MAX_MB",
        50.0,
        "Largest GPX file accepted, in MB; larger files are refused before parsing.",
        float,
    ),
    Setting(
        "timezone",
        "SHUIJIAN_TIMEZONE",
        "Asia/Shanghai",
        "Time zone in which times are shown and naive GPX timestamps are read.",
    ),
    Setting(
        "due_soon_days",
        "SHUIJIAN_DUE_SOON_DAYS",
        3,
        "A site whose patrol deadline is this many days away or fewer is 'due soon'.",
        int,
    ),
    Setting(
        "login_free_attempts",
        "SHUIJIAN_LOGIN_FREE_ATTEMPTS",
        3,
        "Failed sign-ins (per account name and per client) before each further attempt must "
        "wait; the wait doubles with every failure.",
        int,
    ),
    Setting(
        "login_delay_s",
        "SHUIJIAN_LOGIN_DELAY_S",
        2.0,
        "The first wait after the free failed sign-ins, in seconds; it doubles each time, up "
        "to SHUIJIAN_LOGIN_DELAY_MAX_S.",
        float,
    ),
    Setting(
        "login_delay_max_s",
        "SHUIJIAN_LOGIN_DELAY_MAX_S",
        60.0,
        "The longest wait between two failed sign-ins before the lock, in seconds.",
        float,
    ),
    Setting(
        "login_lock_after",
        "SHUIJIAN_LOGIN_LOCK_AFTER",
        10,
        "Failed sign-ins (per account name or per client) after which it is locked.",
        int,
    ),
    Setting(
        "login_lock_min",
        "SHUIJIAN_LOGIN_LOCK_MIN",
        15.0,
        "How long a lock lasts, in minutes, unless an administrator unlocks the account "
        "(shuijian user unlock).",
        float,
    ),
    Setting(
        "login_window_min",
        "SHUIJIAN_LOGIN_WINDOW_MIN",
        60.0,
        "Failed sign-ins older than this many minutes no longer count.",
        float,
    ),
    Setting(
        "session_idle_hours",
        "SHUIJIAN_SESSION_IDLE_HOURS",
        8.0,
        "A sign-in ends after this many hours without any action in the app.",
        float,
    ),
    Setting(
        "session_max_days",
        "SHUIJIAN_SESSION_MAX_DAYS",
        7.0,
        "A sign-in ends this many days after it began, however active; then sign in again.",
        float,
    ),
    Setting(
        "duty_grace_days",
        "SHUIJIAN_DUTY_GRACE_DAYS",
        5,
        "A deputy newly assigned to a site owes the window (旬 or month) in which the "
        "assignment starts only if at least this many of its days remain, the first day "
        "counted; otherwise their duty begins with the next window.",
        int,
    ),
    Setting(
        "duty_visits",
        "SHUIJIAN_DUTY_VISITS",
        "assigned",
        "Whose verified visits discharge a site's duty: 'assigned' (定人定点, only the deputy "
        "assigned to it at the time; other deputies' visits show as 协查) or 'any'.",
    ),
    Setting(
        "outbox_max_backoff_s",
        "SHUIJIAN_OUTBOX_MAX_BACKOFF_S",
        300.0,
        "Longest wait, in seconds, before retrying a delivery to a platform that failed "
        "(the wait doubles per failed attempt up to this).",
        float,
    ),
    Setting(
        "outbox_timeout_s",
        "SHUIJIAN_OUTBOX_TIMEOUT_S",
        10.0,
        "Seconds to wait for a platform to answer one delivery before counting it as failed.",
        float,
    ),
    Setting(
        "port",
        "SHUIJIAN_PORT",
        8501,
        "Port on which `shuijian serve` (and `make demo`) serves the app.",
        int,
    ),
    Setting(
        "api_port",
        "SHUIJIAN_API_PORT",
        8600,
        "Port on which `shuijian api` serves the platform API (GeoReport v2).",
        int,
    ),
    Setting(
        "jurisdiction_id",
        "SHUIJIAN_JURISDICTION_ID",
        "changshan.330822",
        "GeoReport jurisdiction_id this server answers to; requests naming another get 404.",
    ),
    Setting(
        "ogc_per_minute",
        "SHUIJIAN_OGC_PER_MINUTE",
        120,
        "Most calls one client of the open interface (OGC API - Features) may make per "
        "minute; more are answered 429 with Retry-After. 0: no limit.",
        int,
    ),
    Setting(
        "evaluation_weights",
        "SHUIJIAN_EVALUATION_WEIGHTS",
        None,
        "TOML file of the monthly evaluation's weights and caps (keys it leaves out keep the "
        "shipped values). Unset: reports/weights.toml, the shipped defaults.",
    ),
    Setting(
        "city_ranking_weights",
        "SHUIJIAN_CITY_RANKING_WEIGHTS",
        None,
        "TOML file of the city's monthly ranking of its counties (indicators, weights, "
        "normalisation, the missing-indicator rule, version); it replaces the shipped file as a "
        "whole. Unset: reports/city_ranking.toml.",
    ),
    Setting(
        "city_name",
        "SHUIJIAN_CITY_NAME",
        "衢州市",
        "Name of the city whose counties the deployment ranks (一月一排名), as the city's "
        "bulletin and the public ranking page name it.",
    ),
    Setting(
        "public_reports_per_phone",
        "SHUIJIAN_PUBLIC_REPORTS_PER_PHONE",
        3,
        "Public reports (有奖举报) one phone number may make in 24 hours; more are refused.",
        int,
    ),
    Setting(
        "public_reports_per_client",
        "SHUIJIAN_PUBLIC_REPORTS_PER_CLIENT",
        10,
        "Public reports one client (browser address) may make in 24 hours; more are refused.",
        int,
    ),
    Setting(
        "public_codes_per_hour",
        "SHUIJIAN_PUBLIC_CODES_PER_HOUR",
        3,
        "One-time codes sent per phone number, and per client, in an hour (each is an SMS).",
        int,
    ),
    Setting(
        "public_code_minutes",
        "SHUIJIAN_PUBLIC_CODE_MINUTES",
        10,
        "Minutes a one-time code sent to a public reporter's phone stays valid.",
        int,
    ),
    Setting(
        "public_code_attempts",
        "SHUIJIAN_PUBLIC_CODE_ATTEMPTS",
        5,
        "Wrong entries of a one-time code after which it is void (a new code must be sent).",
        int,
    ),
    Setting(
        "reward_rules",
        "SHUIJIAN_REWARD_RULES",
        None,
        "TOML file of the public reports' reward rules (amount per category, default). "
        "Unset: reports/rewards.toml.",
    ),
    Setting(
        "holidays",
        "SHUIJIAN_HOLIDAYS",
        None,
        "TOML file of statutory holidays and make-up workdays (调休) per year, for years the "
        "chinesecalendar package does not know yet; a year in the file replaces the package's. "
        "Unset: the package alone.",
    ),
    Setting(
        "holidays_unknown",
        "SHUIJIAN_HOLIDAYS_UNKNOWN",
        "refuse",
        "A day of a year no holiday calendar knows: 'refuse' (a clear error naming the year) "
        "or 'weekdays' (Monday–Friday, holidays ignored) — for demonstrations only; "
        "`bash scripts/dev.sh demo` sets it when unset.",
    ),
    Setting(
        "remind_channel",
        "SHUIJIAN_REMIND_CHANNEL",
        "none",
        "Channel of the daily patrol reminders (`shuijian remind`): dingtalk (a DingTalk group "
        "robot), http (a generic HTTP / SMS gateway hook) or none (reminders off).",
    ),
    Setting(
        "dingtalk_webhook",
        "SHUIJIAN_DINGTALK_WEBHOOK",
        None,
        "Webhook URL of the DingTalk custom robot (https://oapi.dingtalk.com/robot/send?"
        "access_token=...). A secret: never logged.",
    ),
    Setting(
        "dingtalk_secret",
        "SHUIJIAN_DINGTALK_SECRET",
        None,
        "Signing secret (SEC...) of the DingTalk robot; each message is signed with it. Unset: "
        "messages are unsigned (a robot secured by keyword or IP only). Never logged.",
    ),
    Setting(
        "dingtalk_per_minute",
        "SHUIJIAN_DINGTALK_PER_MINUTE",
        20,
        "Most DingTalk robot messages sent per minute (DingTalk refuses more than 20); 0 sends "
        "without pause.",
        int,
    ),
    Setting(
        "sms_webhook",
        "SHUIJIAN_SMS_WEBHOOK",
        None,
        "URL of the generic HTTP / SMS gateway hook; each reminder is POSTed as JSON "
        "{to, deputy, text}.",
    ),
    Setting(
        "sms_token",
        "SHUIJIAN_SMS_TOKEN",
        None,
        "Bearer token sent to the SMS hook (Authorization header). Unset: no header. Never logged.",
    ),
    Setting(
        "reminder_repeat_days",
        "SHUIJIAN_REMINDER_REPEAT_DAYS",
        3,
        "An overdue site is reminded on its first overdue day, then again every this many "
        "days while it stays overdue (days overdue 1, 1+N, 1+2N ...).",
        int,
    ),
    Setting(
        "reminder_escalate_days",
        "SHUIJIAN_REMINDER_ESCALATE_DAYS",
        7,
        "A site overdue this many days is escalated once (per deadline) to its township's "
        "people's congress office (乡镇人大办公室).",
        int,
    ),
    Setting(
        "register_clean_streak",
        "SHUIJIAN_REGISTER_CLEAN_STREAK",
        3,
        "A registered site (挂号) is cancelled (销号) after this many consecutive clean patrols "
        "or passed re-inspections since its latest confirmed problem.",
        int,
    ),
    Setting(
        "warning_rules",
        "SHUIJIAN_WARNING_RULES",
        None,
        "TOML file of the early-warning rules (rules and keys it leaves out keep the shipped "
        "values). Unset: reports/warnings.toml, the shipped rules.",
    ),
    Setting(
        "keep_track_months",
        "SHUIJIAN_KEEP_TRACK_MONTHS",
        0,
        "Months of patrols' points (patrol_track) kept: `shuijian db partitions` archives older "
        "months to SHUIJIAN_ARCHIVE_DIR and drops them (the patrol, its visits and verdict "
        "stay). 0: kept for ever.",
        int,
    ),
    Setting(
        "keep_visit_months",
        "SHUIJIAN_KEEP_VISIT_MONTHS",
        0,
        "Months of visits kept, likewise (evaluations of older months then lose their "
        "evidence). 0: kept for ever.",
        int,
    ),
    Setting(
        "keep_audit_months",
        "SHUIJIAN_KEEP_AUDIT_MONTHS",
        0,
        "Months of the audit log kept, likewise. 0: kept for ever.",
        int,
    ),
    Setting(
        "archive_dir",
        "SHUIJIAN_ARCHIVE_DIR",
        None,
        "Folder where `shuijian db partitions` writes each expired month (gzip'd CSV and a "
        "manifest with its row count and SHA-256) before dropping it. Unset: archive/ in "
        "SHUIJIAN_HOME.",
    ),
)

_BY_NAME = {s.name: s for s in SETTINGS}


def _value(name: str) -> Any:
    """Value of a setting from the environment, else its default (untyped: use the typed
    accessors below)."""
    try:
        setting = _BY_NAME[name]
    except KeyError:
        known = ", ".join(sorted(_BY_NAME))
        raise ConfigurationError(
            f"unknown setting {name!r}; known settings: {known}",
            code="unknown_setting",
            name=name,
            known=known,
        ) from None
    raw = os.environ.get(setting.env)
    if raw is None or raw == "":
        return setting.default
    try:
        return setting.cast(raw)
    except ValueError:
        raise ConfigurationError(
            f"{setting.env}={raw!r} is not a valid {setting.cast.__name__}: {setting.help}",
            code="setting_invalid",
            env=setting.env,
            value=raw,
            kind=setting.cast.__name__,
        ) from None


def text(name: str) -> str:
    """A setting that always has a value (a default or the environment's), as text."""
    value = _value(name)
    if value is None:
        setting = _BY_NAME[name]
        raise ConfigurationError(
            f"{setting.env} is not set: {setting.help}",
            code="setting_missing",
            env=setting.env,
        )
    return str(value)


def optional_text(name: str) -> str | None:
    """A setting that may be unset (a key, a URL, a folder): None when it is."""
    value = _value(name)
    return None if value is None else str(value)


def number(name: str) -> float:
    """A setting measured in a unit (metres, minutes, seconds, MB), as a float."""
    return float(_value(name))


def integer(name: str) -> int:
    """A whole-number setting (a port, an EPSG code, a count of days)."""
    return int(_value(name))


def grid_expected() -> tuple[int, int, int] | None:
    """Expected (large, medium, small) cell counts, or None when only reporting."""
    return parse_grid_counts(optional_text("grid_expected"))


def parse_grid_counts(raw: str | None) -> tuple[int, int, int] | None:
    """'15/192/932' → (15, 192, 932); empty or 'none' → None (only report the counts)."""
    if not raw or raw.strip().lower() == "none":
        return None
    parts = raw.split("/")
    if len(parts) != 3 or not all(p.strip().isdigit() for p in parts):
        raise ConfigurationError(
            f"grid counts {raw!r}: write three whole numbers like 15/192/932",
            code="grid_counts_invalid",
            value=raw,
        )
    large, medium, small = (int(p) for p in parts)
    return large, medium, small
