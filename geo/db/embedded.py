"""The embedded PostgreSQL + PostGIS cluster under the var directory.

PostgreSQL refuses to run as root, so when we are root every server command runs as the
``postgres`` system user through ``runuser``; otherwise it runs as ourselves. The cluster
listens on a Unix socket only (``<dir>/run``, mode 755), never on TCP.
"""

from __future__ import annotations

import logging
import os
import pwd
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from geo.errors import DatabaseUnavailable

log = logging.getLogger(__name__)

_CONF = """
# griddispatch embedded cluster
listen_addresses = ''
port = {port}
unix_socket_directories = '{run}'
unix_socket_permissions = 0777
max_connections = 200
shared_buffers = 256MB
work_mem = 32MB
maintenance_work_mem = 256MB
max_wal_size = 4GB
# thousands of tracker fixes a second: fewer forced checkpoints, smaller full-page images,
# and the background writer, not the inserting backends, writes dirty pages out
wal_compression = lz4
bgwriter_lru_maxpages = 1000
jit = off
log_min_duration_statement = 2000
"""


@dataclass(frozen=True)
class EmbeddedCluster:
    """A cluster in ``root`` (data in ``root/data``, socket in ``root/run``)."""

    root: Path
    bindir: Path
    port: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root).resolve())

    @property
    def data(self) -> Path:
        """The data directory.

        Returns
        -------
        pathlib.Path
            ``root/data``.
        """
        return self.root / "data"

    @property
    def run_dir(self) -> Path:
        """The Unix socket directory.

        Returns
        -------
        pathlib.Path
            ``root/run``.
        """
        return self.root / "run"

    @property
    def logfile(self) -> Path:
        """The server log file.

        Returns
        -------
        pathlib.Path
            ``root/postgres.log``.
        """
        return self.root / "postgres.log"

    def conninfo(self, dbname: str) -> str:
        """libpq connection string for database ``dbname`` on this cluster.

        Parameters
        ----------
        dbname : str
            Database name.

        Returns
        -------
        str
            Keyword/value conninfo: the socket directory, port, ``dbname``, user postgres.
        """
        return f"host={self.run_dir} port={self.port} dbname={dbname} user=postgres"

    # -- running commands as the right user -------------------------------------------------
    def _as_owner(self, args: list[str]) -> list[str]:
        if os.geteuid() == 0:
            return ["runuser", "-u", "postgres", "--", *args]
        return args

    def _run(self, args: list[str], *, check: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = self._as_owner(args)
        log.debug("run %s", cmd)
        return subprocess.run(cmd, capture_output=True, text=True, check=check)  # noqa: S603 - our argv, no shell

    def _prepare_dirs(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.run_dir, 0o755)
        if os.geteuid() == 0:
            try:
                pg = pwd.getpwnam("postgres")
            except KeyError as exc:
                raise DatabaseUnavailable(
                    "Running as root but there is no 'postgres' system user: "
                    "install postgresql-15 (make sysdeps).",
                    code="db.no_postgres_user",
                ) from exc
            for path in (self.root, self.run_dir):
                os.chown(path, pg.pw_uid, pg.pw_gid)
            # The server user must be able to reach the directory.
            for parent in self.root.resolve().parents:
                if not os.stat(parent).st_mode & 0o001:
                    raise DatabaseUnavailable(
                        f"The postgres user cannot enter {parent}: put GD_VAR_DIR elsewhere "
                        "or make the directory world-executable.",
                        code="db.dir_access",
                        path=str(parent),
                    )

    # -- lifecycle ---------------------------------------------------------------------------
    def initialised(self) -> bool:
        """Whether initdb has run (``data/PG_VERSION`` exists).

        Returns
        -------
        bool
            True when the cluster exists.
        """
        return (self.data / "PG_VERSION").exists()

    def init(self) -> None:
        """Create the cluster (initdb) if it does not exist yet."""
        if not (self.bindir / "initdb").exists():
            raise DatabaseUnavailable(
                f"PostgreSQL server binaries not found in {self.bindir}: run 'make sysdeps'.",
                code="db.no_binaries",
                bindir=str(self.bindir),
            )
        self._prepare_dirs()
        if self.initialised():
            return
        log.info("initialising PostgreSQL cluster in %s", self.data)
        if self.data.exists():
            shutil.rmtree(self.data)
        res = self._run(
            [
                str(self.bindir / "initdb"),
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-locale",
            ],
            check=False,
        )
        if res.returncode != 0:
            raise DatabaseUnavailable("initdb failed", detail=res.stderr[-2000:], code="db.initdb")
        conf = _CONF.format(port=self.port, run=self.run_dir)
        auto = self.data / "postgresql.auto.conf"
        # Written as the server user so it keeps owning its files.
        self._run(["sh", "-c", f"cat >> '{auto}' <<'EOF'\n{conf}\nEOF"])

    def running(self) -> bool:
        """Whether the server is running (``pg_ctl status``).

        Returns
        -------
        bool
            True when initialised and running.
        """
        if not self.initialised():
            return False
        res = self._run([str(self.bindir / "pg_ctl"), "-D", str(self.data), "status"], check=False)
        return res.returncode == 0

    def start(self, timeout_s: float = 60) -> None:
        """Initialise if needed and start the server; wait until it accepts connections.

        Parameters
        ----------
        timeout_s : float
            Seconds to wait for the start, and again for readiness.

        Raises
        ------
        DatabaseUnavailable
            The binaries are missing, initdb failed, or the server did not start in time.
        """
        self.init()
        if self.running():
            return
        log.info("starting PostgreSQL on socket %s port %d", self.run_dir, self.port)
        res = self._run(
            [
                str(self.bindir / "pg_ctl"),
                "-D",
                str(self.data),
                "-l",
                str(self.logfile),
                "-w",
                "-t",
                str(int(timeout_s)),
                "start",
            ],
            check=False,
        )
        if res.returncode != 0:
            tail = self.logfile.read_text(errors="replace")[-2000:] if self.logfile.exists() else ""
            raise DatabaseUnavailable(
                "PostgreSQL did not start", detail=res.stderr + tail, code="db.start"
            )
        self._wait_ready(timeout_s)

    def _wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            res = subprocess.run(  # noqa: S603 - our argv, no shell
                [str(self.bindir / "pg_isready"), "-h", str(self.run_dir), "-p", str(self.port)],
                capture_output=True,
            )
            if res.returncode == 0:
                return
            time.sleep(0.1)
        raise DatabaseUnavailable("PostgreSQL did not become ready in time", code="db.not_ready")

    def stop(self) -> None:
        """Stop the server (fast shutdown: open transactions roll back, data is safe)."""
        if self.running():
            log.info("stopping PostgreSQL")
            self._run(
                [str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"],
                check=False,
            )

    def ensure_database(self, dbname: str) -> None:
        """Create database ``dbname`` if it does not exist.

        Parameters
        ----------
        dbname : str
            Database name (quoted as an identifier).
        """
        import psycopg

        with psycopg.connect(self.conninfo("postgres"), autocommit=True) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %(n)s", {"n": dbname}
            ).fetchone()
            if not exists:
                from psycopg import sql

                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))

    def drop_database(self, dbname: str) -> None:
        """Drop database ``dbname`` if it exists (tests).

        Sessions still connected to it are terminated (``WITH (FORCE)``).

        Parameters
        ----------
        dbname : str
            Database name (quoted as an identifier).
        """
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.conninfo("postgres"), autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname))
            )
