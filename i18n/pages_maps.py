"""What the maps pages say (kept apart so each part of the app has its own file)."""

from __future__ import annotations

PAGES_MAPS: dict[str, tuple[str, str]] = {
    # layers/basemap.py: every map
    "map_base.labels_township": ("乡镇名称", "Township names"),
    "map_base.labels_site": ("点位名称（放大后显示）", "Site names (shown when zoomed in)"),
    "map_base.intranet": ("内网底图", "Intranet basemap"),
    "map_base.offline": ("离线底图", "Offline basemap"),
    # layers/tickets.py: problems and tickets
    "map_tickets.problem_pin": ("问题位置（图钉）", "Problem location (pin)"),
    "map_tickets.your_sites": ("我的点位", "My sites"),
}
