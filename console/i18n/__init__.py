"""Interface texts in zh-CN and English. ``t(lang)`` gives the dictionary for a language."""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from console.i18n.errors import ERROR_PAIRS

LANGS = ("zh-CN", "en")

_PAIRS: dict[str, tuple[str, str]] = {
    "app.title": ("网格化调度指挥台", "Grid dispatch console"),
    "nav.overview": ("总览", "Overview"),
    "nav.dispatch": ("调度", "Dispatch"),
    "nav.planning": ("规划", "Planning"),
    "nav.supervision": ("督导", "Supervision"),
    "nav.tasks": ("任务", "Tasks"),
    "nav.wall": ("大屏", "Big screen"),
    "nav.replay": ("回放", "Replay"),
    "page.replay": (
        "事后复盘：选择时段并载入，用时间滑块回放事件、力量位置与状态。",
        "After-action review: pick a window, load it, and play cases, unit positions and "
        "statuses back with the time slider.",
    ),
    "replay.from": ("开始", "From"),
    "replay.to": ("结束", "To"),
    "replay.load": ("载入", "Load"),
    "replay.play": ("▶ 播放", "▶ Play"),
    "replay.pause": ("⏸ 暂停", "⏸ Pause"),
    "replay.loaded": (
        "{cases} 起事件，{units} 个力量（{moving} 个有轨迹），每 {step} 秒一点。",
        "{cases} cases, {units} units ({moving} with tracks), one fix per {step} s.",
    ),
    "plan.tab.boundaries": ("网格边界", "Boundaries"),
    "plan.tab.coverage": ("覆盖与选址", "Coverage"),
    "plan.edit": ("编辑形状", "Edit shape"),
    "plan.split": ("拆分", "Split"),
    "plan.merge": ("合并", "Merge"),
    "plan.new": ("新建网格", "New grid"),
    "plan.cancel": ("取消", "Cancel"),
    "plan.follow": (
        "相邻网格随之调整（共用边一起移动）",
        "Neighbours follow (a shared edge moves for both)",
    ),
    "plan.new_name": ("新网格名称", "Name of the new grid"),
    "plan.new_default": ("新网格", "New grid"),
    "plan.preview": ("预览影响", "Preview"),
    "plan.reason": ("调整原因（必填）", "Reason for the change (required)"),
    "plan.save": ("保存为新版本", "Save as a new version"),
    "plan.history": ("版本历史", "Version history"),
    "plan.history_hint": ("点选网格查看其版本。", "Pick a grid to see its versions."),
    "plan.pick_first": ("请先在地图上点选一个网格。", "Pick a grid on the map first."),
    "plan.hint.edit": (
        "拖动顶点修改边界，然后点“预览影响”。",
        "Drag its vertices, then press Preview.",
    ),
    "plan.hint.split": (
        "画一条穿过网格的线，双击结束。",
        "Draw a line across the grid; double-click ends it.",
    ),
    "plan.hint.merge": (
        "再点选要并入的相邻网格，然后点“预览影响”。",
        "Click the adjacent grids to join, then press Preview.",
    ),
    "plan.hint.new": ("在社区内画出新网格。", "Draw the new grid inside its community."),
    "plan.mode.none": ("未在编辑。", "Not editing."),
    "plan.mode.edit": ("编辑 {code} 的形状", "Editing the shape of {code}"),
    "plan.mode.split": ("拆分 {code}", "Splitting {code}"),
    "plan.mode.new": ("绘制新网格", "Drawing a new grid"),
    "plan.mode.merge": ("合并：{codes}", "Merging: {codes}"),
    "plan.checks_ok": ("拓扑检查通过。", "Every check passed."),
    "plan.nothing": ("没有待保存的修改：请先预览。", "Nothing to save: preview first."),
    "plan.saved": (
        "已保存变更 #{id}：{codes}；{rehomed} 起未结事件改属新网格。",
        "Saved change #{id}: {codes}; {rehomed} open case(s) moved to another grid.",
    ),
    "plan.restore": ("恢复此版本", "Restore"),
    "plan.current": ("当前", "current"),
    "plan.initial": ("初始导入", "initial import"),
    "plan.households": ("户", "households"),
    "plan.col.grid": ("网格", "Grid"),
    "plan.col.change": ("变化", "Change"),
    "plan.col.households": ("户数", "Households"),
    "plan.col.population": ("人口", "Population"),
    "plan.col.open": ("未结", "Open"),
    "plan.col.year": ("近一年", "Last year"),
    "plan.col.workload": ("负荷", "Load"),
    "plan.load_hint": (
        "户数 ÷ 每名网格员目标户数",
        "Households / the households one worker serves",
    ),
    "plan.suggest": ("工作量拆分建议", "Workload suggestions"),
    "plan.suggest_none": ("没有超出目标的网格。", "No grid is above its workload target."),
    "plan.use": ("采用", "Use"),
    "plan.cases_year": ("件/年", "cases/year"),
    "plan.import": ("导入边界文件…", "Import a boundary set…"),
    "plan.diff": ("与现状对比：", "Against today: "),
    "plan.diff_counts": (
        "新增 {added}，撤销 {removed}，调整 {changed}，不变 {unchanged}",
        "{added} added, {removed} removed, {changed} changed, {unchanged} unchanged",
    ),
    "plan.community_history": ("本社区的边界调整", "Boundary changes in this community"),
    "plan.no_changes": ("尚无调整。", "No changes yet."),
    "plan.kind.edit": ("编辑", "edit"),
    "plan.kind.split": ("拆分", "split"),
    "plan.kind.merge": ("合并", "merge"),
    "plan.kind.new": ("新建", "new"),
    "plan.kind.restore": ("恢复", "restore"),
    "plan.kind.import": ("导入", "import"),
    "plan.kind.suggestion": ("建议", "suggestion"),
    "plan.change.changed": ("调整", "changed"),
    "plan.change.new": ("新增", "new"),
    "plan.change.retired": ("撤销", "retired"),
    "cov.note": (
        "各平台的行车时间覆盖（重点部位 1 分钟、中心城区 3 分钟、其他 5 分钟）。拖动平台、"
        "新增或删除即刻重算；确认前不保存。",
        "Travel-time coverage from the platforms (key places 1 min, central 3 min, other "
        "5 min). Drag, add or remove platforms and it updates at once; nothing is saved "
        "until you confirm.",
    ),
    "cov.preparing": (
        "正在准备覆盖模型（路网、各单元格人口、六边形），省级规模约需十秒……",
        "Preparing the coverage model (roads, people per cell, hexagons); at province scale "
        "this takes about ten seconds...",
    ),
    "cov.failed": ("覆盖模型未能建立：{why}", "The coverage model could not be built: {why}"),
    "sup.days": ("{n} 天", "{n} days"),
    "sup.f.category": ("事件类别", "Category"),
    "sup.f.class": ("三事分类", "Class"),
    "sup.f.priority": ("等级", "Priority"),
    "sup.f.source": ("来源", "Source"),
    "sup.f.status": ("状态", "Status"),
    "sup.mode.count": ("事件数", "Counts"),
    "sup.mode.diff": ("与上一时段比较", "Change against the period before"),
    "sup.mode.hot": ("热点（Gi*）", "Hotspots (Gi*)"),
    "sup.res_auto": ("六边形大小：随缩放", "Hexagon size: follows the zoom"),
    "sup.res": ("H3 分辨率 {r}", "H3 resolution {r}"),
    "sup.summary": (
        "{n} 起事件，{cells} 个六边形（分辨率 {res}）",
        "{n} cases in {cells} hexagons (resolution {res})",
    ),
    "sup.window": ("{start} 至 {end}", "{start} to {end}"),
    "sup.hot.99": ("热点 99%", "hot 99%"),
    "sup.hot.95": ("热点 95%", "hot 95%"),
    "sup.hot.90": ("热点 90%", "hot 90%"),
    "sup.hot.-90": ("冷点 90%", "cold 90%"),
    "sup.hot.-95": ("冷点 95%", "cold 95%"),
    "sup.hot.-99": ("冷点 99%", "cold 99%"),
    "sup.k.reported": ("上报", "Reported"),
    "sup.k.closed": ("办结", "Closed"),
    "sup.k.closure": ("办结率", "Closure rate"),
    "sup.k.on_time": ("按期办结率", "On-time closure"),
    "sup.k.respond": ("响应（中位·达标）", "Response (median · in SLA)"),
    "sup.k.arrive": ("到场（中位·达标）", "Arrival (median · in SLA)"),
    "sup.k.overdue": ("超期", "Overdue"),
    "sup.k.satisfaction": ("满意度", "Satisfaction"),
    "sup.t.district": ("区县", "District"),
    "sup.t.worker": ("网格员", "Grid worker"),
    "sup.t.score": ("得分", "Score"),
    "sup.assessment": ("考核排名（前 10）", "Assessment ranking (top 10)"),
    "sup.cell": ("此六边形内 {n} 起事件", "{n} cases in this hexagon"),
    "task.new": ("新建任务", "New task"),
    "task.title": ("任务名称", "Title"),
    "task.instructions": ("任务要求", "Instructions"),
    "task.target": ("每个网格目标数 ", "Target per grid "),
    "task.minutes": ("期限（分钟） ", "Deadline in (minutes) "),
    "task.units": (
        "选择行政区域（区县/街道/社区）",
        "Pick admin units (district/street/community)",
    ),
    "task.draw_hint": (
        "或在地图上画出区域（右上角多边形/矩形工具）。",
        "Or draw areas on the map (polygon / rectangle tools, top right).",
    ),
    "task.drawn": ("已画 {n} 个区域", "{n} area(s) drawn"),
    "task.create": ("下发任务", "Send the task"),
    "task.made": ("任务 #{id} 已下发到 {n} 个网格", "Task #{id} sent to {n} grids"),
    "task.numbers": (
        "目标数须为 1–100000，期限须为 5–43200 分钟。",
        "The target must be 1-100,000 and the deadline 5-43,200 minutes.",
    ),
    "task.list": ("任务", "Tasks"),
    "task.pick": ("选择任务", "Pick a task"),
    "task.none": ("选择一个任务查看各网格完成情况。", "Pick a task to see each grid's progress."),
    "task.deadline": ("期限", "Deadline"),
    "task.progress": (
        "完成 {pct:.0f}% · {done}/{grids} 个网格完成 · {late} 个超期",
        "{pct:.0f}% done · {done}/{grids} grids complete · {late} late",
    ),
    "task.late": ("超期", "Late"),
    "task.late_list": ("超期网格（{n}）", "Late grids ({n})"),
    "task.kind.check": ("排查", "check"),
    "task.kind.patrol": ("巡逻", "patrol"),
    "sup.vs": ("较上期 {d}", "{d} vs before"),
    "sup.more": ("共 {n} 行，显示前 50", "{n} rows; the first 50 shown"),
    "sup.export": ("导出报告", "Export a report"),
    "sup.period.day": ("日点评", "Daily review"),
    "sup.period.week": ("周研判", "Weekly analysis"),
    "sup.period.month": ("月考核", "Monthly assessment"),
    "sup.by.district": ("区县", "District"),
    "sup.by.street": ("街道", "Street"),
    "sup.by.community": ("社区", "Community"),
    "sup.by.grid": ("网格", "Grid"),
    "sup.by.worker": ("网格员", "Grid worker"),
    "sup.by.platform": ("快警平台", "Platform"),
    "sup.by.unit": ("处置力量", "Unit"),
    "sup.by.department": ("部门", "Department"),
    "sup.t.respond": ("响应中位", "Response median"),
    "sup.t.arrive": ("到场达标", "Arrival in SLA"),
    "sup.hot.target": ("每个网格巡逻次数", "Patrols per grid"),
    "sup.hot.hours": ("期限（小时）", "Deadline (hours)"),
    "sup.hot.task": ("热点生成巡逻任务", "Patrol task for the hotspots"),
    "sup.hot.none": ("当前没有显著热点。", "There is no significant hotspot now."),
    "sup.hot.title": ("热点巡逻 {day}（{n} 个六边形）", "Hotspot patrol {day} ({n} hexagons)"),
    "sup.hot.instructions": (
        "热点区域加强巡逻，每次巡逻后上报。",
        "Patrol the hotspot more often and report each patrol.",
    ),
    "sup.hot.made": ("已生成任务 #{id}：{n} 个网格 →", "Task #{id} made for {n} grids →"),
    "agency.police": ("公安", "Police"),
    "agency.grid": ("网格", "Grid"),
    "agency.fire": ("消防", "Fire"),
    "agency.health": ("卫健", "Health"),
    "agency.water": ("供水", "Water"),
    "agency.power": ("供电", "Power"),
    "agency.roads": ("市政道路", "Roads"),
    "agency.sanitation": ("环卫", "Sanitation"),
    "agency.volunteer": ("志愿者", "Volunteers"),
    "cov.units": ("改为按当前可用巡逻车计算覆盖", "Coverage from the patrol cars available now"),
    "cov.all": ("人口覆盖率", "People covered"),
    "cov.zone.key": ("重点部位", "Key places"),
    "cov.zone.central": ("中心城区", "Central"),
    "cov.zone.other": ("其他城区", "Other"),
    "cov.uncovered": ("未覆盖人口：{n}", "People not reached within target: {n}"),
    "cov.add": ("新增平台", "Add platform"),
    "cov.add_hint": ("在地图上点选新平台位置。", "Click the map where the new platform goes."),
    "cov.reset": ("还原", "Reset"),
    "cov.confirm": ("确认保存", "Confirm"),
    "cov.confirmed": (
        "已保存：移动 {moved}，新增 {added}，撤销 {removed}。",
        "Saved: {moved} moved, {added} added, {removed} removed.",
    ),
    "cov.remove": ("删除", "Remove"),
    "cov.new_name": ("新平台 {n}", "New platform {n}"),
    "cov.siting": ("选址建议", "Siting"),
    "cov.propose": ("计算最优 k 个平台", "Propose k platforms"),
    "cov.take": ("采用建议", "Use the proposal"),
    "cov.proposal": (
        "从 {n} 个候选点中选 {k} 个：覆盖 {pct:.1f}% 人口（当前 {now:.1f}%），用时 {s:.1f} 秒。",
        "{k} of {n} candidates: {pct:.1f}% of people covered (now {now:.1f}%), in {s:.1f} s.",
    ),
    "wall.reported": ("今日上报", "Reported today"),
    "wall.closed": ("今日办结", "Closed today"),
    "wall.rate": ("今日办结率", "Closure rate today"),
    "wall.open": ("未办结", "Open"),
    "wall.overdue": ("超期", "Overdue"),
    "wall.units": ("可用力量", "Units available"),
    "event.create": ("新上报", "reported"),
    "event.escalate": ("升级", "escalated"),
    "event.link": ("合并", "linked"),
    "event.feedback": ("回访", "feedback"),
    "event.reopen": ("重新办理", "reopened"),
    "event.photo": ("上传照片", "photo added"),
    "event.mediation_failed": ("调解未成", "mediation failed"),
    "counter.open": ("未办结", "Open"),
    "counter.overdue": ("超期", "Overdue"),
    "counter.units": ("可用力量", "Units available"),
    "lang.switch": ("English", "中文"),
    "nav.admin": ("管理", "Admin"),
    "job.cancel": ("取消", "Cancel"),
    "map.zoom_in": ("放大地图以显示网格", "Zoom in to see the grids"),
    "db.restarted": (
        "数据库中断后已于 {at} 自动重启；请核对中断前后的操作是否已保存。",
        "The database went down and was restarted by itself at {at}; check that what you "
        "did just before and during it was saved.",
    ),
    "db.reconnecting": (
        "数据库连接中断，正在重新连接…",
        "The database is unreachable: reconnecting…",
    ),
    "login.title": ("登录", "Sign in"),
    "login.user": ("用户名", "User name"),
    "login.password": ("密码", "Password"),
    "login.code": ("动态验证码（如已开启）", "One-time code (if enabled)"),
    "login.submit": ("登录", "Sign in"),
    "login.signout": ("退出", "Sign out"),
    "page.forbidden": (
        "您的角色无权打开此页面。",
        "Your role may not open this page.",
    ),
    "admin.audit": ("审计记录", "Audit trail"),
    "admin.users": ("用户", "Users"),
    "admin.plans": ("处置预案", "Response plans"),
    "sup.flags": (
        "督办事件（超时未完成的在办事件）",
        "Flagged cases (held cases that missed a clock)",
    ),
    "sup.flags_none": ("当前没有督办事件。", "No case is flagged now."),
    "admin.plans_hint": (
        "每个类别与等级所需的力量类型和数量（0 或空 = 不需要）。修改即保存并记入审计。",
        "Unit types and counts each category and priority needs (0 or empty: none). An edit "
        "is saved at once and audited.",
    ),
    "admin.plans_saved": ("已保存 {n} 条预案。", "{n} plan(s) saved."),
    "admin.category": ("类别", "Category"),
    "admin.filter": ("筛选…", "Filter…"),
    "admin.priority": ("等级", "Priority"),
    "admin.actor": ("操作人", "Actor"),
    "admin.kind": ("类别", "Kind"),
    "admin.kind.all": ("全部", "All"),
    "admin.kind.change": ("变更", "Changes"),
    "admin.kind.incident": ("案件流转", "Case events"),
    "admin.kind.view": ("敏感信息查看", "Sensitive views"),
    "admin.kind.signin": ("登录", "Sign-ins"),
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
    "page.planning": (
        "点选网格后可编辑形状、拆分、合并或新建；每次修改先检查拓扑、预览影响，保存为新版本，可恢复。",
        "Pick a grid, then edit its shape, split, merge or draw a new one: every change is "
        "checked and previewed, saved as a new version, and can be restored.",
    ),
    "page.supervision": (
        "热力图、考核指标与报表。",
        "Heatmaps, KPIs and reports.",
    ),
    "page.tasks": (
        "格防码/吹哨报到：向网格下发任务，按网格查看完成情况。",
        "Mass tasks: send a check-list to many grids and watch each grid's progress.",
    ),
    # ---- dispatch desk
    "page.dispatch": (
        "点击地图或输入坐标/网格编码/社区名称新建事件；选择事件查看推荐力量。",
        "Click the map or type coordinates, a grid code or a community to open a case; "
        "select a case to see the recommended units.",
    ),
    "keys.help": (
        "快捷键：N 新建 · C 签收 · Shift+D 一键联动 · 1–5 勾选推荐 · D 派警 · E 上报升级 · "
        "R 处置 · Esc 取消",
        "Keys: N new · C claim · Shift+D send the plan · 1–5 pick · D dispatch · E escalate · "
        "R resolve · Esc clear",
    ),
    "queue.title": ("事件队列", "Incident queue"),
    "queue.band.new": ("待签收", "New, not claimed"),
    "queue.band.active": ("快处进行中", "Quick response under way"),
    "queue.band.other": ("其他在办", "Other open cases"),
    "queue.band.overdue": ("挂单（超期）", "Overdue (hanging)"),
    "queue.show_overdue": ("显示挂单", "Show overdue"),
    "queue.more": ("再显示 {n} 件", "Show {n} more"),
    "queue.hidden": ("另有 {n} 件未显示", "{n} more not shown"),
    "queue.counts": (
        "待签收 {new} · 快处 {active} · 其他 {other} · 挂单 {overdue}",
        "new {new} · quick {active} · other {other} · overdue {overdue}",
    ),
    "queue.mute": ("新警情提示音：开/关", "New-case sound: on/off"),
    "queue.claimed": ("签收：{who}", "claimed: {who}"),
    "queue.flag": ("督办", "Flagged"),
    "queue.alert_title": ("【新警情】", "[NEW CASE] "),
    "stage.respond": ("响应", "respond"),
    "stage.arrive": ("到场", "arrive"),
    "stage.report": ("反馈", "report"),
    "stage.close": ("办结", "close"),
    "board.title": ("力量状态", "Units"),
    "search.case": (
        "查找事件：编号、电话、网格编码或地址",
        "Find a case: number, phone, grid code or address",
    ),
    "search.no_case": ("未找到匹配的事件。", "No case matches."),
    "case.claimed_by": ("签收人", "Claimed by"),
    "case.unclaimed": ("未签收", "not claimed"),
    "case.flagged": ("督办：{reason}", "Flagged: {reason}"),
    "case.field_report": ("现场反馈", "On-scene report"),
    "case.report_hint": (
        "现场情况（到场后 10 分钟内反馈）",
        "What the units found (within 10 min of arrival)",
    ),
    "case.plan": ("处置预案", "Response plan"),
    "case.plan_eta": ("预案到达（最慢）{eta}", "Plan ETA (slowest) {eta}"),
    "case.plan_unmet": ("缺 {n} 个{type}", "{n} {type} missing"),
    "case.plan_none": ("此类别无预案。", "No plan for this category."),
    "case.plan_send": ("一键联动 (Shift+D)", "Send the plan (Shift+D)"),
    "case.plan_sent": ("预案力量已全部派出。", "The plan's units are all sent."),
    "case.others": ("其他力量", "Other units"),
    "act.claim": ("签收 (C)", "Claim (C)"),
    "act.unclaim": ("退回", "Hand back"),
    "act.report": ("提交现场反馈", "Send the on-scene report"),
    "msg.claimed": ("已签收事件 {number}。", "Case {number} claimed."),
    "msg.unclaimed": ("事件 {number} 已退回队列。", "Case {number} handed back."),
    "msg.reported": ("已记录现场反馈。", "On-scene report recorded."),
    "age.now": ("刚刚", "just now"),
    "age.min": ("{n} 分钟前", "{n} min ago"),
    "age.hour": ("{n} 小时前", "{n} h ago"),
    "age.day": ("{n} 天前", "{n} d ago"),
    "queue.empty": ("没有符合条件的未办结事件。", "No open incident matches the filter."),
    "queue.shown": ("显示 {n} 件", "{n} shown"),
    "filter.status": ("状态", "Status"),
    "filter.priority": ("等级", "Priority"),
    "filter.category": ("类别", "Category"),
    "filter.area": ("区域", "Area"),
    "search.placeholder": (
        "坐标、网格编码或社区名称，回车定位",
        "Coordinates, grid code or name, Enter",
    ),
    "search.none": ("未找到：{q}", "Nothing found for: {q}"),
    "intake.title": ("新建事件", "New incident"),
    "intake.where": ("位置", "Location"),
    "intake.grid": ("所属网格", "Grid"),
    "intake.grid_pick": (
        "位置靠近网格边界，请选择所属网格：",
        "The point is near a grid boundary: choose the grid.",
    ),
    "intake.category": ("事件类别", "Category"),
    "intake.class": ("三事分类", "Class"),
    "intake.priority": ("等级", "Priority"),
    "intake.source": ("来源", "Source"),
    "intake.reporter": ("报告人", "Reporter"),
    "intake.phone": ("电话", "Phone"),
    "intake.description": ("描述", "Description"),
    "intake.create": ("创建事件", "Create case"),
    "intake.cancel": ("取消", "Cancel"),
    "intake.duplicates": (
        "可能重复：附近同类未办结事件",
        "Possible duplicate: open case of the same category nearby",
    ),
    "intake.link": ("并入此事件", "Link to this case"),
    "intake.dup_row": (
        "{number} · {status} · {m} 米 · {min} 分钟前",
        "{number} · {status} · {m} m · {min} min ago",
    ),
    "intake.need_category": ("请选择事件类别。", "Choose a category."),
    "intake.need_point": ("请先在地图上选择位置。", "Pick a point on the map first."),
    "msg.created": ("已创建事件 {number}（网格 {grid}）。", "Case {number} created (grid {grid})."),
    "msg.linked": ("已并入事件 {number}。", "Linked to case {number}."),
    "msg.dispatched": ("已派出：{units}。", "Dispatched: {units}."),
    "msg.none_checked": ("请先勾选力量（按 1–5）。", "Check units first (keys 1–5)."),
    "msg.unit_status": ("{unit}：{status}。", "{unit}: {status}."),
    "msg.incident_status": ("事件 {number}：{status}。", "Case {number}: {status}."),
    "msg.escalated": ("事件 {number} 已上报至{level}。", "Case {number} escalated to the {level}."),
    "msg.mediation": ("已记录调解失败（第 {n} 次）。", "Failed mediation recorded ({n})."),
    "msg.feedback": ("已记录满意度 {n}。", "Satisfaction {n} recorded."),
    "msg.photo": ("照片已上传。", "Photo uploaded."),
    "class.family": ("家事", "Family matter"),
    "class.shared": ("共事", "Shared matter"),
    "class.public": ("公事", "Public matter"),
    "source.grid_worker": ("网格员上报", "Grid worker"),
    "source.hotline_12345": ("12345 热线", "12345 hotline"),
    "source.transfer_110": ("110 转警", "110 transfer"),
    "source.wechat_group": ("微信群", "WeChat group"),
    "source.walk_in": ("来访", "Walk-in"),
    "source.sensor": ("感知设备", "Sensor"),
    "source.operator": ("调度员录入", "Operator"),
    "level.grid": ("网格", "grid"),
    "level.community": ("社区", "community"),
    "level.street": ("街道", "street"),
    "level.district": ("区级部门", "district departments"),
    "unit_status.available": ("可用", "Available"),
    "unit_status.dispatched": ("已派", "Dispatched"),
    "unit_status.en_route": ("途中", "En route"),
    "unit_status.on_scene": ("到场", "On scene"),
    "unit_status.returning": ("返回", "Returning"),
    "unit_status.off_duty": ("下班", "Off duty"),
    "case.hint": ("选择队列或地图上的事件。", "Select a case in the queue or on the map."),
    "case.reported": ("上报时间", "Reported"),
    "case.grid": ("网格", "Grid"),
    "case.status": ("状态", "Status"),
    "case.level": ("处置层级", "Handled at"),
    "case.reporter": ("报告人", "Reporter"),
    "case.description": ("描述", "Description"),
    "case.linked": ("关联报告", "Linked reports"),
    "case.mediation": ("调解失败", "Failed mediations"),
    "case.sla": ("时限", "Deadlines"),
    "sla.respond_due": ("响应", "Respond"),
    "sla.arrive_due": ("到场", "Arrive"),
    "sla.report_due": ("反馈", "Report back"),
    "sla.close_due": ("办结", "Close"),
    "sla.done": ("已完成", "done"),
    "case.overdue": ("超期", "Overdue"),
    "case.recommend": ("推荐力量（按到达时间）", "Recommended units (by arrival time)"),
    "case.types": ("力量类型（多选=每类各推荐）", "Unit types (several: best of each)"),
    "case.dispatch": ("派警", "Dispatch"),
    "case.dispatch_checked": ("派出勾选力量 (D)", "Dispatch checked (D)"),
    "case.assigned": ("已派力量", "Units sent"),
    "case.none_assigned": ("尚未派出力量。", "No unit sent yet."),
    "case.no_recs": ("无推荐：{reason}", "No recommendation: {reason}"),
    "case.own_worker": ("本网格网格员", "own grid worker"),
    "case.stale": ("位置过旧", "stale position"),
    "case.eta": ("预计", "ETA"),
    "case.age": ("定位", "fix"),
    "case.released": ("已释放", "released"),
    "case.actions": ("处置", "Actions"),
    "case.note": ("处置说明（办结必填）", "Resolution note (needed to resolve)"),
    "case.photo": ("上传照片（JPEG/PNG/WebP）", "Upload a photo (JPEG/PNG/WebP)"),
    "case.photos": ("照片", "Photos"),
    "case.events": ("处置记录", "History"),
    "case.feedback": ("群众满意度", "Resident satisfaction"),
    "act.resolve": ("处置完毕 (R)", "Resolve (R)"),
    "act.close": ("核查办结", "Verify and close"),
    "act.escalate": ("上报升级 (E)", "Escalate (E)"),
    "act.mediation": ("调解失败", "Mediation failed"),
    "ustat.en_route": ("出发", "En route"),
    "ustat.on_scene": ("到场", "On scene"),
    "ustat.returning": ("返回", "Returning"),
    "ustat.available": ("可用", "Available"),
    "ustat.cancel": ("撤回", "Cancel"),
    "demo.synthetic": ("演示数据均为合成数据", "Demo data is synthetic"),
    "error.generic": ("操作失败，请稍后重试。", "Something went wrong; please try again."),
    **ERROR_PAIRS,
}

