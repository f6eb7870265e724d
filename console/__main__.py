"""Command line: ``python -m console run`` sets everything up and serves the console.

Commands
--------
run             start the embedded PostGIS (unless DATABASE_URL), migrate, load the demo city
                when the database is empty, serve on GD_HOST:GD_PORT; Ctrl-C stops both.
                --simulate: the city simulator too, once the console answers (make run).
init-db         the same set-up without serving.
stop-db         stop the embedded cluster.
demo            load a fresh demo city: demo [--size tiny|city|province] [--replace].
token           API tokens: token create NAME [--area CODE] SCOPE... | revoke NAME | list.
user            users: user add NAME ROLE [--area CODE] [--totp] (password from
                GD_NEW_PASSWORD or asked) | password NAME | list.
settings-table  print the README settings table.
report          a report to a file: report --period day|week|month --out FILE.html|.xlsx|.csv
                [--at TIME] [--lang zh-CN|en].
"""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.request

import psycopg

from console import settings as settings_mod
from console.pages import clock, report
from console.server import state
from console.server.watchdog import Watchdog
from console.settings import Settings
from geo import places
from geo.access import ROLES, tokens
from geo.access import users as auth
from geo.db import connect, migrate
from geo.errors import GeoError

log = logging.getLogger("console")


def _migrate(conn: psycopg.Connection, settings: Settings) -> list[int]:
    """Migrate, then create and grant the application role the console connects as."""
    applied = migrate(
        conn, app_role=settings.app_db_role or None, app_password=settings.app_db_password or None
    )
    conn.commit()
    return applied


def init_db(settings: Settings) -> bool:
    """Start the embedded cluster (unless DATABASE_URL), migrate, load the demo when empty.
    Returns whether this call started the cluster (only then may this process stop it)."""
    started = False
    if settings.embedded:
        cluster = state.cluster(settings)
        started = not cluster.running()
        cluster.start()
        cluster.ensure_database(settings.db_name)
    with connect(state.conninfo(settings)) as conn:
        applied = _migrate(conn, settings)
        if applied:
            print(f"applied migrations: {applied}", flush=True)
        from data.demo.load import database_is_empty

        if database_is_empty(conn):
            from data.demo import generate
            from data.demo.load import load

            print(f"loading the demo city ({settings.demo_size}, synthetic data)...", flush=True)
            t0 = time.perf_counter()
            city = generate(settings.demo_size, settings.demo_seed)
            print(f"  generated in {time.perf_counter() - t0:.1f} s", flush=True)
            load(conn, city, progress=lambda m: print("  " + m, flush=True))
        demo_users(conn, settings)
    return started


# The demo city's users: one per role at city level, and an operator of the first street.
DEMO_USERS = (
    ("admin", "admin", None),
    ("operator", "operator", None),
    ("planner", "planner", None),
    ("supervisor", "supervisor", None),
    ("worker", "grid_worker", None),
    ("street.operator", "operator", "street"),
)


def demo_users(conn: psycopg.Connection, settings: Settings) -> None:
    """When nobody can sign in yet, make the demo users with one new random password,
    printed once and kept in GD_VAR_DIR/demo-users.txt (readable by the owner only)."""
    if auth.has_users(conn=conn):
        return
    city = places.admin_codes(conn=conn, level="city")
    streets = places.admin_codes(conn=conn, level="street")
    if not city or not streets:
        return
    password = secrets.token_urlsafe(12)
    for name, role, level in DEMO_USERS:
        code = streets[0] if level == "street" else city[0]
        auth.create_user(conn=conn, username=name, password=password, role=role, admin_code=code)
    conn.commit()
    path = settings.var_dir / "demo-users.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text("".join(f"{n}\t{r}\t{password}\n" for n, r, _ in DEMO_USERS), encoding="utf-8")
    names = ", ".join(n for n, _, _ in DEMO_USERS)
    print(f"demo users ({names}), password: {password}  (kept in {path})", flush=True)


def user_command(settings: Settings, args: list[str], area: str | None, totp: bool) -> int:
    """Users: add NAME ROLE, password NAME, list."""
    with connect(state.conninfo(settings)) as conn:
        try:
            if len(args) == 3 and args[0] == "add":
                secret = auth.create_user(
                    conn=conn,
                    username=args[1],
                    password=_new_password(),
                    role=args[2],
                    admin_code=area or _city(conn),
                    with_totp=totp,
                )
                if secret:
                    print(f"TOTP secret (enter it in the authenticator app): {secret}")
            elif len(args) == 2 and args[0] == "password":
                auth.set_password(conn=conn, username=args[1], password=_new_password())
            elif args == ["list"]:
                for u in auth.listing(conn=conn):
                    print("\t".join(str(u[k]) for k in ("username", "role", "admin_code",
                                                         "totp", "disabled")))  # fmt: skip
            else:
                print("usage: user add NAME ROLE [--area CODE] [--totp] | password NAME | list; "
                      f"roles: {' '.join(ROLES)}", file=sys.stderr)  # fmt: skip
                return 2
        except GeoError as exc:
            print(f"error: {exc.user_message}", file=sys.stderr)
            return 1
        conn.commit()
    return 0


