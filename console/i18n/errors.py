"""The texts of the domain's errors, by code, in zh-CN and English.

geo raises its errors with ``code=`` and parameters (``geo.errors.GeoError``); the console shows
``err.<code>`` formatted with them in the user's language (``console.i18n.error_text``). The
parameters ``status``, ``unit_status`` and ``target`` are shown by their labels.
``err.problem.<kind>`` are the texts of ``geo.boundaries.Problem`` (why a grid edit is refused),
formatted with its ``params``."""

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
    # ---- grids and boundary edits (geo.boundaries, planning, planning_history, gridcard)
    "err.grid.not_found": ("网格 {grid} 不存在。", "Grid {grid} does not exist."),
    "err.grid.not_current": ("网格 {grid} 不是现行网格。", "Grid {grid} is not a current grid."),
    "err.grid.not_current_any": ("以下不是现行网格：{grids}。", "Not a current grid: {grids}."),
    "err.grid.not_polygon": ("网格必须是多边形。", "A grid must be a polygon."),
    "err.grid.cut_line": (
        "请画一条至少有两个点的分割线。",
        "Draw the cut as a line of two or more points.",
    ),
    "err.grid.cut_miss": (
        "分割线没有把网格一分为二：请从网格一侧穿过画到另一侧。",
        "The line does not cut the grid in two: draw it from one side across to the other.",
    ),
    "err.grid.merge_count": (
        "请选择两个或以上不同的网格进行合并。",
        "Pick two or more different grids to merge.",
    ),
    "err.grid.merge_apart": (
        "这些网格没有共用边，不能合并。",
        "These grids do not share an edge, so they cannot be merged.",
    ),
    "err.planning.unknown_edit": (
        "未知的编辑类型“{value}”，应为：{kinds}。",
        "Unknown edit {value!r}: expected one of {kinds}.",
    ),
    "err.planning.need_code": ("此操作需要指定网格编码。", "This edit needs the grid's code."),
    "err.planning.merge_count": (
        "请选择两个或以上网格进行合并。",
        "Pick two or more grids to merge.",
    ),
    "err.planning.no_shape": ("请先画出形状。", "Draw the shape first."),
    "err.planning.new_needs": (
        "新建网格需要指定所属社区和名称。",
        "A new grid needs its community and a name.",
    ),
    "err.planning.grid_type": ("未知的网格类型：{value}。", "Unknown grid type {value!r}."),
    "err.planning.need_version": ("请指定要恢复的版本。", "Say which version to restore."),
    "err.planning.no_version": (
        "网格 {grid} 没有第 {version} 版。",
        "Grid {grid} has no version {version}.",
    ),
    "err.planning.codes_full": (
        "社区 {community} 已没有可用的网格编码。",
        "Community {community} has no free grid codes left.",
    ),
    "err.planning.is_current": (
        "第 {version} 版已是网格 {grid} 的当前版本。",
        "Version {version} of grid {grid} is the current one.",
    ),
    "err.planning.nothing": ("没有需要修改的内容。", "Nothing to change."),
    "err.planning.not_community": ("{community} 不是社区。", "{community} is not a community."),
    "err.planning.reason": (
        "请填写边界调整原因（1–500 个字符）。",
        "Say why the boundaries change (1-500 characters).",
    ),
    "err.planning.stale": (
        "网格 {grids} 在预览后已被他人修改并保存，请重新预览。",
        "Grid {grids} changed since the preview (someone saved first): preview again.",
    ),
    "err.planning.problems": (
        "修改未通过拓扑检查（{n} 个问题），请重新预览查看。",
        "The change fails {n} topology check(s): preview it again to see them.",
    ),
    "err.planning.edit_object": ("编辑请求的格式无效。", "The edit is not an object."),
    "err.planning.geojson": (
        "所画形状不是有效的 GeoJSON。",
        "The drawn shape is not valid GeoJSON.",
    ),
    "err.planning.shape_points": (
        "所画形状的点过多，或含有非有限坐标。",
        "The drawn shape has too many or non-finite points.",
    ),
    "err.planning.shape_invalid": (
        "所画形状无效（{reason}），请重画。",
        "The drawn shape is not valid ({reason}); redraw it.",
    ),
    "err.planning.codes_list": (
        "网格编码须为字符串列表。",
        "Grid codes must be a list of strings.",
    ),
    "err.planning.version_int": ("版本号须为整数。", "The version must be a whole number."),
    "err.planning.no_community": (
        "该形状不在任何社区内。",
        "The shape is not inside any community.",
    ),
    "err.planning.history_what": ("请指定网格或社区。", "Give a grid or a community."),
    # ---- boundary imports (geo.planning_import)
    "err.import.count": ("文件须包含 1 至 5000 个网格。", "The file must hold 1 to 5,000 grids."),
    "err.import.twice": (
        "网格 {grid} 在文件中出现了两次。",
        "Grid {grid} appears twice in the file.",
    ),
    "err.import.no_polygon": ("网格 {grid} 没有多边形。", "Grid {grid} has no polygon."),
    "err.import.not_community": (
        "以下编码不是社区：{communities}。",
        "Not a community: {communities}.",
    ),
    "err.import.code": ("网格编码“{grid}”不是 15 位数字。", "Grid code {grid!r} is not 15 digits."),
    "err.import.grid_type": (
        "网格 {grid}：未知的网格类型“{value}”。",
        "Grid {grid}: unknown type {value!r}.",
    ),
    "err.import.zone": (
        "网格 {grid}：未知的响应区域类别“{value}”。",
        "Grid {grid}: unknown zone class {value!r}.",
    ),
    "err.import.name": (
        "网格 {grid}：名称须为 1–100 个字符。",
        "Grid {grid}: the name must be 1-100 characters.",
    ),
    "err.import.whole": (
        "网格 {grid}：{field} 须为不小于 0 的整数。",
        "Grid {grid}: {field} must be a whole number of 0 or more.",
    ),
    "err.import.text": (
        "网格 {grid}：{field} 须为不超过 100 个字符的文本。",
        "Grid {grid}: {field} must be text of up to 100 characters.",
    ),
    "err.import.stale": (
        "这些社区的网格在预览后已被修改，请重新预览。",
        "Grids of these communities changed since the preview: preview again.",
    ),
    "err.import.nothing": ("文件没有带来任何改动。", "The file changes nothing."),
    # ---- why a grid edit is refused (geo.boundaries.Problem, by kind)
    "err.problem.invalid": (
        "网格 {grid} 不是有效的多边形（如边线交叉），请修正。",
        "Grid {grid} is not a valid polygon (for example, its edges cross).",
    ),
    "err.problem.not_polygon": ("网格 {grid} 不是多边形。", "Grid {grid} is not a polygon."),
    "err.problem.outside": (
        "网格 {grid} 超出所属社区 {area} 平方米。",
        "Grid {grid} reaches {area} m² outside its community.",
    ),
    "err.problem.too_small": (
        "网格 {grid}（或其中一块）面积 {area} 平方米，小于下限 {min} 平方米。",
        "Grid {grid} (or a piece of it) is {area} m², less than the minimum {min} m².",
    ),
    "err.problem.sliver": (
        "网格 {grid} 有宽度不足 {width} 米的狭长部分。",
        "Grid {grid} has a sliver narrower than {width} m.",
    ),
    "err.problem.overlap": (
        "网格 {a} 与 {b} 重叠 {area} 平方米。",
        "Grids {a} and {b} overlap by {area} m².",
    ),
    "err.problem.gap": (
        "修改后留下 {area} 平方米没有网格覆盖的空隙。",
        "The edit leaves a gap of {area} m² that no grid covers.",
    ),
}
