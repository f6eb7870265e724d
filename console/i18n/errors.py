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
        "事件 {number} 当前为“{status}”，无需派遣。",
        "Case {number} is {status}: nothing to dispatch to.",
    ),
    "err.dispatch.taken": (
        "已不可用：{units}。推荐列表已刷新，请重新选择。",
        "No longer available: {units}. The list has been refreshed; choose again.",
    ),
    # ---- claiming, the on-scene report, response plans, the queue (geo.caseflow, plans, caselists)
    "err.claim.settled": (
        "事件 {number} 当前为“{status}”，无法签收。",
        "Case {number} is {status}: it cannot be claimed.",
    ),
    "err.claim.taken": ("事件 {number} 已由 {who} 签收。", "{who} has claimed case {number}."),
    "err.claim.busy": (
        "力量已在途中，事件 {number} 不能退回。",
        "Units are on their way: case {number} cannot be handed back.",
    ),
    "err.report.empty": ("现场反馈不能为空。", "The on-scene report needs some text."),
    "err.report.not_on_scene": (
        "事件 {number} 尚无力量到场，到场后再反馈。",
        "Report back on case {number} once a unit is on scene.",
    ),
    "err.report.photo": ("该照片不属于此事件。", "The photo is not one of this case."),
    "err.plan.count": ("预案中每类力量为 0 至 10 个。", "A plan asks for 0 to 10 units of a type."),
    "err.plan.empty": ("预案至少需要一个力量。", "A plan needs at least one unit."),
    "err.queue.area": ("筛选条件中的区域无效。", "Unknown area in the filter."),
    "err.queue.band": ("未知的队列分组。", "Unknown band."),
    "err.search.length": (
        "请输入 2 至 100 个字符进行查找。",
        "Type 2 to 100 characters to search.",
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
    # ---- mass tasks (geo.tasks)
    "err.task.kind": ("任务类型须为以下之一：{kinds}。", "The task kind must be one of {kinds}."),
    "err.task.title": (
        "请填写任务名称（1–200 个字符）。",
        "The task needs a title (1-200 characters).",
    ),
    "err.task.instructions": (
        "任务要求不能超过 4000 个字符。",
        "The instructions are longer than 4,000 characters.",
    ),
    "err.task.deadline": (
        "期限须为将来的时间（带时区）。",
        "The deadline must be in the future (with a time zone).",
    ),
    "err.task.target": (
        "每个网格的目标数须为 1–100000。",
        "The target per grid must be 1-100,000.",
    ),
    "err.task.no_area": (
        "请选择网格：在地图上画出区域，或选择行政区域。",
        "Pick the grids: draw an area or choose admin units.",
    ),
    "err.task.area": ("区域须为有效的多边形。", "The area must be a valid polygon."),
    "err.task.no_grids": (
        "所画区域或所选行政区域内没有网格。",
        "No grid lies in the area or under those admin units.",
    ),
    "err.task.too_many": ("一个任务最多包含 {max} 个网格。", "At most {max} grids in one task."),
    "err.task.cells": (
        "巡逻任务须包含 1–5000 个六边形。",
        "Give 1-5,000 hexagons for a patrol task.",
    ),
    "err.task.cell": ("有六边形不是有效的 H3 单元。", "A hexagon is not a valid H3 cell."),
    "err.task.count": ("完成数须为 0–1000000。", "The count must be 0-1,000,000."),
    "err.task.over_target": (
        "完成数不能超过本网格的目标数 {target}。",
        "The count cannot exceed the grid's target of {target}.",
    ),
    "err.task.no_grid": (
        "网格 {grid} 不在任务 {task} 中。",
        "Grid {grid} has no part in task {task}.",
    ),
    "err.task.count_down": (
        "完成数不能减少（当前为 {done}）。",
        "The count cannot go down (it is {done}).",
    ),
    "err.task.not_found": ("任务 {id} 不存在。", "Task {id} does not exist."),
    # ---- photos (geo.photos)
    "err.photo.empty": ("照片为空。", "The photo is empty."),
    "err.photo.too_large": (
        "照片过大：上限为 {limit}。",
        "The photo is too large: the limit is {limit}.",
    ),
    "err.photo.not_data_url": ("上传内容不是 data URL。", "The upload is not a data URL."),
    "err.photo.not_base64_url": (
        "上传内容不是 base64 编码的 data URL。",
        "The upload is not a base64 data URL.",
    ),
    "err.photo.bad_base64": ("上传内容不是有效的 base64 编码。", "The upload is not valid base64."),
    "err.photo.not_bytes": ("照片须为二进制数据。", "The photo must be bytes."),
    "err.photo.type": (
        "只接受 JPEG、PNG 或 WebP 格式的照片。",
        "Only JPEG, PNG or WebP photos are accepted.",
    ),
    "err.photo.not_found": ("照片 {id} 不存在。", "Photo {id} does not exist."),
    # ---- places, coordinates and positions (geo.places, geo.coords, geo.h3index, geo.avl)
    "err.places.empty": (
        "请输入坐标、网格编码或地名。",
        "Type coordinates, a grid code or a place name.",
    ),
    "err.places.too_long": (
        "搜索内容超过 {max} 个字符。",
        "The search text is longer than {max} characters.",
    ),
    "err.places.control": (
        "搜索内容含有控制字符。",
        "The search text contains control characters.",
    ),
    "err.places.not_here": ("{at} 不是本辖区内的点。", "{at} is not a point in this jurisdiction."),
    "err.coords.lengths": (
        "经度与纬度的个数不一致。",
        "Longitude and latitude arrays differ in length.",
    ),
    "err.coords.finite": ("坐标须为有限数值。", "Coordinates must be finite numbers."),
    "err.coords.not_finite": (
        "坐标须为有限数值：第 {point} 点为 {at}（共 {count} 个点有误）。",
        "Coordinates must be finite numbers: point {point} is {at} ({count} in all).",
    ),
    "err.coords.swapped": (
        "经纬度疑似颠倒：第 {point} 点 {at} 按（纬度，经度）读取才在辖区内，请经度在前。",
        "Latitude/longitude look swapped: point {point} {at} lies in the region only when read "
        "as (latitude, longitude); give longitude first.",
    ),
    "err.coords.range": (
        "坐标须为经度 [-180, 180]、纬度 [-90, 90]：第 {point} 点为 {at}。",
        "Coordinates must be longitude in [-180, 180] and latitude in [-90, 90]: "
        "point {point} is {at}.",
    ),
    "err.coords.outside": (
        "坐标超出辖区：第 {point} 点 {at} 不在 {box} 范围内。",
        "Coordinates outside the region: point {point} {at} is not within {box}.",
    ),
    "err.avl.unit": (
        "第 {index} 条位置：力量“{unit}”不存在，本批位置均未保存。",
        "Position {index}: no unit {unit!r}; nothing of this batch was stored.",
    ),
    "err.avl.batch": (
        "每批最多 {max} 条位置（本次 {n} 条）。",
        "At most {max} positions per batch ({n} sent).",
    ),
    "err.avl.fields": (
        "每条位置都需要力量、经度、纬度和时间。",
        "Every position needs unit, lon, lat and time.",
    ),
    "err.avl.zone": (
        "位置时间须带时区（如 2026-11-23T08:00:00+08:00）。",
        "Position times need a time zone (e.g. 2026-11-23T08:00:00+08:00).",
    ),
    "err.avl.future": ("有位置时间在未来：{time}。", "A position time is in the future: {time}."),
    "err.avl.old": (
        "有位置时间早于保留的 {days} 天历史：{time}。",
        "A position time is older than the {days} days of history kept: {time}.",
    ),
    # ---- travel times, coverage and siting (geo.routing, geo.siting, geo.platforms)
    "err.routing.no_roads": (
        "没有道路数据，无法构建行车时间路网。",
        "There are no roads to build a travel-time graph from.",
    ),
    "err.routing.unreachable": (
        "该点无法到达：位于水域或覆盖范围之外。",
        "The point is not reachable: it lies in water or outside the covered area.",
    ),
    "err.routing.k": ("k 须在 1 到 100 之间。", "k must be between 1 and 100."),
    "err.routing.max_minutes": (
        "max_minutes 须在 0 到 240 之间。",
        "max_minutes must be between 0 and 240.",
    ),
    "err.routing.minutes": ("minutes 须在 0 到 120 之间。", "minutes must be between 0 and 120."),
    "err.routing.no_source": ("没有出发点位于路网上。", "No source is on the travel graph."),
    "err.routing.no_target": ("请指定事件或位置点。", "Give an incident or a point."),
    "err.routing.types": ("请选择 1 至 {k} 种力量类型。", "Choose 1 to {k} unit types."),
    "err.siting.off_network": (
        "有候选点不在路网上。",
        "A candidate site is not on the travel network.",
    ),
    "err.siting.no_solution": (
        "精确求解器未找到解：{message}",
        "The exact solver found no solution: {message}",
    ),
    "err.siting.k": ("请选择 1 至 {max} 个站点。", "Choose between 1 and {max} sites."),
    "err.siting.fixed": (
        "固定的站点多于要选出的数量。",
        "More sites are fixed than are to be chosen.",
    ),
    "err.platform.max": ("平台最多 500 个。", "At most 500 platforms."),
    "err.platform.unknown": ("未知的平台：{codes}。", "Unknown platform: {codes}."),
    "err.platform.busy": (
        "平台 {platform} 仍有 {units} 个力量，请先调走。",
        "Platform {platform} still has {units} units: move them first.",
    ),
    # ---- statistics, assessment, reports and replay (geo.analytics, kpis, reports, replay)
    "err.analytics.window_zone": ("时间段须带时区。", "The time window needs a time zone."),
    "err.analytics.window": (
        "时间段须由早到晚，且不超过 400 天。",
        "The time window must run forwards and span at most 400 days.",
    ),
    "err.analytics.filter": ("未知的筛选条件：{value}。", "Unknown filter {value!r}."),
    "err.analytics.res": (
        "六边形分辨率须为 {low}–{high}。",
        "The hexagon resolution must be {low}-{high}.",
    ),
    "err.analytics.bbox": ("地图范围无效。", "The map box is not valid."),
    "err.analytics.cells": (
        "研究区域至少需要 3 个六边形。",
        "The study area needs at least 3 cells.",
    ),
    "err.analytics.no_city": ("尚无市级边界。", "The city has no boundary."),
    "err.kpi.freq": ("趋势只能按天或按小时统计。", "The trend runs by day or by hour."),
    "err.kpi.group": ("分组须为以下之一：{groups}。", "Group by one of {groups}."),
    "err.kpi.level": ("层级须为 0（市）至 4（网格）。", "The level must be 0 (city) to 4 (grid)."),
    "err.kpi.window": (
        "时间段须带时区，且由早到晚。",
        "The time window needs a time zone and must run forwards.",
    ),
    "err.kpi.term": (
        "未知的考核项“{term}”，可用：{terms}。",
        "Unknown assessment term {term!r}: use {terms}.",
    ),
    "err.kpi.weight_nan": ("{term} 的权重不是数字。", "The weight of {term} is not a number."),
    "err.kpi.weight_range": ("{term} 的权重须为 0–1000。", "The weight of {term} must be 0-1000."),
    "err.kpi.no_weight": (
        "请至少给出一个大于 0 的考核权重。",
        "Give at least one positive assessment weight.",
    ),
    "err.kpi.assess_who": ("考核对象须为网格员或平台。", "Assess workers or platforms."),
    "err.report.period": (
        "报告周期须为以下之一：{periods}。",
        "The period must be one of {periods}.",
    ),
    "err.report.zone": ("报告时间须带时区。", "The report time needs a time zone."),
    "err.replay.zone": ("回放时段须带时区。", "The replay window needs times with a time zone."),
    "err.replay.order": ("回放时段的结束早于开始。", "The replay window ends before it starts."),
    "err.replay.too_long": ("每次最多回放 24 小时。", "Replay at most 24 hours at a time."),
    # ---- map layers, OGC API Features and Open311 (geo.maplayers, geo.ogc, geo.open311)
    "err.maplayer.not_found": ("没有名为“{name}”的地图图层。", "No map layer named {name!r}."),
    "err.maplayer.bad_view": (
        "地图范围无效：应为“西,南,东,北”经纬度和 0–22 级缩放。",
        "The map view is not a valid west,south,east,north box and zoom.",
    ),
    "err.ogc.no_collection": ("没有名为“{name}”的要素集。", "No collection named {name!r}."),
    "err.ogc.no_feature": ("要素集“{name}”中没有要素“{fid}”。", "No feature {fid!r} in {name!r}."),
    "err.ogc.bbox": (
        "bbox 须为四个数：最小经度,最小纬度,最大经度,最大纬度。",
        "bbox takes four numbers: minlon,minlat,maxlon,maxlat.",
    ),
    "err.ogc.bbox_finite": ("bbox 中的数须为有限数值。", "bbox numbers must be finite."),
    "err.ogc.bbox_range": (
        "bbox 超出范围（经度 -180..180，纬度 -90..90）。",
        "bbox is out of range (longitudes -180..180, latitudes -90..90).",
    ),
    "err.ogc.bbox_antimeridian": (
        "不支持跨越 180° 经线的 bbox。",
        "bbox crossing the antimeridian is not supported.",
    ),
    "err.ogc.datetime_format": (
        "datetime“{text}”不符合 RFC 3339 格式。",
        "datetime {text!r} is not RFC 3339.",
    ),
    "err.ogc.datetime_zone": (
        "datetime“{text}”须带时区（Z 或 +08:00）。",
        "datetime {text!r} needs a time zone (Z or +08:00).",
    ),
    "err.ogc.datetime_empty": (
        "datetime 须为一个时刻或一个时间段。",
        "datetime needs an instant or an interval.",
    ),
    "err.ogc.interval_open": (
        "datetime 时间段至少需要一端。",
        "datetime interval needs at least one end.",
    ),
    "err.ogc.interval_order": (
        "datetime 时间段的结束早于开始。",
        "datetime interval ends before it starts.",
    ),
    "err.ogc.no_time": (
        "要素集“{collection}”没有时间属性，datetime 不适用。",
        "Collection {collection!r} has no time; datetime does not apply.",
    ),
    "err.ogc.limit": ("limit 须为 1..{max}。", "limit must be 1..{max}."),
    "err.ogc.offset": ("offset 不能为负数。", "offset must not be negative."),
    "err.open311.service_code": (
        "未知的 service_code：{value}。",
        "Unknown service_code {value!r}.",
    ),
    "err.open311.repeated": ("{key} 只能给出一次。", "{key} is given more than once."),
    "err.open311.not_number": ("{key} 不是数字。", "{key} is not a number."),
    "err.open311.not_finite": ("{key} 须为有限数值。", "{key} must be finite."),
    "err.open311.attribute": (
        "attribute[{attribute}] 须为以下之一：{keys}。",
        "attribute[{attribute}] must be one of {keys}.",
    ),
    "err.open311.unknown_fields": ("未知的字段：{fields}。", "Unknown field(s): {fields}."),
    "err.open311.no_service": ("缺少 service_code。", "service_code is required."),
    "err.open311.lat_long": ("lat 与 long 须同时给出。", "lat and long go together."),
    "err.open311.no_location": (
        "需要位置：lat 和 long，或 address_string。",
        "A location is required: lat and long, or address_string.",
    ),
    "err.open311.address": (
        "address_string 超过 100 个字符。",
        "address_string is longer than 100 characters.",
    ),
    "err.open311.description": (
        "description 超过 4000 个字符。",
        "description is longer than 4000 characters.",
    ),
    "err.open311.contact": ("姓名或电话号码过长。", "The name or the phone number is too long."),
    "err.open311.status": ("status 只能为 open 或 closed。", "status is open or closed."),
    "err.open311.dates": ("start_date 晚于 end_date。", "start_date is after end_date."),
    # ---- users, sessions, API tokens and the audit trail (geo.access)
    "err.access.forbidden": (
        "您的角色（{role}）无权执行此操作（{action}）。",
        "Your role ({role}) may not do that ({action}).",
    ),
    "err.session.sign_in": ("请登录。", "Please sign in."),
    "err.session.disabled": ("该账号已停用。", "This account is disabled."),
    "err.session.idle": (
        "已空闲 {minutes} 分钟，已锁定，请重新登录。",
        "Locked after {minutes} idle minutes: please sign in again.",
    ),
    "err.user.role": (
        "未知的角色“{value}”，可选：{roles}。",
        "Unknown role {value!r}; roles: {roles}.",
    ),
    "err.user.password": (
        "密码长度须为 {min}–200 个字符。",
        "A password has {min} to 200 characters.",
    ),
    "err.user.admin_unit": (
        "行政区域“{admin}”不存在（须为市、区县、街道或社区）。",
        "No admin unit {admin!r} (city, district, street or community).",
    ),
    "err.user.exists": ("用户名“{name}”已存在。", "A user named {name!r} exists already."),
    "err.user.name": (
        "用户名须为 2–40 个字符，只能包含 a-z、0-9、“_”“.”“-”。",
        "A user name is 2-40 of a-z, 0-9, '_', '.', '-'.",
    ),
    "err.user.not_found": ("用户“{name}”不存在。", "No user {name!r}."),
    "err.user.no_jurisdiction": (
        "您的辖区已不存在，请联系管理员。",
        "Your jurisdiction no longer exists; ask an administrator.",
    ),
    "err.token.scopes": (
        "令牌权限范围未知或缺失：{bad}；可用：{known}。",
        "Unknown or missing scopes {bad}; known: {known}.",
    ),
    "err.token.admin_unit": ("行政区域“{admin}”不存在。", "No admin unit {admin!r}."),
    "err.token.exists": ("名为“{name}”的令牌已存在。", "A token named {name!r} exists already."),
    "err.token.name": (
        "令牌名称须为 1–40 个字符，只能包含 a-z、0-9、“_”“.”“-”。",
        "A token name is 1-40 of a-z, 0-9, '_', '.', '-'.",
    ),
    "err.token.required": (
        "需要 API 令牌（Authorization: Bearer ...）。",
        "An API token is required (Authorization: Bearer ...).",
    ),
    "err.token.unknown": ("API 令牌无效或已吊销。", "Unknown or revoked API token."),
    "err.token.no_jurisdiction": (
        "该令牌所属辖区已不存在。",
        "This token's jurisdiction no longer exists.",
    ),
    "err.token.not_found": ("没有名为“{name}”的有效令牌。", "No live token named {name!r}."),
    "err.audit.kind": (
        "未知的类别“{value}”，可选：{kinds}。",
        "Unknown kind {value!r}; kinds: {kinds}.",
    ),
    "err.audit.filter": (
        "操作人筛选最多 100 个字符，条数须为 1–1000。",
        "The actor filter has at most 100 characters, the limit 1-1000.",
    ),
    # ---- the database (geo.db)
    "err.db.unreachable": ("无法连接数据库。", "The database cannot be reached."),
    "err.job.lost": (
        "任务已中断（其进程已结束），没有结果，请重新运行。",
        "The job was lost (its process ended); run it again.",
    ),
    "err.db.read_only": (
        "数据库暂时只读，本次未保存任何内容，请稍后重试。",
        "The database is read-only just now; nothing was saved. Try again shortly.",
    ),
    "err.db.no_postgres_user": (
        "以 root 运行，但系统中没有 postgres 用户：请安装 postgresql-15（make sysdeps）。",
        "Running as root but there is no 'postgres' system user: "
        "install postgresql-15 (make sysdeps).",
    ),
    "err.db.dir_access": (
        "postgres 用户无法进入 {path}：请把 GD_VAR_DIR 设到别处，或让该目录对所有用户可执行。",
        "The postgres user cannot enter {path}: put GD_VAR_DIR elsewhere "
        "or make the directory world-executable.",
    ),
    "err.db.no_binaries": (
        "在 {bindir} 中找不到 PostgreSQL 服务程序：请运行 make sysdeps。",
        "PostgreSQL server binaries not found in {bindir}: run 'make sysdeps'.",
    ),
    "err.db.initdb": ("数据库初始化（initdb）失败。", "initdb failed."),
    "err.db.start": ("PostgreSQL 未能启动。", "PostgreSQL did not start."),
    "err.db.not_ready": ("PostgreSQL 未能按时就绪。", "PostgreSQL did not become ready in time."),
    "err.sla.none": (
        "没有适用于等级 {priority} 的时限规则。",
        "No SLA policy for priority {priority}.",
    ),
    "err.incident.satisfaction": (
        "满意度须为 1 至 5 的整数。",
        "Satisfaction must be a whole number from 1 to 5.",
    ),
    "err.queue.filter": ("筛选中的状态或等级无效。", "Unknown status or priority in the filter."),
    "err.queue.categories": (
        "筛选中的类别过多或格式有误。",
        "Too many or malformed categories in the filter.",
    ),
    "err.retry.key": (
        "Idempotency-Key 须为 1 至 200 个字符。",
        "An Idempotency-Key is 1-200 characters.",
    ),
    "err.retry.reused": (
        "此 Idempotency-Key 已用于另一个请求。",
        "This Idempotency-Key was used before for a different request.",
    ),
}