def _new_password() -> str:
    return os.environ.get("GD_NEW_PASSWORD") or getpass.getpass("new password: ")


def _city(conn: psycopg.Connection) -> str:
    city = places.admin_codes(conn=conn, level="city")
    if not city:
        raise GeoError("No city is loaded yet.")
    return city[0]


def load_demo(settings: Settings, size: str, replace: bool) -> int:
    """Generate and load a demo city into the console's database."""
    from data.demo import generate
    from data.demo.load import load

    if settings.embedded:
        state.cluster(settings).start()
        state.cluster(settings).ensure_database(settings.db_name)
    with connect(state.conninfo(settings)) as conn:
        _migrate(conn, settings)
        t0 = time.perf_counter()
        city = generate(size, settings.demo_seed)
        print(f"generated the {size} demo city in {time.perf_counter() - t0:.1f} s", flush=True)
        try:
            load(conn, city, replace=replace, progress=lambda m: print("  " + m, flush=True))
        except RuntimeError as exc:
            print(f"error: {exc} (make demo replaces it)", file=sys.stderr)
            return 2
        demo_users(conn, settings)
    return 0


def serve(settings: Settings) -> None:
    import uvicorn

    workers = settings_mod.worker_count(settings)
    print(f"griddispatch console on http://{settings.host}:{settings.port}/ "
          f"({workers} worker{'s' if workers > 1 else ''})", flush=True)  # fmt: skip
    uvicorn.run(
        "console.asgi:app",
        host=settings.host,
        port=settings.port,
        workers=workers,
        log_level=settings.log_level.lower(),
        timeout_graceful_shutdown=3,
    )


def _console_url(settings: Settings) -> str:
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host
    return f"http://{host}:{settings.port}"


def simulator(settings: Settings) -> subprocess.Popen[bytes]:
    """``python -m data.simulate`` on this console at the city's own case rate, with an
    automatic operator; in a session of its own, so that only the console stops it."""
    return subprocess.Popen(  # noqa: S603 - our own module, fixed arguments
        [sys.executable, "-m", "data.simulate", "--dispatch", "--scale", "1"]
        + ["--url", _console_url(settings), "--db", state.conninfo(settings)],
        start_new_session=True,
    )


