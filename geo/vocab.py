"""Domain vocabularies: English codes in the database, Chinese and English labels for display."""

from __future__ import annotations

SITE_KINDS: dict[str, tuple[str, str]] = {
    "pond": ("山塘", "Pond"),
    "reservoir": ("水库", "Reservoir"),
    "small_water": ("小微水体", "Small water body"),
    "river_section": ("河段", "River section"),
    "livestock_farm": ("养殖场", "Livestock farm"),
}
WATER_KINDS: tuple[str, ...] = ("pond", "reservoir", "small_water", "river_section")

DEPUTY_LEVELS: dict[str, tuple[str, str]] = {
    "province": ("省级", "Provincial"),
    "city": ("市级", "Municipal"),
    "county": ("县级", "County"),
    "township": ("乡镇级", "Township"),
}

ROLES: tuple[str, ...] = ("leader", "analyst", "deputy", "admin")

GRID_LEVELS: dict[int, tuple[str, str]] = {
    1: ("大网格", "Large cell"),
    2: ("中网格", "Medium cell"),
    3: ("小网格", "Small cell"),
}

SITE_CLASSES: dict[int, tuple[str, str]] = {
    1: ("一类（每旬）", "Class 1 (every 10 days)"),
    2: ("二类（每两周）", "Class 2 (every 2 weeks)"),
    3: ("三类（每月）", "Class 3 (monthly)"),
}


def kind_from_label(value: str) -> str | None:
    """Accept a kind as its code or its Chinese/English label (files from the field vary)."""
    value = value.strip()
    for code, (zh, en) in SITE_KINDS.items():
        if value in (code, zh, en) or value.lower() == en.lower():
            return code
    aliases = {
        "塘": "pond",
        "池塘": "pond",
        "库": "reservoir",
        "河道": "river_section",
        "养殖场": "livestock_farm",
        "畜禽养殖场": "livestock_farm",
        "farm": "livestock_farm",
    }
    return aliases.get(value)


def level_from_label(value: str) -> str | None:
    value = value.strip()
    for code, (zh, en) in DEPUTY_LEVELS.items():
        if value in (code, zh, en, zh[:1], zh.rstrip("级")) or value.lower() == en.lower():
            return code
    return None
