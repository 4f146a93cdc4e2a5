"""Embedded Redis under ``$DLXH_HOME/redis``: the Celery broker of ``--executor celery``.

Started by the tool like the embedded PostgreSQL: Debian's ``redis-server`` (``DLXH_REDIS_SERVER``
names another binary), listening on 127.0.0.1 only (``bind 127.0.0.1``, ``protected-mode yes``)
on a free port chosen once and kept in ``redis/port`` (``DLXH_REDIS_PORT`` fixes it), with a
generated password (``requirepass``) in ``redis/password`` (0600; the generated ``redis.conf``
holding it is 0600 too). A server already running for this DLXH_HOME is reused; ``stop()``
shuts it down cleanly (SIGTERM: Redis writes its append-only file and exits).
``DLXH_REDIS_URL`` points at an existing Redis instead (then nothing is started here).

Queued task messages survive a restart of the broker (``appendonly yes``); the task states
themselves live in the Airflow metadata database, the Celery result backend.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from dlxh.core.errors import ConfigError, DatabaseUnavailable
from dlxh.core.secret_files import create_secret_file, stored_secret
from dlxh.core.settings import Settings

INSTALL_HINT = (
    "redis-server was not found (the Celery broker of `--executor celery`).\n"
    "  Debian/Ubuntu: sudo apt-get install -y redis-server   (scripts/system-deps.sh installs it)\n"
    "  Fedora/RHEL:   sudo dnf install -y redis\n"
    "  macOS:         brew install redis\n"
    "or set DLXH_REDIS_SERVER to the redis-server binary, or DLXH_REDIS_URL to an existing Redis."
)
HOST = "127.0.0.1"


def find_redis_server(settings: Settings) -> Path:
    configured = settings.get("DLXH_REDIS_SERVER")
    candidates: list[str | None] = (
        [configured]
        if configured
        else [
            shutil.which("redis-server"),
            "/usr/bin/redis-server",
            "/usr/sbin/redis-server",
            "/usr/local/bin/redis-server",
            "/opt/homebrew/bin/redis-server",
        ]
    )
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return Path(candidate)
    if configured:
        raise ConfigError(f"DLXH_REDIS_SERVER={configured} is not an executable redis-server.\n{INSTALL_HINT}")
    raise ConfigError(INSTALL_HINT)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


@dataclass
class RedisStatus:
    running: bool
    port: int | None
    detail: str


class EmbeddedRedis:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.dir = settings.home / "redis"

    # -- locations and secrets ---------------------------------------------------------------
    @property
    def password_file(self) -> Path:
        return self.dir / "password"

    @property
    def port_file(self) -> Path:
        return self.dir / "port"

    @property
    def conf_file(self) -> Path:
        return self.dir / "redis.conf"

    @property
    def pid_file(self) -> Path:
        return self.dir / "redis.pid"

    @property
    def log_file(self) -> Path:
        return self.dir / "redis.log"

    def password(self) -> str:
        return stored_secret(self.password_file, lambda: secrets.token_urlsafe(24))

    def port(self) -> int:
        """The server's port: DLXH_REDIS_PORT, else the one chosen on first use (kept in redis/port)."""
        fixed = self.settings.get("DLXH_REDIS_PORT")
        if fixed:
            return int(fixed)
        if not self.port_file.is_file():
            self.dir.mkdir(parents=True, exist_ok=True)
            self.port_file.write_text(f"{_free_port()}\n")
        return int(self.port_file.read_text().strip())

    def url(self, db: int = 0) -> str:
        """The broker URL (``redis://:password@127.0.0.1:port/db``); holds the password: never log it."""
        return f"redis://:{quote(self.password(), safe='')}@{HOST}:{self.port()}/{db}"

    # -- talking to the server ---------------------------------------------------------------
    def ping(self, timeout: float = 1.0) -> bool:
        """True when a Redis answering to this instance's password listens on its port."""
        try:
            with socket.create_connection((HOST, self.port()), timeout=timeout) as sock:
                password = self.password().encode()
                sock.sendall(b"*2\r\n$4\r\nAUTH\r\n$%d\r\n%s\r\n*1\r\n$4\r\nPING\r\n" % (len(password), password))
                reply = b""
                deadline = time.monotonic() + timeout
                while reply.count(b"\r\n") < 2 and time.monotonic() < deadline:
                    chunk = sock.recv(256)
                    if not chunk:
                        break
                    reply += chunk
                return reply.startswith(b"+OK\r\n+PONG")
        except OSError:
            return False

    def _pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass
        return pid

    def running(self) -> bool:
        """True when this instance's server answers (no other program knows its password)."""
        return self.ping()

    def _write_conf(self) -> None:
        lines = [
            f"bind {HOST}",
            "protected-mode yes",
            f"port {self.port()}",
            f"requirepass {self.password()}",
            "daemonize yes",
            f"pidfile {self.pid_file}",
            f"logfile {self.log_file}",
            f"dir {self.dir}",
            # The broker's messages survive a restart; no RDB snapshots (the append-only file suffices).
            "appendonly yes",
            "appendfsync everysec",
            'save ""',
            "databases 4",
        ]
        create_secret_file(self.conf_file, "\n".join(lines) + "\n", replace=True)

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self, timeout: float = 30.0) -> bool:
        """Start the server unless it already runs (then reuse it). True when this call started it."""
        self.dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.dir, 0o700)
        if self.running():
            return False
        port = self.port()
        if _port_taken(port):
            raise DatabaseUnavailable(
                f"port {port} on {HOST} is already taken by another program, so the embedded Redis of "
                f"{self.settings.home} cannot start. Set DLXH_REDIS_PORT to a free port (or delete {self.port_file})."
            )
        binary = find_redis_server(self.settings)
        self._write_conf()
        proc = subprocess.run([str(binary), str(self.conf_file)], capture_output=True, text=True, cwd=self.dir)
        if proc.returncode != 0:
            raise DatabaseUnavailable(
                f"redis-server failed to start (exit {proc.returncode}):\n{proc.stdout}{proc.stderr}{self._log_tail()}"
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.ping():
                return True
            time.sleep(0.1)
        raise DatabaseUnavailable(f"the embedded Redis did not answer on {HOST}:{port} within {timeout:.0f}s{self._log_tail()}")

    def stop(self, timeout: float = 30.0) -> bool:
        """Shut the server down cleanly (SIGTERM, wait for it to exit). False when it was not running."""
        pid = self._pid()
        if pid is None:
            return False
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return True
            time.sleep(0.1)
        raise DatabaseUnavailable(f"the embedded Redis (pid {pid}) did not stop within {timeout:.0f}s{self._log_tail()}")

    def status(self) -> RedisStatus:
        if self.running():
            return RedisStatus(True, self.port(), f"running on {HOST}:{self.port()}")
        return RedisStatus(False, self.port() if self.port_file.is_file() else None, "stopped")

    def _log_tail(self) -> str:
        if self.log_file.is_file():
            lines = self.log_file.read_text(errors="replace").splitlines()[-15:]
            return f"\nLast lines of {self.log_file}:\n" + "\n".join(lines)
        return ""


def _port_taken(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((HOST, port)) == 0


def broker_url(settings: Settings) -> str:
    """DLXH_REDIS_URL when set (an existing Redis), else the embedded server's URL."""
    return settings.get("DLXH_REDIS_URL") or EmbeddedRedis(settings).url()


def ensure_broker(settings: Settings) -> bool:
    """Start the embedded Redis when it is the configured broker. True when this call started it."""
    if settings.get("DLXH_REDIS_URL"):
        return False
    return EmbeddedRedis(settings).start()
