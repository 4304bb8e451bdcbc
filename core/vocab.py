"""The domain's vocabulary: the codes of kinds, levels, roles, classes and checklist items
with their Chinese and English labels (plain data; the schema's CHECK constraints use the codes)."""

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


# 标准化巡查描述: the standard yes/no checklist (DESIGN.md). A "yes" offers to raise a problem
# of the given category (issue [3/4]).
CHECKLIST_WATER: dict[str, tuple[str, str]] = {
    "floating_litter": ("水面漂浮物/垃圾", "Floating litter"),
    "abnormal_colour": ("水色异常（黑、绿、浑浊）", "Abnormal water colour"),
    "odour": ("异味", "Odour"),
    "sewage_outfall": ("排污口或污水直排", "Outfall or sewage discharge"),
    "bank_litter": ("岸边垃圾堆放", "Litter on the bank"),
    "dead_fish": ("死鱼", "Dead fish"),
    "illegal_fish_farming": ("投肥养鱼等违规养殖", "Illegal fish farming (fertilising)"),
    "encroachment": ("侵占水域或违章建筑", "Encroachment or illegal building"),
    "sign_missing": ("公示牌缺失或损坏", "Notice board missing or damaged"),
}
CHECKLIST_FARM: dict[str, tuple[str, str]] = {
    "manure_discharge": ("粪污直排", "Manure discharged directly"),
    "treatment_idle": ("粪污处理设施未运行", "Manure treatment not running"),
    "odour_nuisance": ("异味扰民", "Odour nuisance"),
    "carcass_dumping": ("病死畜禽随意丢弃", "Dead livestock dumped"),
    "prohibited_zone": ("位于禁养区", "In a no-farming zone"),
    "records_incomplete": ("台账不全", "Records incomplete"),
}


def checklist_for(kind: str) -> dict[str, tuple[str, str]]:
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
