"""`dlxh bi up | down | status`: a local Apache Superset with the dashboard of bi/superset/bundle.

Superset gets its own virtualenv (``$DLXH_HOME/superset/venv``, made with uv: its dependencies
conflict with Airflow's), its own metadata database (SQLite in ``$DLXH_HOME/superset``) and listens
on 127.0.0.1 only. The bundle (Superset's import/export format, committed under bi/superset/bundle)
holds the database as ``bi_reader`` (read-only, marts only), datasets over the marts, the charts and
the dashboard "Tình hình báo cáo và dư luận xã hội"; ``up`` fills in the warehouse's address and
the bi_reader password at import time (never committed). Locally every visitor is an admin (no
login, like the local Airflow UI); do not expose this port.
"""

from __future__ import annotations

import io
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

from dlxh.core.errors import ConfigError, DlxhError
from dlxh.core.secret_files import create_secret_file, stored_secret, write_secret_bytes
from dlxh.core.settings import PROJECT_ROOT, Settings, load_settings

BUNDLE_DIR = PROJECT_ROOT / "bi" / "superset" / "bundle"
SUPERSET_REQUIREMENT = "apache-superset>=4.1,<5"
# Superset 4.1 still imports pkg_resources (removed from setuptools 81).
EXTRA_REQUIREMENTS = ("psycopg2-binary>=2.9", "setuptools<81")
DEFAULT_PORT = 8088
DASHBOARD_SLUG = "dlxh-compliance"
PASSWORD_MASK = "XXXXXXXXXX"


def superset_home(settings: Settings) -> Path:
    return settings.home / "superset"


def bi_port(settings: Settings) -> int:
    from dlxh.core.settings import _int_setting

    port = _int_setting(settings.raw, "DLXH_BI_PORT", 1, 65535)
    return DEFAULT_PORT if port is None else port


def _uv() -> str | None:
    return shutil.which("uv") or next((str(p) for p in (PROJECT_ROOT / ".tools" / "bin" / "uv",) if p.is_file()), None)


def _superset_bin(settings: Settings) -> Path:
    return superset_home(settings) / "venv" / "bin" / "superset"


def install(settings: Settings) -> Path:
    """Superset in its own virtualenv; ConfigError (exit 2) when this machine cannot install it."""
    binary = _superset_bin(settings)
    if binary.is_file():
        return binary
    uv = _uv()
    if uv is None:
        raise ConfigError(
            "Superset cannot be installed on this machine: uv is not available (run `make run` once, it installs uv into .tools/)"
        )
    venv = binary.parent.parent
    steps = (
        [uv, "venv", "--quiet", "--python", sys.executable, str(venv)],
        [uv, "pip", "install", "--quiet", "--python", str(venv / "bin" / "python"), SUPERSET_REQUIREMENT, *EXTRA_REQUIREMENTS],
    )
    for cmd in steps:
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            shutil.rmtree(venv, ignore_errors=True)
            last = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
            raise ConfigError(f"Superset cannot be installed on this machine ({' '.join(cmd[:3])} failed: {last[0][:300]})")
    return binary


def _config(settings: Settings) -> Path:
    home = superset_home(settings)
    home.mkdir(parents=True, exist_ok=True)
    key_file = home / "secret-key"
    stored_secret(key_file, lambda: secrets.token_urlsafe(42))
    path = home / "superset_config.py"
    path.write_text(
        "# Written by `dlxh bi up` (dlxh/bi.py); local instance on 127.0.0.1.\n"
        f"SECRET_KEY = open({str(key_file)!r}).read().strip()\n"
        f"SQLALCHEMY_DATABASE_URI = 'sqlite:///{home / 'superset.db'}'\n"
        "# Local only: every visitor is an admin (like the local Airflow UI). Never expose the port.\n"
        "AUTH_ROLE_PUBLIC = 'Admin'\n"
        "PUBLIC_ROLE_LIKE = 'Admin'\n"
        "WTF_CSRF_ENABLED = False\n"
        "TALISMAN_ENABLED = False\n"
        "BABEL_DEFAULT_LOCALE = 'vi'\n"
        "LANGUAGES = {'vi': {'flag': 'vn', 'name': 'Tiếng Việt'}, 'en': {'flag': 'us', 'name': 'English'}}\n"
        "FEATURE_FLAGS = {'DASHBOARD_RBAC': False}\n",
        encoding="utf-8",
    )
    return path


