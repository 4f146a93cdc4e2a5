"""Embedded PostgreSQL under ``$DLXH_HOME/pg``: find binaries, init, start, stop, status.

The server only listens on 127.0.0.1 with password (SCRAM) authentication. `initdb` and
`postgres` refuse to run as root, so when the tool runs as root the server process runs as an
unprivileged OS user (``DLXH_PG_OS_USER``, default ``postgres`` if it exists, else ``nobody``).
If that user cannot reach ``$DLXH_HOME`` (e.g. it lives under a 0700 home directory) the cluster
files go to ``/var/lib/dlxh/<hash>`` and ``$DLXH_HOME/pg/location`` records where.
"""

from __future__ import annotations

import glob
import hashlib
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from dlxh.core.errors import ConfigError, DatabaseUnavailable
from dlxh.core.secret_files import create_secret_file, read_secret_file, stored_secret
from dlxh.core.settings import PgTarget, Settings

SUPERUSER = "dlxh"
DATABASES = ("warehouse", "airflow")

INSTALL_HINT = (
    "PostgreSQL server binaries (initdb, pg_ctl, postgres) were not found.\n"
    "  Debian/Ubuntu: sudo apt-get install -y postgresql\n"
    "  Fedora/RHEL:   sudo dnf install -y postgresql-server\n"
    "  macOS:         brew install postgresql@16\n"
    "or set DLXH_PG_BIN to the folder that holds them, or point DLXH_DATABASE_URL at an existing server."
)


def find_pg_bin(settings: Settings) -> Path:
    """Locate the folder holding initdb/pg_ctl: setting, pg_config, PATH, /usr/lib/postgresql/*/bin."""
    candidates: list[Path] = []
    if settings.pg_bin:
        candidates.append(Path(settings.pg_bin))
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=True).stdout.strip()
            candidates.append(Path(out))
        except (OSError, subprocess.CalledProcessError):
            pass
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(initdb).parent)
    versions = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit() else 0
    )
    candidates += [Path(p) for p in reversed(versions)]
    candidates += [Path(p) for p in sorted(glob.glob("/usr/local/pgsql/bin")) + sorted(glob.glob("/opt/homebrew/opt/postgresql*/bin"))]
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    if settings.pg_bin:
        raise ConfigError(f"DLXH_PG_BIN={settings.pg_bin} does not contain initdb and pg_ctl.\n{INSTALL_HINT}")
    raise ConfigError(INSTALL_HINT)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class ServerStatus:
    running: bool
    initialised: bool
    port: int | None
    data_dir: Path
    detail: str


