"""Interface texts in zh-CN and English. ``t(lang)`` gives the dictionary for a language."""

from __future__ import annotations

LANGS = ("zh-CN", "en")

_PAIRS: dict[str, tuple[str, str]] = {
    "app.title": ("网格化调度指挥台", "Grid dispatch console"),
    "nav.overview": ("总览", "Overview"),
    "nav.dispatch": ("调度", "Dispatch"),
    "nav.planning": ("规划", "Planning"),
    "nav.supervision": ("督导", "Supervision"),
    "counter.open": ("未办结", "Open"),
    "counter.overdue": ("超期", "Overdue"),
    "counter.units": ("可用力量", "Units available"),
    "lang.switch": ("English", "中文"),
    "tiles": ("底图瓦片", "Base tiles"),
    "layer.water": ("水系", "Water"),
    "layer.roads": ("道路", "Roads"),
    "layer.grids": ("网格", "Grids"),
    "layer.communities": ("社区边界", "Community boundaries"),
    "layer.platforms": ("快警平台", "Rapid-response platforms"),
    "layer.units": ("力量", "Units"),
    "layer.incidents": ("未办结事件", "Open incidents"),
    "legend.grids": ("网格类型", "Grid type"),
    "legend.incidents": ("事件等级", "Incident priority"),
    "legend.units": ("力量类型", "Unit type"),
    "grid_type.residential": ("居民区网格", "Residential"),
    "grid_type.school": ("学校", "School"),
    "grid_type.market": ("市场", "Market"),
    "grid_type.enterprise": ("企业", "Enterprise"),
    "grid_type.hospital": ("医院", "Hospital"),
    "grid_type.other": ("其他特定网格", "Other special"),
    "zone.key": ("重点部位 (1分钟)", "Key location (1 min)"),
    "zone.central": ("中心城区 (3分钟)", "Central city (3 min)"),
    "zone.other": ("其他城区 (5分钟)", "Other urban (5 min)"),
    "priority.red": ("红色·紧急", "Red · urgent"),
    "priority.yellow": ("黄色·复杂", "Yellow · complex"),
    "priority.blue": ("蓝色·一般", "Blue · ordinary"),
    "unit_type.patrol_car": ("巡逻车", "Patrol car"),
    "unit_type.foot_patrol": ("步巡", "Foot patrol"),
    "unit_type.grid_worker": ("网格员", "Grid worker"),
    "unit_type.volunteer_team": ("志愿队", "Volunteer team"),
    "unit_type.fire_engine": ("消防车", "Fire engine"),
    "unit_type.ambulance": ("救护车", "Ambulance"),
    "unit_type.department_crew": ("部门抢修队", "Department crew"),
    "status.reported": ("已上报", "Reported"),
    "status.dispatched": ("已分拨", "Dispatched"),
    "status.accepted": ("已受理", "Accepted"),
    "status.on_scene": ("已到场", "On scene"),
    "status.resolved": ("已处置", "Resolved"),
    "status.closed": ("已办结", "Closed"),
    "card.hint": ("点击地图上的网格查看网格信息。", "Click a grid on the map to see its card."),
    "card.code": ("网格编码", "Grid code"),
    "card.type": ("类型", "Type"),
    "card.zone": ("响应目标", "Response target"),
    "card.area": ("所属", "Belongs to"),
    "card.worker": ("网格员", "Grid worker"),
    "card.leader": ("网格长", "Grid leader"),
    "card.households": ("户数", "Households"),
    "card.population": ("人口", "Population"),
    "card.size": ("面积", "Area"),
    "card.open": ("未办结事件", "Open incidents"),
    "card.year": ("近一年事件", "Incidents, last 365 days"),
    "card.none_open": ("暂无未办结事件", "No open incidents"),
    "page.overview": (
        "全域一张图：网格、快警平台、力量与未办结事件。",
        "The whole jurisdiction on one map: grids, platforms, units and open incidents.",
    ),
    "page.dispatch": (
        "调度工作台（接警、推荐最近力量、一键派警）尚在建设中，目前仅提供地图。",
        "The dispatch desk (intake, nearest-unit recommendations, one-click dispatch) is "
        "not built yet; for now this page shows the map only.",
    ),
    "page.planning": (
        "网格边界编辑与快警平台覆盖分析尚在建设中，目前仅提供地图。",
        "Boundary editing and platform coverage are not built yet; for now this page shows "
        "the map only.",
    ),
    "page.supervision": (
        "热力图、考核指标与报表尚在建设中，目前仅提供地图。",
        "Heatmaps, KPIs and reports are not built yet; for now this page shows the map only.",
    ),
    "demo.synthetic": ("演示数据均为合成数据", "Demo data is synthetic"),
    "error.generic": ("操作失败，请稍后重试。", "Something went wrong; please try again."),
}

_DICTS = {lang: {k: v[i] for k, v in _PAIRS.items()} for i, lang in enumerate(LANGS)}


def normalise(lang: str | None, default: str = "zh-CN") -> str:
    """A supported language code (unknown values fall back to ``default``)."""
    if lang in _DICTS:
        return str(lang)
    if lang and lang.lower().startswith("en"):
        return "en"
    if lang and lang.lower().startswith("zh"):
        return "zh-CN"
    return default


def t(lang: str) -> dict[str, str]:
    """All texts of ``lang``."""
    return _DICTS[normalise(lang)]
