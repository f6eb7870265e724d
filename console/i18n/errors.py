"""The texts of the domain's errors, by code, in zh-CN and English.

geo raises its errors with ``code=`` and parameters (``geo.errors.GeoError``); the console shows
``err.<code>`` formatted with them in the user's language (``console.i18n.error_text``). The
parameters ``status``, ``unit_status`` and ``target`` are shown by their labels."""

from __future__ import annotations

ERROR_PAIRS: dict[str, tuple[str, str]] = {
    "err.db_away": (
        "数据库暂时无法连接，正在重连。",
        "The database cannot be reached; reconnecting.",
    ),
    "err.unknown_value": ("无效的取值：{value}。", "Unknown value: {value}."),
    "err.incident.transition": (
        "事件当前为“{status}”，不能改为“{target}”。",
        "A case that is {status} cannot become {target}.",
    ),
    "err.incident.not_found": ("事件 {id} 不存在。", "Case {id} does not exist."),
    "err.incident.need_note": (
        "办结需要填写处置说明。",
        "Resolving a case needs a resolution note.",
    ),
    "err.incident.note_long": ("说明过长。", "The note is too long."),
    "err.incident.feedback_open": (
        "只有已关闭的事件才能评价。",
        "Feedback is taken on closed cases only.",
    ),
    "err.incident.closed": ("事件 {number} 已关闭。", "Case {number} is closed."),
    "err.incident.top_level": (
        "事件 {number} 已在区级职能部门。",
        "Case {number} is already with the district departments.",
    ),
    "err.incident.closed_link": (
        "事件 {number} 已关闭，请新建事件。",
        "Case {number} is closed: open a new case instead.",
    ),
    "err.intake.too_long": (
        "描述、报告人姓名或电话过长。",
        "Description, reporter name or phone is too long.",
    ),
    "err.intake.no_grid": (
        "该位置不在本辖区的任何网格内。",
        "The point is not inside any grid of this jurisdiction.",
    ),
    "err.intake.grid_far": (
        "网格 {grid} 不在该点 {m} 米范围内。",
        "Grid {grid} is not within {m} m of the point.",
    ),
    "err.intake.address": ("地址超过 400 个字符。", "The address is longer than 400 characters."),
    "err.intake.email": ("电子邮箱地址无效。", "The e-mail address is not valid."),
    "err.intake.media_url": (
        "图片链接须为 http(s) 地址，最长 1000 个字符。",
        "The media URL must be an http(s) address of at most 1000 characters.",
    ),
    "err.intake.no_city": (
        "尚未载入辖区，无法上报。",
        "No jurisdiction is loaded yet: nothing can be reported.",
    ),
    "err.intake.no_place": (
        "找不到与地址“{address}”匹配的地点。",
        "No place matches the address {address!r}.",
    ),
    "err.unit.transition": (
        "力量当前为“{unit_status}”，不能改为“{target}”。",
        "A unit that is {unit_status} cannot become {target}.",
    ),
    "err.unit.not_found": ("请求中的力量不存在。", "A unit in the request does not exist."),
    "err.dispatch.count": ("每次派遣 1 至 20 个力量。", "Dispatch 1 to 20 units at a time."),
    "err.dispatch.settled": (
        "事件 {number} 已{status}，无需派遣。",
        "Case {number} is {status}: nothing to dispatch to.",
    ),
    "err.dispatch.taken": (
        "已不可用：{units}。推荐列表已刷新，请重新选择。",
        "No longer available: {units}. The list has been refreshed; choose again.",
    ),
}