class EmbeddedPostgres:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.pg_dir = settings.pg_dir
        self.is_root = os.geteuid() == 0
        self.os_user = self._pick_os_user() if self.is_root else None

    # -- locations ---------------------------------------------------------------------------
    def _pick_os_user(self) -> str:
        wanted = self.settings.pg_os_user
        for name in [wanted] if wanted else ["postgres", "nobody"]:
            try:
                pwd.getpwnam(name)
                return name
            except KeyError:
                continue
        raise ConfigError(
            f"OS user {wanted or 'postgres/nobody'} does not exist; set DLXH_PG_OS_USER to an unprivileged user "
            "that may run the embedded PostgreSQL (the server refuses to run as root)."
        )

    @property
    def cluster_dir(self) -> Path:
        location = self.pg_dir / "location"
        if location.is_file():
            return Path(location.read_text().strip())
        return self.pg_dir / "cluster"

    @property
    def data_dir(self) -> Path:
        return self.cluster_dir / "data"

    @property
    def run_dir(self) -> Path:
        """The server's Unix-socket folder. A socket path holds at most 107 bytes (sun_path): under a
        deep DLXH_HOME the server could not start ("could not create any Unix-domain sockets"), so
        such a cluster gets a short private folder under /tmp named by its location."""
        own = self.cluster_dir / "run"
        if len(str(own)) + len("/.s.PGSQL.65535.lock") <= 100:
            return own
        digest = hashlib.sha256(str(self.pg_dir.resolve()).encode()).hexdigest()[:12]
        return Path(tempfile.gettempdir()) / f"dlxh-pg-{digest}"

    @property
    def log_file(self) -> Path:
        return self.cluster_dir / "server.log"

    @property
    def password_file(self) -> Path:
        return self.pg_dir / "superuser-password"

    @property
    def port_file(self) -> Path:
        return self.pg_dir / "port"

    def port(self) -> int | None:
        if self.settings.pg_port:
            return self.settings.pg_port
        if self.port_file.is_file():
            return int(self.port_file.read_text().strip())
        return None

    def password(self) -> str:
        return read_secret_file(self.password_file)

    def target(self, dbname: str = "warehouse") -> PgTarget:
        port = self.port()
        if port is None:
            raise DatabaseUnavailable("the embedded PostgreSQL is not initialised yet: run `dlxh db up`")
        return PgTarget("127.0.0.1", port, SUPERUSER, self.password(), dbname)

    # -- running commands as the server's user ----------------------------------------------
    def _run(self, args: list[str], check: bool = True, **kwargs) -> subprocess.CompletedProcess:
        env = {**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}
        env.pop("PGPASSWORD", None)
        if self.os_user:
            pw = pwd.getpwnam(self.os_user)
            kwargs.update(user=pw.pw_uid, group=pw.pw_gid, extra_groups=[])
            env["HOME"] = "/tmp"
        proc = subprocess.run(args, capture_output=True, text=True, env=env, cwd="/", **kwargs)
        if check and proc.returncode != 0:
            raise DatabaseUnavailable(f"`{' '.join(args)}` failed (exit {proc.returncode}):\n{proc.stdout}{proc.stderr}" + self._log_tail())
        return proc

    def _log_tail(self) -> str:
        if self.log_file.is_file():
            lines = self.log_file.read_text(errors="replace").splitlines()[-15:]
            return "\nLast lines of " + str(self.log_file) + ":\n" + "\n".join(lines)
        return ""

    def _chown(self, path: Path) -> None:
        if self.os_user:
            pw = pwd.getpwnam(self.os_user)
            os.chown(path, pw.pw_uid, pw.pw_gid)

    def _user_can_write(self, path: Path) -> bool:
        if not self.os_user:
            return True
        return self._run(["test", "-w", str(path), "-a", "-x", str(path)], check=False).returncode == 0

    # -- lifecycle ---------------------------------------------------------------------------
    def initialised(self) -> bool:
        return (self.data_dir / "PG_VERSION").is_file()

    def init(self) -> None:
        if self.initialised():
            return
        bindir = find_pg_bin(self.settings)
        self.pg_dir.mkdir(parents=True, exist_ok=True)
        cluster = self.pg_dir / "cluster"
        cluster.mkdir(exist_ok=True)
        self._chown(cluster)
        if not self._user_can_write(cluster):
            # The unprivileged user cannot reach $DLXH_HOME (e.g. under /root): keep the files elsewhere.
            digest = hashlib.sha256(str(self.pg_dir.resolve()).encode()).hexdigest()[:12]
            cluster = Path("/var/lib/dlxh") / digest
            cluster.mkdir(parents=True, exist_ok=True)
            os.chmod(cluster.parent, 0o755)
            self._chown(cluster)
            (self.pg_dir / "location").write_text(str(cluster) + "\n")
        self.run_dir.mkdir(mode=0o700, exist_ok=True)
        self._chown(self.run_dir)
        stored_secret(self.password_file, lambda: secrets.token_urlsafe(24))
        if self.port() is None:
            self.port_file.write_text(f"{_free_port()}\n")
        pwfile = self.cluster_dir / ".initdb-pw"
        create_secret_file(pwfile, self.password(), replace=True)
        self._chown(pwfile)
        try:
            if self.data_dir.exists() and not any(self.data_dir.iterdir()):
                self.data_dir.rmdir()
            self._run(
                [
                    str(bindir / "initdb"),
                    "-D",
                    str(self.data_dir),
                    "-U",
                    SUPERUSER,
                    f"--pwfile={pwfile}",
                    "--auth-host=scram-sha-256",
                    "--auth-local=peer",
                    "--encoding=UTF8",
                    "--locale=C.UTF-8",
                ]
            )
        finally:
            pwfile.unlink(missing_ok=True)

    def running(self) -> bool:
        if not self.initialised():
            return False
        bindir = find_pg_bin(self.settings)
        return self._run([str(bindir / "pg_ctl"), "-D", str(self.data_dir), "status"], check=False).returncode == 0

    def start(self) -> None:
        self.init()
        if self.running():
            return
        port = self.port()
        assert port is not None
        if _port_in_use(port):
            raise DatabaseUnavailable(
                f"port {port} on 127.0.0.1 is already taken by another program, so the embedded PostgreSQL "
                f"of {self.settings.home} cannot start. Set DLXH_PG_PORT to a free port."
            )
        self.port_file.write_text(f"{port}\n")
        if not self.run_dir.is_dir():  # a short socket folder under /tmp may be gone after a reboot
            self.run_dir.mkdir(mode=0o700)
            self._chown(self.run_dir)
        bindir = find_pg_bin(self.settings)
        options = (
            f"-c listen_addresses=127.0.0.1 -p {port} -k {self.run_dir} "
            "-c max_connections=200 -c shared_buffers=256MB -c work_mem=32MB -c maintenance_work_mem=256MB "
            "-c max_wal_size=4GB -c timezone=UTC"
        )
        self._run([str(bindir / "pg_ctl"), "-D", str(self.data_dir), "-l", str(self.log_file), "-w", "-t", "120", "-o", options, "start"])
        self._wait_ready(port)

    def _wait_ready(self, port: int, timeout: float = 60.0) -> None:
        import psycopg2

        deadline = time.monotonic() + timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            try:
                psycopg2.connect(**PgTarget("127.0.0.1", port, SUPERUSER, self.password(), "postgres").dsn_kwargs()).close()
                return
            except psycopg2.OperationalError as exc:
                last = exc
                time.sleep(0.3)
        raise DatabaseUnavailable(f"embedded PostgreSQL did not accept connections on port {port}: {last}{self._log_tail()}")

    def stop(self) -> bool:
        if not self.running():
            return False
        bindir = find_pg_bin(self.settings)
        self._run([str(bindir / "pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "-w", "stop"])
        return True

    def ensure_databases(self) -> None:
        import psycopg2

        conn = psycopg2.connect(**self.target("postgres").dsn_kwargs())
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                for name in DATABASES:
                    cur.execute("select 1 from pg_database where datname = %s", (name,))
                    if cur.fetchone() is None:
                        cur.execute(f'create database "{name}"')
        finally:
            conn.close()

    def status(self) -> ServerStatus:
        if not self.initialised():
            return ServerStatus(False, False, self.port(), self.data_dir, "not initialised (run `dlxh db up`)")
        running = self.running()
        detail = f"running on 127.0.0.1:{self.port()}" if running else "stopped (run `dlxh db up`)"
        return ServerStatus(running, True, self.port(), self.data_dir, detail)
