"""Synthetic Chinese place and person names for the demo city (deterministic, from a seed)."""

from __future__ import annotations

import numpy as np

# Zhuzhou's real district names and codes; everything below district level is synthetic.
CITY = ("430200", "株洲市")
DISTRICTS_WEST = [("430211", "天元区")]
DISTRICTS_EAST = [  # north to south
    ("430204", "石峰区"),
    ("430202", "荷塘区"),
    ("430203", "芦淞区"),
    ("430212", "渌口区"),
]

_STREET_WORDS = (
    "建设 人民 红旗 响石 清水 栗雨 嵩山 泰山 月塘 桂花 宋家 金山 明照 茨菇 新华 建宁 "
    "贺家 枫溪 庆云 白关 龙泉 井龙 田心 铜塘 清石 学林 湘江 白石 仙庾 荷花 车站 南湖 "
    "云田 雷打 群丰 马家 河西 东门 北站 滨江 龙头 五里 长江 黄河 珠江 钟鼓 荷叶 霞湾"
).split()
_COMMUNITY_WORDS = (
    "和平 幸福 安居 紫荆 桃源 杉木 金盆 兴隆 振兴 长青 绿洲 春晖 翠竹 香樟 明珠 光明 "
    "丽景 天鹅 凤凰 映山 锦绣 星光 红星 东方 朝阳 阳光 龙门 晨曦 民主 团结 友谊 新村 "
    "清华 湘园 荷韵 芙蓉 樱花 梅园 兰亭 竹园 松柏 银杏 梧桐 石榴 栀子 茉莉 海棠 丁香"
).split()
_SURNAMES = (
    "王 李 张 刘 陈 杨 黄 赵 周 吴 徐 孙 朱 马 胡 郭 林 何 高 罗 郑 梁 谢 宋 唐 许 邓 冯 韩 曹"
).split()
_GIVEN = (
    "伟 芳 娜 敏 静 丽 强 磊 军 洋 勇 艳 杰 娟 涛 明 超 秀 霞 平 刚 桂 英 华 玲 红 建 文 辉 斌"
).split()
SPECIAL_NAMES = {
    "school": ["第一小学", "实验中学", "育才小学", "职业技术学院", "外国语学校", "第二中学"],
    "market": ["农贸市场", "商贸城", "服饰城", "建材市场", "批发市场"],
    "enterprise": ["机车厂", "冶炼厂", "化工园", "电子厂", "物流园", "硬质合金厂"],
    "hospital": ["中心医院", "中医院", "妇幼保健院", "人民医院"],
}


def unique_names(rng: np.random.Generator, n: int, words: list[str], suffix: str) -> list[str]:
    """``n`` distinct names: ``word + suffix`` first, then two-word blends, then numbered."""
    order = [str(w) for w in rng.permutation(words)]
    blends = [a + b[0] for a in order for b in order if a != b]
    blends = [blends[i] for i in rng.permutation(len(blends))]
    names = list(dict.fromkeys(w + suffix for w in order + blends))
    k = 1
    while len(names) < n:
        names.append(f"{order[k % len(order)]}{k}{suffix}")
        k += 1
    return names[:n]


def street_names(rng: np.random.Generator, n: int) -> list[str]:
    return unique_names(rng, n, _STREET_WORDS, "街道")


def community_names(rng: np.random.Generator, n: int) -> list[str]:
    return unique_names(rng, n, _COMMUNITY_WORDS, "社区")


def person_names(rng: np.random.Generator, n: int) -> list[str]:
    s = rng.choice(_SURNAMES, n)
    g1 = rng.choice(_GIVEN, n)
    g2 = rng.choice(_GIVEN + [""] * 10, n)
    return [a + b + c for a, b, c in zip(s, g1, g2, strict=True)]


def phones(rng: np.random.Generator, n: int) -> list[str]:
    prefix = rng.choice(["138", "139", "150", "151", "177", "186", "187", "199"], n)
    rest = rng.integers(0, 10**8, n)
    return [f"{p}{r:08d}" for p, r in zip(prefix, rest, strict=True)]
