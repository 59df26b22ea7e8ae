"""A throwaway PostgreSQL cluster in a temporary folder, for tests and benchmarks.

The server refuses to run as root, so as root the cluster belongs to the ``postgres`` user
(``runuser -u postgres -- initdb ...``). It listens on 127.0.0.1 only, on a free port, with
durability switched off (it is thrown away), and is removed on exit.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

__all__ = ["TemporaryPostgres", "find_postgres_bin"]


def find_postgres_bin() -> Path | None:
    """Folder of the newest installed PostgreSQL server programs (``initdb``), or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class TemporaryPostgres:
    """Start a PostgreSQL cluster on loopback; use as a context manager.

    Attributes
    ----------
    admin_url : str
        SQLAlchemy URL of the ``postgres`` database as the ``postgres`` superuser (trust auth).

    Raises
    ------
    RuntimeError
        If the server programs are not installed.
    subprocess.CalledProcessError
        If ``initdb`` or ``pg_ctl`` fail (``stderr`` says why).
    """

    def __init__(self, *, hba_lines: tuple[str, ...] = ()) -> None:
        """Initialise and start the cluster.

        ``hba_lines`` are put first in ``pg_hba.conf`` before the server starts (e.g. a role
        that must give a password), so no configuration reload is ever waited for.
        """
        bindir = find_postgres_bin()
        if bindir is None:
            raise RuntimeError(
                "PostgreSQL server programs (initdb) not found; install Debian's postgresql "
                "package, or point the tests at a server with ARGO_TEST_DATABASE_URL"
            )
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="argo-pg-"))
        self.port = _free_port()
        self._as_root = os.geteuid() == 0
        data = self.root / "data"
        try:
            if self._as_root:
                shutil.chown(self.root, user="postgres", group="postgres")
            self._run(
                "initdb", "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                "--no-locale", "--no-sync",
            )  # fmt: skip
            if hba_lines:
                hba = data / "pg_hba.conf"
                hba.write_text("".join(f"{line}\n" for line in hba_lines) + hba.read_text())
            options = (
                f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=60"
            )
            self._run(
                "pg_ctl",
                "-D",
                str(data),
                "-o",
                options,
                "-l",
                str(self.root / "log"),
                "-w",
                "start",
            )
        except BaseException:
            shutil.rmtree(self.root, ignore_errors=True)
            raise
        self.admin_url = f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bindir / program), *args]
        if self._as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def stop(self) -> None:
        """Stop the server and delete its folder."""
        with contextlib.suppress(Exception):
            self._run("pg_ctl", "-D", str(self.root / "data"), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> TemporaryPostgres:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
