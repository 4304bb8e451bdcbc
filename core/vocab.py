"""The domain's vocabulary: the codes of kinds, levels, roles, classes and checklist items
(plain data; the schema's CHECK constraints use the codes). Their words, in Chinese and
English, are in the catalogue (``i18n``, families ``site_kind``, ``deputy_level`` ...)."""

from __future__ import annotations

import i18n

SITE_KINDS: tuple[str, ...] = (
    "pond",
    "reservoir",
    "small_water",
    "river_section",
    "livestock_farm",
)
WATER_KINDS: tuple[str, ...] = ("pond", "reservoir", "small_water", "river_section")

DEPUTY_LEVELS: tuple[str, ...] = (
    "province",
    "city",
    "county",
    "township",
)

ROLES: tuple[str, ...] = (
    "leader",
    "analyst",
    "deputy",
    "admin",
    "township",
    # The city's people (市人大常委会): they see every county and rank them monthly.
    "city_leader",
    "city_analyst",
)

GRID_LEVELS: tuple[int, ...] = (
    1,
    2,
    3,
)

SITE_CLASSES: tuple[int, ...] = (
    1,
    2,
    3,
)


# Why a site has its class (its pollution risk); ``reassessed`` for a change decided on site.
CLASS_BASES: tuple[str, ...] = (
    "large_farm",
    "farm",
    "farm_nearby",
    "village_nearby",
    "reservoir",
    "low_risk",
    "reassessed",
)


def kind_from_label(value: str) -> str | None:
    """Accept a kind as its code or its Chinese/English label (files from the field vary)."""
    value = value.strip()
    for code in SITE_KINDS:
        zh, en = (i18n.label("site_kind", code, lang) for lang in i18n.LANGS)
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
    for code in DEPUTY_LEVELS:
        zh, en = (i18n.label("deputy_level", code, lang) for lang in i18n.LANGS)
        if value in (code, zh, en, zh[:1], zh.rstrip("级")) or value.lower() == en.lower():
            return code
    return None


# 标准化巡查描述: the standard yes/no checklist (DESIGN.md). A "yes" offers to raise a problem
# of the given category (issue [3/4]).
CHECKLIST_WATER: tuple[str, ...] = (
    "floating_litter",
    "abnormal_colour",
    "odour",
    "sewage_outfall",
    "bank_litter",
    "dead_fish",
    "illegal_fish_farming",
    "encroachment",
    "sign_missing",
)
CHECKLIST_FARM: tuple[str, ...] = (
    "manure_discharge",
    "treatment_idle",
    "odour_nuisance",
    "carcass_dumping",
    "prohibited_zone",
    "records_incomplete",
)


def checklist_for(kind: str) -> tuple[str, ...]:
    """The checklist items (codes) of a site kind; their questions are ``checklist.<item>``."""
    return CHECKLIST_FARM if kind == "livestock_farm" else CHECKLIST_WATER


# Which problem category a checklist "yes" offers to raise (keys of the two checklists above).
CHECKLIST_CATEGORY: dict[str, str] = {
    "floating_litter": "floating_litter",
    "abnormal_colour": "sewage",
    "odour": "sewage",
    "sewage_outfall": "sewage",
    "bank_litter": "bank_litter",
    "dead_fish": "dead_fish",
    "illegal_fish_farming": "illegal_farming",
    "encroachment": "encroachment",
    "sign_missing": "sign_missing",
    "manure_discharge": "manure",
    "treatment_idle": "manure",
    "odour_nuisance": "manure",
    "carcass_dumping": "carcass",
    "prohibited_zone": "prohibited_zone",
    "records_incomplete": "unlicensed",
}
