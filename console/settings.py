"""The one settings object: environment variables with defaults and help text.

Everything configurable lives here. ``geo/``, ``layers/`` and ``data/`` never read the
environment: they receive these values as parameters. The README's settings table is
generated from this module (``python -m console settings-table``) and tested against it.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from geo.avl import KEEP_DAYS
from geo.boundaries import Rules
from geo.errors import InvalidInput
from geo.kpis import parse_weights
from geo.routing.config import DEFAULT_SPEEDS, RoutingConfig

ROOT = Path(__file__).resolve().parent.parent


class SettingsError(ValueError):
    """A setting has a value that cannot be used."""


def _setting(env: str, default: Any, help: str) -> Any:  # noqa: A002 - help text, not builtin
    return field(default=default, metadata={"env": env, "help": help})


@dataclass(frozen=True)
class Settings:
    """Runtime configuration, read once from the environment by :func:`load`."""

    database_url: str = _setting(
        "DATABASE_URL",
        "",
        "PostgreSQL + PostGIS to use. Empty: start the embedded cluster under GD_VAR_DIR.",
    )
    var_dir: Path = _setting(
        "GD_VAR_DIR", ROOT / ".var", "Working directory for the embedded cluster, logs, benchmarks."
    )
    pg_bindir: Path = _setting(
        "GD_PG_BINDIR", Path("/usr/lib/postgresql/15/bin"), "PostgreSQL server binaries."
    )
    pg_port: int = _setting("GD_PG_PORT", 5439, "Port of the embedded cluster (socket only).")
    db_name: str = _setting("GD_DB_NAME", "griddispatch", "Database name in the embedded cluster.")
    host: str = _setting("GD_HOST", "127.0.0.1", "Address the console listens on.")
    port: int = _setting("GD_PORT", 8050, "Port the console listens on.")
    workers: int = _setting(
        "GD_WORKERS",
        0,
        "uvicorn worker processes; 0: one per CPU core. Sessions, the live push and the "
        "periodic jobs (one process at a time, city-wide) work with any number.",
    )
    jobs: str = _setting(
        "GD_JOBS",
        "local",
        "Where heavy work (workload split suggestions, siting, long reports) runs as background "
        "jobs: local (processes of this machine, results in a disk cache under GD_VAR_DIR; no "
        "other server) or a redis:// URL (Celery on Redis, for consoles on several machines).",
    )
    callback_threads: int = _setting(
        "GD_CALLBACK_THREADS",
        16,
        "Threads per worker that run the pages' callbacks and the API's handlers off the event "
        "loop, so one slow request never holds up another desk or the live push.",
    )
    demo_size: str = _setting(
        "GD_DEMO_SIZE", "city", "Demo city loaded into an empty database: tiny, city, province."
    )
    demo_seed: int = _setting("GD_DEMO_SEED", 20261122, "Seed of the demo-city generator.")
    lang: str = _setting("GD_LANG", "zh-CN", "Default interface language: zh-CN or en.")
    tz: str = _setting(
        "GD_TZ",
        "Asia/Shanghai",
        "Time zone (IANA name) every time is shown in: pages, reports, the audit trail, the "
        "big screen. Files and APIs write ISO 8601 times with their offset.",
    )
    tile_url: str = _setting(
        "GD_TILE_URL",
        "",
        "XYZ base-map tiles (intranet server, Tianditu, ...). Empty: no tiles, the city's own "
        "roads and water are the base map.",
    )
    tile_attribution: str = _setting("GD_TILE_ATTRIBUTION", "", "Attribution shown for the tiles.")
    map_max_features: int = _setting(
        "GD_MAP_MAX_FEATURES",
        8000,
        "Most grids (or roads, communities, water) a map view is sent; with more in view, none, "
        "and the map asks to zoom in (a province has 30,000 grids).",
    )
    cors_origins: str = _setting(
        "GD_CORS_ORIGINS",
        "",
        "Other web origins allowed to call the API from a browser, comma-separated "
        "(https://app.example.org). Empty: none (CORS closed).",
    )
    jurisdiction_name: str = _setting(
        "GD_JURISDICTION", "株洲市 (演示)", "Jurisdiction name shown in the top bar."
    )
    routing_res: int = _setting(
        "GD_ROUTING_RES", 10, "H3 resolution of the travel-time graph (9 coarse ... 11 fine)."
    )
    routing_speeds: str = _setting(
        "GD_ROUTING_SPEEDS",
        "",
        'JSON overriding road speeds in km/h per mode and class, e.g. {"car": {"primary": 50}}.',
    )
    position_stale_s: int = _setting(
        "GD_POSITION_STALE_S", 300, "A unit position older than this is flagged and penalised."
    )
    boundary_m: int = _setting(
        "GD_BOUNDARY_M",
        30,
        "Within this many metres of a grid boundary the operator is shown both grids and picks.",
    )
    duplicate_m: int = _setting(
        "GD_DUPLICATE_M",
        200,
        "A new report this close (metres) to an open case of the same category is flagged as "
        "a possible duplicate.",
    )
    duplicate_min: int = _setting(
        "GD_DUPLICATE_MIN",
        60,
        "A new report within this many minutes of an open case of the same category (and "
        "within GD_DUPLICATE_M of it) is flagged as a possible duplicate.",
    )
    escalation_min: str = _setting(
        "GD_ESCALATION_MIN",
        "5,15,30",
        "Minutes without acceptance after which a case moves up the ladder grid -> community "
        "-> street -> district: 1-3 increasing whole numbers, comma-separated.",
    )
    escalation_every_s: int = _setting(
        "GD_ESCALATION_EVERY_S",
        30,
        "How often (seconds) each worker checks for cases to escalate; 0 turns the check off.",
    )
    positions_keep_days: int = _setting(
        "GD_POSITIONS_KEEP_DAYS",
        KEEP_DAYS,
        "Days of unit position history kept: older days are dropped whole (and audited) by the "
        "housekeeping job, and a tracker's fix older than that is refused.",
    )
    housekeeping_every_s: int = _setting(
        "GD_HOUSEKEEPING_EVERY_S",
        3600,
        "How often (seconds) the housekeeping job makes the coming days' position partitions, "
        "drops days past GD_POSITIONS_KEEP_DAYS and forgets day-old tracker retry keys; it also "
        "runs at start. 0 turns it off.",
    )
    photo_max_kb: int = _setting(
        "GD_PHOTO_MAX_KB", 5120, "Largest photo accepted (JPEG, PNG or WebP), in KB."
    )
    snap_m: int = _setting(
        "GD_SNAP_M",
        1,
        "Planning: a drawn vertex this close (metres) to a neighbour's edge snaps onto it; "
        "gaps and overlaps thinner than this are drawing noise.",
    )
    grid_min_area_m2: int = _setting(
        "GD_GRID_MIN_AREA_M2", 2000, "Planning: no grid, nor any part of one, smaller (m²)."
    )
    grid_min_width_m: int = _setting(
        "GD_GRID_MIN_WIDTH_M", 10, "Planning: no part of a grid narrower (metres): a sliver."
    )
    households_per_worker: int = _setting(
        "GD_HOUSEHOLDS_PER_WORKER",
        600,
        "Planning: households one grid worker serves (the workload target of the impact "
        "preview and of split suggestions).",
    )
    target_key_s: int = _setting(
        "GD_TARGET_KEY_S", 60, "Coverage target for key locations (重点部位), seconds."
    )
    target_central_s: int = _setting(
        "GD_TARGET_CENTRAL_S", 180, "Coverage target for the central city, seconds."
    )
    target_other_s: int = _setting(
        "GD_TARGET_OTHER_S", 300, "Coverage target for other urban areas, seconds."
    )
    assessment_weights: str = _setting(
        "GD_ASSESSMENT_WEIGHTS",
        "closure=30,on_time=30,satisfaction=20,reports=20",
        "Monthly assessment (考核): weights of closure rate, on-time closure rate, resident "
        "rating and reports filed in each worker's and platform's score.",
    )
    app_db_role: str = _setting(
        "GD_APP_DB_ROLE",
        "griddispatch_app",
        "Database role the console connects as: it owns nothing, so row-level security "
        "applies; created and granted by the migrations.",
    )
    app_db_password: str = _setting(
        "GD_APP_DB_PASSWORD",
        "",
        "Password of GD_APP_DB_ROLE (set by the migrations; not needed for the embedded "
        "cluster's socket).",
    )
    idle_lock_min: int = _setting(
        "GD_IDLE_LOCK_MIN", 30, "A console idle this many minutes is locked (sign in again)."
    )
    cookie_secure: int = _setting(
        "GD_COOKIE_SECURE",
        0,
        "1: the session cookie is sent over HTTPS only (set it behind TLS).",
    )
    pool_max: int = _setting("GD_POOL_MAX", 8, "Largest number of database connections per worker.")
    log_level: str = _setting("GD_LOG_LEVEL", "INFO", "Python logging level.")

    @property
    def embedded(self) -> bool:
        """True when the embedded cluster is used (no DATABASE_URL)."""
        return not self.database_url


_CASTS = {int: int, str: str, Path: Path, "int": int, "str": str, "Path": Path}


def load(environ: Mapping[str, str] | None = None) -> Settings:
    """Read the settings from ``environ`` (default: ``os.environ``) and validate them."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for f in fields(Settings):
        name = f.metadata["env"]
        if name in env and env[name] != "":
            cast = _CASTS[f.type if not isinstance(f.type, str) else f.type]
            try:
                values[f.name] = cast(env[name])
            except ValueError as exc:
                raise SettingsError(f"{name}={env[name]!r}: expected {f.type}") from exc
    s = Settings(**values)
    if s.demo_size not in ("tiny", "city", "province"):
        raise SettingsError(f"GD_DEMO_SIZE={s.demo_size!r}: expected tiny, city or province")
    if s.lang not in ("zh-CN", "en"):
        raise SettingsError(f"GD_LANG={s.lang!r}: expected zh-CN or en")
    try:
        ZoneInfo(s.tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise SettingsError(
            f"GD_TZ={s.tz!r}: not a known time zone; expected an IANA name such as "
            "Asia/Shanghai or UTC"
        ) from exc
    if not 7 <= s.routing_res <= 12:
        raise SettingsError("GD_ROUTING_RES must be between 7 and 12")
    routing_config(s)  # GD_ROUTING_SPEEDS must parse
    for name, value, low, high in (
        ("GD_BOUNDARY_M", s.boundary_m, 0, 1000),
        ("GD_DUPLICATE_M", s.duplicate_m, 0, 10_000),
        ("GD_DUPLICATE_MIN", s.duplicate_min, 0, 7 * 24 * 60),
        ("GD_ESCALATION_EVERY_S", s.escalation_every_s, 0, 86_400),
        ("GD_POSITIONS_KEEP_DAYS", s.positions_keep_days, 1, 3650),
        ("GD_WORKERS", s.workers, 0, 64),
        ("GD_CALLBACK_THREADS", s.callback_threads, 1, 256),
        ("GD_HOUSEKEEPING_EVERY_S", s.housekeeping_every_s, 0, 86_400),
        ("GD_PHOTO_MAX_KB", s.photo_max_kb, 1, 100 * 1024),
        ("GD_SNAP_M", s.snap_m, 0, 50),
        ("GD_GRID_MIN_AREA_M2", s.grid_min_area_m2, 0, 10_000_000),
        ("GD_GRID_MIN_WIDTH_M", s.grid_min_width_m, 0, 1000),
        ("GD_HOUSEHOLDS_PER_WORKER", s.households_per_worker, 1, 100_000),
        ("GD_TARGET_KEY_S", s.target_key_s, 10, 3600),
        ("GD_TARGET_CENTRAL_S", s.target_central_s, 10, 3600),
        ("GD_TARGET_OTHER_S", s.target_other_s, 10, 3600),
        ("GD_IDLE_LOCK_MIN", s.idle_lock_min, 1, 24 * 60),
        ("GD_COOKIE_SECURE", s.cookie_secure, 0, 1),
    ):
        if not low <= value <= high:
            raise SettingsError(f"{name}={value}: expected {low} to {high}")
    if s.jobs != "local" and not s.jobs.startswith(("redis://", "rediss://")):
        raise SettingsError(f"GD_JOBS={s.jobs!r}: expected local or a redis:// URL")
    escalation_steps_s(s)  # GD_ESCALATION_MIN must parse
    try:
        parse_weights(s.assessment_weights)
    except InvalidInput as exc:
        raise SettingsError(f"GD_ASSESSMENT_WEIGHTS: {exc.user_message}") from exc
    return s


def worker_count(s: Settings) -> int:
    """How many uvicorn workers ``GD_WORKERS`` asks for (0: one per CPU core)."""
    return s.workers or max(1, len(os.sched_getaffinity(0)))


def escalation_steps_s(s: Settings) -> tuple[int, ...]:
    """The escalation ladder's steps in seconds after the report, e.g. ``(300, 900, 1800)``.

    ``GD_ESCALATION_MIN`` is 1 to 3 strictly increasing positive whole numbers of minutes
    (one per step up from the grid); anything else is a :class:`SettingsError`.
    """
    text = s.escalation_min
    parts = [p.strip() for p in text.split(",")]
    if not 1 <= len(parts) <= 3 or not all(p.isascii() and p.isdigit() for p in parts):
        raise SettingsError(
            f"GD_ESCALATION_MIN={text!r}: expected 1 to 3 whole numbers of minutes, e.g. 5,15,30"
        )
    minutes = [int(p) for p in parts]
    if minutes[0] <= 0 or any(b <= a for a, b in zip(minutes, minutes[1:], strict=False)):
        raise SettingsError(
            f"GD_ESCALATION_MIN={text!r}: the minutes must be positive and increasing"
        )
    if minutes[-1] > 7 * 24 * 60:
        raise SettingsError(f"GD_ESCALATION_MIN={text!r}: at most a week (10080 minutes)")
    return tuple(m * 60 for m in minutes)


def routing_config(s: Settings) -> RoutingConfig:
    """The travel-time engine's configuration from the settings."""
    speeds = {mode: dict(table) for mode, table in DEFAULT_SPEEDS.items()}
    if s.routing_speeds:
        try:
            override = json.loads(s.routing_speeds)
            for mode, table in override.items():
                if mode not in speeds:
                    raise SettingsError(f"GD_ROUTING_SPEEDS: unknown mode {mode!r}")
                for cls, kmh in table.items():
                    if not isinstance(kmh, int | float) or not 0 <= kmh <= 200:
                        raise SettingsError(f"GD_ROUTING_SPEEDS: {mode}.{cls} must be 0-200 km/h")
                    speeds[mode][cls] = float(kmh)
        except (ValueError, AttributeError) as exc:
            raise SettingsError(f"GD_ROUTING_SPEEDS is not valid JSON of modes: {exc}") from exc
    return RoutingConfig(res=s.routing_res, speeds=speeds, stale_after_s=float(s.position_stale_s))


def planning_rules(s: Settings) -> Rules:
    """The boundary editor's topology rules from the settings."""
    return Rules(
        snap_m=float(s.snap_m),
        min_area_m2=float(s.grid_min_area_m2),
        min_width_m=float(s.grid_min_width_m),
        households_target=s.households_per_worker,
    )


def coverage_targets(s: Settings) -> dict[str, float]:
    """Seconds within which each zone class should be reached from a platform."""
    return {
        "key": float(s.target_key_s),
        "central": float(s.target_central_s),
        "other": float(s.target_other_s),
    }


def replace(s: Settings, **changes: Any) -> Settings:
    """A copy of ``s`` with some values changed (tests, tools)."""
    return dataclasses.replace(s, **changes)


def markdown_table() -> str:
    """The README settings table, generated from the dataclass."""
    rows = ["| variable | default | meaning |", "| --- | --- | --- |"]
    for f in fields(Settings):
        default = f.default
        if isinstance(default, Path):
            default = os.path.relpath(default, ROOT) if default.is_relative_to(ROOT) else default
        shown = f"`{default}`" if default != "" else "(empty)"
        rows.append(f"| `{f.metadata['env']}` | {shown} | {f.metadata['help']} |")
    return "\n".join(rows)