def _env(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "SUPERSET_CONFIG_PATH": str(_config(settings)),
        "SUPERSET_HOME": str(superset_home(settings)),
        "FLASK_APP": "superset",
        "SUPERSET_LOAD_EXAMPLES": "no",
        "SCARF_ANALYTICS": "false",
        "DO_NOT_TRACK": "1",
    }


def _run(settings: Settings, *args: str) -> None:
    proc = subprocess.run([str(_superset_bin(settings)), *args], env=_env(settings), capture_output=True, text=True)
    if proc.returncode != 0:
        raise DlxhError(f"superset {' '.join(args[:2])} failed (exit {proc.returncode}):\n{(proc.stdout + proc.stderr)[-3000:]}")


def bundle_zip(settings: Settings, password: str) -> bytes:
    """The committed bundle as Superset imports it, with this warehouse's address and password."""
    from urllib.parse import quote

    from dlxh.core.db import warehouse_target

    target = warehouse_target(settings)
    uri = f"postgresql+psycopg2://bi_reader:{quote(password, safe='')}@{target.host}:{target.port}/{quote(target.dbname, safe='')}"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for path in sorted(BUNDLE_DIR.rglob("*.yaml")):
            text = path.read_text(encoding="utf-8")
            if path.parent.name == "databases":
                text = (
                    "\n".join(f"sqlalchemy_uri: {uri}" if line.startswith("sqlalchemy_uri:") else line for line in text.splitlines()) + "\n"
                )
            zf.writestr(f"dlxh_bundle/{path.relative_to(BUNDLE_DIR).as_posix()}", text)
    return buffer.getvalue()


def _pid_file(settings: Settings) -> Path:
    return superset_home(settings) / "superset.pid"


def running_pid(settings: Settings) -> int | None:
    path = _pid_file(settings)
    if not path.is_file():
        return None
    pid = int(path.read_text().strip() or 0)
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):
        path.unlink(missing_ok=True)
        return None
    return pid


def up(settings: Settings | None = None) -> str:
    """Install (once), migrate, import the bundle, start on 127.0.0.1; returns the dashboard URL."""
    from dlxh.build import bi_password
    from dlxh.core.db import ensure_up

    settings = settings or load_settings()
    if not BUNDLE_DIR.is_dir():
        raise ConfigError(f"no Superset bundle at {BUNDLE_DIR}: set DLXH_PROJECT_DIR to the project folder")
    ensure_up(settings)
    install(settings)
    home = superset_home(settings)
    marker = home / ".initialised"
    if not marker.is_file():
        _run(settings, "db", "upgrade")
        _run(settings, "init")
        # The owner of the imported objects (`import-dashboards` needs one); visitors need no login.
        password_file = home / "admin-password"
        create_secret_file(password_file, secrets.token_urlsafe(18), replace=True)
        _run(
            settings,
            "fab",
            "create-admin",
            "--username",
            "admin",
            "--firstname",
            "DLXH",
            "--lastname",
            "Admin",
            "--email",
            "admin@localhost.localdomain",
            "--password",
            password_file.read_text().strip(),
        )
        marker.write_text("ok\n")
    bundle = home / "dlxh_bundle.zip"
    write_secret_bytes(bundle, bundle_zip(settings, bi_password(settings)))
    try:
        _run(settings, "import-dashboards", "--path", str(bundle), "--username", "admin")
    finally:
        bundle.unlink(missing_ok=True)
    port = bi_port(settings)
    url = f"http://127.0.0.1:{port}/superset/dashboard/{DASHBOARD_SLUG}/"
    if running_pid(settings) is None:
        log = open(home / "superset.log", "ab")
        proc = subprocess.Popen(
            [str(_superset_bin(settings)), "run", "-h", "127.0.0.1", "-p", str(port), "--with-threads"],
            env=_env(settings),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        _pid_file(settings).write_text(f"{proc.pid}\n")
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise DlxhError(f"Superset exited (code {proc.returncode}); see {home / 'superset.log'}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                time.sleep(1)
        else:
            raise DlxhError(f"Superset did not answer on 127.0.0.1:{port} within 180 s; see {home / 'superset.log'}")
    return url


def down(settings: Settings | None = None) -> bool:
    settings = settings or load_settings()
    pid = running_pid(settings)
    if pid is None:
        return False
    os.killpg(pid, signal.SIGTERM)
    for _ in range(50):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.2)
    _pid_file(settings).unlink(missing_ok=True)
    return True
