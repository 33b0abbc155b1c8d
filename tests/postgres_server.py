"""A throwaway PostgreSQL server for the tests: its own data folder, a free port on 127.0.0.1.

The server binaries come from the distribution's package (`.ci/install-postgresql`, which
`make test` runs, installs it when missing). `PostgresServer` runs `initdb` into a temporary
folder, starts the server with `pg_ctl` on a free port, and removes everything on `close()`.
PostgreSQL refuses to run as root, so under root (CI) the server runs as the `postgres` system
user the package creates, and its folder belongs to that user.

`stop()` and `start()` keep the folder and the port, so a test can take the database away
from a running bot and bring it back at the same address.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

SUPERUSER = "genai"
INSTALL_HINT = "run `bash .ci/install-postgresql` (as root it runs `apt-get install -y postgresql`)"
START_TIMEOUT_S = 60
# Durability costs fsyncs that a throwaway test database does not need.
FAST_UNSAFE = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"


class PostgresUnavailable(RuntimeError):
    """The server binaries are missing, or the server did not start; the message says why."""


def find_bindir() -> Path:
    """The folder holding initdb, pg_ctl and postgres: on PATH, else Debian's versioned one."""
    on_path = shutil.which("pg_ctl")
    if on_path and shutil.which("initdb"):
        return Path(os.path.realpath(on_path)).parent
    # Debian puts the server in /usr/lib/postgresql/<major>/bin, off PATH.
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    if candidates:
        return Path(candidates[-1]).parent
    raise PostgresUnavailable(f"no PostgreSQL server found (pg_ctl, initdb): {INSTALL_HINT}")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PostgresServer:
    """One PostgreSQL server in a temporary folder; `url(database)` for SQLAlchemy+asyncpg."""

    def __init__(self) -> None:
        self.bindir = find_bindir()
        self.root = Path(tempfile.mkdtemp(prefix="genai-postgres-"))
        self.data_dir = self.root / "data"
        self.log_file = self.root / "server.log"
        self.port = free_port()
        self._account = self._server_account()
        if self._account is not None:
            os.chown(self.root, self._account.pw_uid, self._account.pw_gid)
        self._run(
            "initdb",
            "-D",
            str(self.data_dir),
            "-U",
            SUPERUSER,
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        )

    @staticmethod
    def _server_account() -> pwd.struct_passwd | None:
        """Who runs the server: us, unless we are root (PostgreSQL refuses root)."""
        if os.geteuid() != 0:
            return None
        for name in ("postgres", "nobody"):
            with contextlib.suppress(KeyError):
                return pwd.getpwnam(name)
        raise PostgresUnavailable(
            "running as root with no `postgres` user to run the server as: " + INSTALL_HINT
        )

    def _run(self, tool: str, *args: str) -> subprocess.CompletedProcess:
        account = self._account
        result = subprocess.run(
            [str(self.bindir / tool), *args],
            capture_output=True,
            text=True,
            cwd=self.root,
            user=account.pw_uid if account else None,
            group=account.pw_gid if account else None,
            env={"PATH": os.environ.get("PATH", ""), "LC_ALL": "C", "HOME": str(self.root)},
            timeout=START_TIMEOUT_S + 30,
            check=False,
        )
        if result.returncode != 0:
            raise PostgresUnavailable(
                f"{tool} failed ({result.returncode}): "
                f"{(result.stderr or result.stdout).strip()}{self._log_tail()}"
            )
        return result

    def _log_tail(self) -> str:
        try:
            lines = self.log_file.read_text(errors="replace").splitlines()[-10:]
        except OSError:
            return ""
        return "\nserver log:\n" + "\n".join(lines) if lines else ""

    # ---- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        options = (
            f"-c port={self.port} -c listen_addresses=127.0.0.1 "
            f"-c unix_socket_directories={self.root} -c max_connections=200 {FAST_UNSAFE}"
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self.data_dir),
            "-l",
            str(self.log_file),
            "-w",
            "-t",
            str(START_TIMEOUT_S),
            "-o",
            options,
            "start",
        )

    def stop(self) -> None:
        """Stop the server (fast mode: open connections are cut, as in a crash or restart)."""
        self._run("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "stop")

    @property
    def running(self) -> bool:
        return (self.data_dir / "postmaster.pid").exists()

    def close(self) -> None:
        """Stop the server if it runs and remove its folder."""
        try:
            if self.running:
                self.stop()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> PostgresServer:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ---- addresses ------------------------------------------------------------------------

    def dsn(self, database: str = "postgres") -> str:
        """A libpq/asyncpg connection string."""
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def url(self, database: str = "postgres") -> str:
        """The SQLAlchemy URL the bot reads from GENAI_DATABASE_URL."""
        return f"postgresql+asyncpg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"