_DICTS = {lang: {k: v[i] for k, v in _PAIRS.items()} for i, lang in enumerate(LANGS)}


def normalise(lang: object, default: str = "zh-CN") -> str:
    """A supported language code (unknown values, of any type, fall back to ``default``)."""
    if not isinstance(lang, str):
        return default
    if lang in _DICTS:
        return str(lang)
    if lang and lang.lower().startswith("en"):
        return "en"
    if lang and lang.lower().startswith("zh"):
        return "zh-CN"
    return default


def t(lang: object) -> dict[str, str]:
    """All texts of ``lang``."""
    return _DICTS[normalise(lang)]


_current: contextvars.ContextVar[str | None] = contextvars.ContextVar("gd_lang", default=None)


def current() -> str | None:
    """The language the current request is answered in (None: not known, English errors)."""
    return _current.get()


@contextmanager
def speaking(lang: str | None) -> Iterator[None]:
    """Answer in ``lang`` inside the block (the sign-in middleware sets it per request)."""
    token = _current.set(normalise(lang) if lang else None)
    try:
        yield
    finally:
        _current.reset(token)


def error_text(exc: Any, lang: object) -> str:
    """A domain error's message in ``lang``: its code's text with its parameters, or the
    English message when the code has no text (or the error no code)."""
    code = getattr(exc, "code", None)
    text = t(lang).get(f"err.{code}") if code else None
    if text is None:
        return str(exc.user_message)
    tx = t(lang)
    params = dict(getattr(exc, "params", {}))
    for k in ("status", "unit_status", "target"):  # codes shown by their labels
        family = "unit_status" if k == "unit_status" or "unit_status" in params else "status"
        if isinstance(params.get(k), str):
            params[k] = tx.get(f"{family}.{params[k]}", params[k])
    try:
        return text.format(**params)
    except (KeyError, IndexError, ValueError):
        return str(exc.user_message)


def problem_text(problem: Any, lang: object) -> str:
    """Why a grid edit is refused (``geo.boundaries.Problem``), in ``lang``: the text of its
    kind with its parameters, or its English message when there is none."""
    text = t(lang).get(f"err.problem.{problem.kind}")
    try:
        return str(problem.message) if text is None else text.format(**problem.params)
    except (KeyError, IndexError, ValueError):
        return str(problem.message)
