"""Command line: import and export files.

    python -m data.io import grids grids.gpkg --db postgresql://... [--map 编码=code ...]
    python -m data.io import platforms platforms.csv --db ... [--gcj02]
    python -m data.io import roads city.osm.pbf --db ... [--replace]
    python -m data.io export grids grids.shp --db ...
    python -m data.io export incidents incidents.csv --db ... [--since 2026-11-01] [--tz UTC]

Exit status: 0 done, 2 refused (every problem is printed), 1 database unavailable.
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import logging
import sys
from collections.abc import Callable, Sequence
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from data import io as dio
from geo.db import connect
from geo.errors import GeoError, InvalidInput

IMPORTERS: dict[str, Callable[..., dio.ImportResult]] = {
    "admin-units": dio.import_admin_units,
    "grids": dio.import_grids,
    "platforms": dio.import_platforms_csv,
    "units": dio.import_units_csv,
    "roads": dio.import_roads,
    "water": dio.import_water,
}
EXPORTERS: dict[str, Callable[..., int]] = {
    "admin-units": dio.export_admin_units,
    "grids": dio.export_grids,
    "incidents": dio.export_incidents,
}


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in this environment
        return "unknown"


def _mapping(items: Sequence[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        src, sep, dst = item.partition("=")
        if not sep or not src or not dst:
            raise argparse.ArgumentTypeError(f"--map wants SOURCE=OURS, got {item!r}")
        out[src] = dst
    return out


def _time(text: str) -> dt.datetime:
    """An ISO time; without an offset it is taken in ``--tz`` (see :func:`_zone`)."""
    return dt.datetime.fromisoformat(text)


def _aware(t: dt.datetime | None, zone: ZoneInfo) -> dt.datetime | None:
    return t if t is None or t.tzinfo else t.replace(tzinfo=zone)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise argparse.ArgumentTypeError(f"--tz {name!r} is not a known time zone") from None


def parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", required=True, help="PostgreSQL conninfo or URL")
    common.add_argument("-v", "--verbose", action="store_true", help="log progress")
    p = argparse.ArgumentParser(prog="python -m data.io", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    imp = sub.add_parser("import", parents=[common], help="import a file (one transaction)")
    imp.add_argument("entity", choices=sorted(IMPORTERS))
    imp.add_argument("file")
    imp.add_argument(
        "--map", action="append", default=[], metavar="SRC=OURS", help="rename a source column"
    )
    imp.add_argument("--layer", help="layer of a multi-layer file (GeoPackage)")
    imp.add_argument("--actor", default=f"cli:{_user()}", help="who imports")
    imp.add_argument("--replace", action="store_true", help="roads/water: replace existing rows")
    imp.add_argument("--gcj02", action="store_true", help="CSV coordinates are GCJ-02")
    exp = sub.add_parser("export", parents=[common], help="export to a file")
    exp.add_argument("entity", choices=sorted(EXPORTERS))
    exp.add_argument("file")
    exp.add_argument("--format", dest="fmt", help="geojson, gpkg, shp or csv (default: suffix)")
    exp.add_argument("--since", type=_time, help="incidents reported at or after (ISO time)")
    exp.add_argument("--until", type=_time, help="incidents reported before (ISO time)")
    exp.add_argument(
        "--tz",
        default="Asia/Shanghai",
        help="time zone of the times written (with their offset) and of --since/--until "
        "given without one (default Asia/Shanghai)",
    )
    return p


def _kwargs(args: argparse.Namespace) -> dict[str, Any]:
    kw: dict[str, Any] = {}
    if args.map:
        kw["mapping"] = _mapping(args.map)
    if args.entity in ("platforms", "units"):
        kw["gcj02"] = args.gcj02
        if args.layer:
            raise argparse.ArgumentTypeError("--layer is for vector files, not CSV")
    else:
        kw["layer"] = args.layer
    if args.entity in ("roads", "water"):
        kw["replace"] = args.replace
    return kw


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(message)s"
    )
    try:
        with connect(args.db) as conn:
            if args.command == "import":
                result = IMPORTERS[args.entity](
                    args.file, conn=conn, actor=args.actor, **_kwargs(args)
                )
                counts = ", ".join(f"{k} {v}" for k, v in result.counts.items())
                print(f"{result.file}: {result.rows} rows imported as {args.entity} ({counts})")
            else:
                zone = _zone(args.tz)
                kw: dict[str, Any] = {"fmt": args.fmt}
                if args.entity != "admin-units":
                    kw["tz"] = zone.key
                if args.entity == "incidents":
                    kw |= {"since": _aware(args.since, zone), "until": _aware(args.until, zone)}
                elif args.since or args.until:
                    raise argparse.ArgumentTypeError("--since/--until are for incidents only")
                n = EXPORTERS[args.entity](args.file, conn=conn, **kw)
                print(f"{args.file}: {n} {args.entity} exported")
    except argparse.ArgumentTypeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except GeoError as exc:
        print(exc.user_message, file=sys.stderr)
        return 2 if isinstance(exc, InvalidInput) else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