class Simulation:
    """The simulator beside the console: started once the console answers ``/healthz``,
    stopped with it (it prints its SLA report as it goes)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.proc: subprocess.Popen[bytes] | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._start_when_up, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _start_when_up(self) -> None:
        url = _console_url(self.settings) + "/healthz"
        while not self._stop.wait(0.5):
            try:
                urllib.request.urlopen(url, timeout=2).close()
            except OSError:  # not up yet (an error status is an OSError too)
                continue
            with self._lock:
                if not self._stop.is_set():
                    print("console up: starting the city simulator (SIMULATE=0: without)",
                          flush=True)  # fmt: skip
                    self.proc = simulator(self.settings)
            return

    def stop(self) -> None:
        with self._lock:
            self._stop.set()
            proc = self.proc
        if proc is None:
            return
        proc.terminate()  # it stops its run, prints its SLA report and revokes its token
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()


def token_command(settings: Settings, args: list[str], area: str | None = None) -> int:
    """API tokens: create NAME SCOPE... (prints the secret once), revoke NAME, list."""
    with connect(state.conninfo(settings)) as conn:
        try:
            if len(args) >= 3 and args[0] == "create":
                print(tokens.create(conn=conn, name=args[1], scopes=args[2:], admin_code=area))
            elif len(args) == 2 and args[0] == "revoke":
                tokens.revoke(conn=conn, name=args[1])
            elif args == ["list"]:
                for name, scopes, created, revoked in tokens.listing(conn=conn):
                    print(f"{name}\t{' '.join(scopes)}\t{clock.iso(created)}\t"
                          f"{clock.iso(revoked) if revoked else 'live'}")  # fmt: skip
            else:
                print(
                    f"usage: token create NAME [--area CODE] SCOPE... | revoke NAME | list; "
                    f"scopes: {' '.join(tokens.SCOPES)}",
                    file=sys.stderr,
                )
                return 2
        except GeoError as exc:
            print(f"error: {exc.user_message}", file=sys.stderr)
            return 1
        conn.commit()
    return 0


def parser() -> argparse.ArgumentParser:
    """The command line: one sub-command each."""
    top = argparse.ArgumentParser(
        prog="python -m console",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = sub.add_parser("run", help="set up and serve the console")
    run.add_argument(
        "--simulate",
        action="store_true",
        help="the city simulator beside the console (units move, cases come and are handled "
        "by themselves; python -m data.simulate --help)",
    )
    sub.add_parser("init-db", help="the set-up of run, without serving")
    sub.add_parser("stop-db", help="stop the embedded cluster")
    sub.add_parser("settings-table", help="print the README settings table")
    demo = sub.add_parser("demo", help="load a fresh demo city")
    demo.add_argument("--size", choices=["tiny", "city", "province"], help="city size")
    demo.add_argument("--replace", action="store_true", help="wipe existing data first")
    tok = sub.add_parser("token", help="API tokens")
    tok.add_argument("token_args", nargs="+", metavar="ARG",
                     help="create NAME SCOPE... | revoke NAME | list")  # fmt: skip
    tok.add_argument("--area", help="the admin unit (code) it belongs to")
    usr = sub.add_parser("user", help="users")
    usr.add_argument("token_args", nargs="+", metavar="ARG",
                     help="add NAME ROLE | password NAME | list")  # fmt: skip
    usr.add_argument("--area", help="the admin unit (code) the user belongs to")
    usr.add_argument("--totp", action="store_true", help="add: with a TOTP second factor")
    rep = sub.add_parser("report", help="a day, week or month report to a file")
    report.arguments(rep)
    return top


def _stop_db(settings: Settings, _args: argparse.Namespace) -> int:
    if settings.embedded:
        state.cluster(settings).stop()
    return 0


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    sim = Simulation(settings) if args.simulate else None
    if sim is not None:
        sim.start()
    # The embedded PostgreSQL is supervised: started again (and audited) when it dies.
    dog = Watchdog(state.cluster(settings), settings.db_name) if settings.embedded else None
    if dog is not None:
        dog.start()
    try:
        serve(settings)
    except KeyboardInterrupt:
        pass
    finally:
        if dog is not None:
            dog.stop()
        if sim is not None:
            sim.stop()
        if settings.embedded and args.started_cluster:
            state.cluster(settings).stop()
            print("embedded PostgreSQL stopped", flush=True)
        elif settings.embedded:
            print("embedded PostgreSQL left running (it was running before)", flush=True)
    return 0


def port_taken(settings: Settings) -> bool:
    """Whether something already listens on the console's address (another console)."""
    with socket.socket(socket.AF_INET6 if ":" in settings.host else socket.AF_INET) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            s.bind((settings.host, settings.port))
        except OSError:
            return True
    return False


# Commands that need no set-up, and those that run after it (migrations, the demo city).
_WITHOUT_SETUP = {
    "settings-table": lambda s, a: print(settings_mod.markdown_table()) or 0,
    "stop-db": _stop_db,
    "demo": lambda s, a: load_demo(s, a.size or s.demo_size, a.replace),
    "report": lambda s, a: report.command(s, a),
}
_AFTER_SETUP = {
    "init-db": lambda s, a: 0,
    "token": lambda s, a: token_command(s, a.token_args, a.area),
    "user": lambda s, a: user_command(s, a.token_args, a.area, a.totp),
    "run": _serve,
}


def main(argv: list[str] | None = None) -> int:
    top = parser()
    # ``token create NAME --area CODE SCOPE...``: words after an option are still arguments
    args, extra = top.parse_known_args(argv)
    if extra and (args.command not in ("token", "user") or any(e.startswith("-") for e in extra)):
        top.error(f"unrecognized arguments: {' '.join(extra)}")
    if extra:
        args.token_args += extra
    try:
        settings = settings_mod.load()
    except settings_mod.SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    clock.use(settings.tz)
    if args.command in _WITHOUT_SETUP:
        return int(_WITHOUT_SETUP[args.command](settings, args))
    if args.command == "run" and port_taken(settings):
        # A console (or something else) is there: start nothing, and stop nothing either.
        print(f"error: {_console_url(settings)} is already in use: is a console running? "
              "Stop it first, or set GD_PORT. Nothing was started or stopped.",
              file=sys.stderr)  # fmt: skip
        return 2
    try:
        args.started_cluster = init_db(settings)
    except GeoError as exc:
        print(f"error: {exc.user_message}", file=sys.stderr)
        if exc.detail:
            print(exc.detail, file=sys.stderr)
        return 1
    return int(_AFTER_SETUP[args.command](settings, args))


if __name__ == "__main__":
    sys.exit(main())
