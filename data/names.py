"""Chinese name pools for the synthetic county (invented, plausible for a Zhejiang hill county).

Kept apart from the generator so the pools can grow without touching geometry code.
Every pool is a tuple, so sampling from it with a seeded generator is deterministic.
"""

from __future__ import annotations

import numpy as np

SUBDISTRICT_NAMES: tuple[str, ...] = (
    "清溪街道",
    "凤林街道",
    "文昌街道",
    "定阳街道",
    "锦川街道",
    "城南街道",
)
TOWN_NAMES: tuple[str, ...] = (
    "石门镇",
    "桐岭镇",
    "双溪镇",
    "龙潭镇",
    "柳塘镇",
    "梅源镇",
    "黄坞镇",
    "松坪镇",
    "白沙镇",
    "青岩镇",
    "古田镇",
    "横山镇",
)
TOWNSHIP_NAMES: tuple[str, ...] = (
    "杉坑乡",
    "竹溪乡",
    "云岭乡",
    "枫坪乡",
    "茶山乡",
    "岭头乡",
    "樟源乡",
    "西坞乡",
    "高峰乡",
    "桃源乡",
)
RIVER_NAMES: tuple[str, ...] = (
    "清江",
    "龙溪",
    "桐溪",
    "凤溪",
    "梅溪",
    "石溪",
    "金溪",
    "东港",
    "西溪",
    "双港",
)

_VILLAGE_HEADS: tuple[str, ...] = (
    "上",
    "下",
    "前",
    "后",
    "东",
    "西",
    "南",
    "北",
    "大",
    "小",
    "新",
    "高",
    "黄",
    "石",
    "李",
    "张",
    "王",
    "徐",
    "毛",
    "汪",
    "周",
    "吴",
    "柏",
    "枫",
    "桐",
    "竹",
    "梅",
    "松",
    "杉",
    "茶",
    "桃",
    "溪",
    "泉",
    "青",
    "白",
    "龙",
    "凤",
    "金",
    "银",
    "和",
    "乐",
    "安",
)
_VILLAGE_TAILS: tuple[str, ...] = (
    "塘",
    "坞",
    "岭",
    "坑",
    "源",
    "畈",
    "口",
    "山",
    "田",
    "湾",
    "桥",
    "溪",
    "头",
    "垄",
    "坪",
    "家",
    "村",
    "庄",
    "岗",
    "埠",
)

SURNAMES: tuple[str, ...] = (
    "王",
    "李",
    "张",
    "刘",
    "陈",
    "杨",
    "黄",
    "赵",
    "吴",
    "周",
    "徐",
    "孙",
    "马",
    "朱",
    "胡",
    "郭",
    "何",
    "高",
    "林",
    "罗",
    "郑",
    "梁",
    "谢",
    "宋",
    "唐",
    "许",
    "韩",
    "冯",
    "邓",
    "曹",
    "彭",
    "曾",
    "肖",
    "田",
    "董",
    "袁",
    "潘",
    "蒋",
    "蔡",
    "余",
    "杜",
    "叶",
    "程",
    "苏",
    "魏",
    "吕",
    "丁",
    "沈",
    "姚",
    "卢",
    "姜",
    "钟",
    "汪",
    "范",
    "金",
    "方",
    "毛",
    "龚",
    "樊",
    "邵",
    "鲁",
    "祝",
    "童",
    "严",
    "应",
    "傅",
)
GIVEN_CHARS: tuple[str, ...] = (
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀",
    "霞",
    "平",
    "刚",
    "桂",
    "英",
    "华",
    "建",
    "国",
    "志",
    "红",
    "文",
    "斌",
    "海",
    "燕",
    "林",
    "鹏",
    "辉",
    "玲",
    "春",
    "晓",
    "宇",
    "浩",
    "婷",
    "雪",
    "琳",
    "鑫",
    "峰",
    "俊",
    "立",
    "新",
    "忠",
    "荣",
    "梅",
    "兰",
    "清",
    "德",
    "振",
    "永",
)
PHONE_PREFIXES: tuple[str, ...] = (
    "130",
    "131",
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "157",
    "158",
    "159",
    "177",
    "180",
    "181",
    "186",
    "187",
    "188",
    "189",
    "199",
)
FARM_KINDS: tuple[str, ...] = ("生猪养殖场", "养牛场", "家禽养殖场", "养羊场", "畜禽养殖场")


def village_names(n: int, rng: np.random.Generator) -> list[str]:
    """Return n distinct two-character village stems (e.g. '上塘'), chosen without replacement."""
    combos = [h + t for h in _VILLAGE_HEADS for t in _VILLAGE_TAILS if h != t]
    if n > len(combos):
        raise ValueError(f"only {len(combos)} village names available")
    idx = rng.choice(len(combos), size=n, replace=False)
    return [combos[i] for i in idx]


def person_names(n: int, rng: np.random.Generator) -> list[str]:
    """Return n distinct person names: surname plus one or two given-name characters."""
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < n:
        sur = SURNAMES[rng.integers(len(SURNAMES))]
        size = 2 if rng.random() < 0.7 else 1
        given = "".join(GIVEN_CHARS[i] for i in rng.integers(len(GIVEN_CHARS), size=size))
        name = sur + given
        if name not in seen:
            seen.add(name)
            names.append(name)
    return names


def phone_numbers(n: int, rng: np.random.Generator) -> list[str]:
    """Return n distinct 11-digit mobile numbers with real-looking carrier prefixes."""
    phones: list[str] = []
    seen: set[str] = set()
    while len(phones) < n:
        prefix = PHONE_PREFIXES[rng.integers(len(PHONE_PREFIXES))]
        phone = prefix + "".join(str(d) for d in rng.integers(0, 10, size=8))
        if phone not in seen:
            seen.add(phone)
            phones.append(phone)
    return phones
