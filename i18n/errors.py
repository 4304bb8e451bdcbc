"""What each error code says to the user: ``error.<code>`` with the error's params.

A ``{where}`` placeholder is filled from the ``line`` or ``feature`` param by ``describe``."""

from __future__ import annotations

from i18n.errors_admin import ERRORS_ADMIN
from i18n.errors_files import ERRORS_FILES
from i18n.errors_register import ERRORS_REGISTER
from i18n.errors_supervision import ERRORS_SUPERVISION
from i18n.errors_work import ERRORS_WORK
from i18n.grid_heads import ERRORS_GRID_HEADS
from i18n.pages_city_ranking import ERRORS_CITY_RANKING
from i18n.pages_public import ERRORS_PUBLIC
from i18n.water import ERRORS_WATER

_GENERAL: dict[str, tuple[str, str]] = {
    # GPX refusals (tracks.gpx_input.REASONS) and the other verdicts of tracks.batch.
    "error.empty": ("文件是空的。", "The file is empty."),
    "error.too_large": (
        "文件超过大小上限（{limit_mb} MB）。",
        "The file is larger than the limit ({limit_mb} MB).",
    ),
    "error.doctype": (
        "文件含有 DOCTYPE/ENTITY 声明，出于安全原因不予接收。",
        "The file declares a DOCTYPE/ENTITY, which is refused for safety.",
    ),
    "error.not_xml": (
        "文件不是格式正确的 XML（GPX）文件{where}。",
        "The file is not well-formed XML (GPX){where}.",
    ),
    "error.not_gpx": ("文件不是 GPX 轨迹文件。", "The file is not a GPX file."),
    "error.bad_coordinate": (
        "第 {line} 行的轨迹点坐标无效。",
        "The point at line {line} has an invalid position.",
    ),
    "error.bad_time": (
        "第 {line} 行的时间无法识别（{value}）。",
        "The time at line {line} cannot be read ({value}).",
    ),
    "error.time_range": (
        "轨迹时间不合理（{value}），请检查设备时钟。",
        "The track's time is not plausible ({value}); check the device's clock.",
    ),
    "error.no_points": (
        "文件中没有可用的轨迹点（航点和路线不能证明到访）。",
        "The file has no usable track points (waypoints and routes cannot prove a visit).",
    ),
    "error.encoding": (
        "文件的字符编码无法识别（{encoding}），请另存为 UTF-8。",
        "The file's character encoding cannot be read ({encoding}); save it as UTF-8.",
    ),
    "error.far_away": (
        "轨迹不在本县：没有任何轨迹点位于县界 {margin_km} 公里范围内，最近的点距县界约 "
        "{nearest_km} 公里（是否在别处录制，或坐标为 GCJ-02？）。",
        "The track is not in the county: no point lies within {margin_km} km of it; the "
        "nearest is about {nearest_km} km away (recorded elsewhere, or in GCJ-02?).",
    ),
    "error.no_fix": (
        "轨迹点均无有效定位（坐标为 0,0 或缺失）。",
        "No track point has a position fix (all at 0,0 or missing).",
    ),
    "error.permission": (
        "您无权为该代表上传轨迹。",
        "You may not upload tracks for this deputy.",
    ),
    "error.no_deputy": ("所选代表不存在。", "The chosen deputy does not exist."),
    "error.db_unavailable": (
        "数据库暂不可用，请稍后再试；本文件未保存。",
        "The database is unavailable; try again later. This file was not stored.",
    ),
    "error.internal": (
        "系统内部错误，已记录，编号 {error_id}。请将编号告知管理员。",
        "Internal error, logged as {error_id}. Please give this id to an administrator.",
    ),
    "error.other": ("{message}", "{message}"),
}

# Files, settings and setup (importers, readers, the cluster) and the work itself (patrols,
# tickets, the evaluation), kept apart so each reads as one subject.
ERRORS: dict[str, tuple[str, str]] = {
    **_GENERAL,
    **ERRORS_FILES,
    **ERRORS_WORK,
    **ERRORS_ADMIN,
    **ERRORS_GRID_HEADS,
    **ERRORS_REGISTER,
    **ERRORS_PUBLIC,
    **ERRORS_SUPERVISION,
    **ERRORS_CITY_RANKING,
    **ERRORS_WATER,
}
