"""Running dbt against the configured warehouse (profile values come from the environment)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from dlxh.core.db import warehouse_target
from dlxh.core.errors import DlxhError
from dlxh.core.settings import PROJECT_ROOT, Settings, load_settings

DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"


def dbt_env(settings: Settings | None = None) -> dict[str, str]:
    """Environment variables read by dbt_project/profiles.yml."""
    settings = settings or load_settings()
    t = warehouse_target(settings)
    return {
        "DLXH_PG_HOST": t.host,
        "DLXH_PG_PORT_RESOLVED": str(t.port),
        "DLXH_PG_USER": t.user,
        "DLXH_PG_PASSWORD": t.password,
        "DLXH_PG_DBNAME": t.dbname,
        "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR),
        "DBT_PROJECT_DIR": str(DBT_PROJECT_DIR),
        "DBT_LOG_PATH": str(settings.logs_dir / "dbt"),
        "DBT_TARGET_PATH": str(DBT_PROJECT_DIR / "target"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
    }


def dbt_executable() -> str:
    """The dbt of this virtualenv (beside the running Python), else `dbt` on PATH."""
    candidate = Path(sys.executable).with_name("dbt")
    return str(candidate) if candidate.exists() else "dbt"


def run_dbt(
    args: list[str], settings: Settings | None = None, capture: bool = False, ok_codes: tuple[int, ...] = (0,)
) -> subprocess.CompletedProcess:
    settings = settings or load_settings()
    if not (DBT_PROJECT_DIR / "dbt_project.yml").is_file():
        from dlxh.core.errors import ConfigError

        raise ConfigError(
            f"no dbt project in {DBT_PROJECT_DIR}: set DLXH_PROJECT_DIR to the project folder (a checkout with dbt_project/ and dags/)"
        )
    env = {**os.environ, **dbt_env(settings)}
    cmd = [dbt_executable(), *args, "--project-dir", str(DBT_PROJECT_DIR)]
    proc = subprocess.run(cmd, env=env, cwd=DBT_PROJECT_DIR, capture_output=capture, text=True)
    if proc.returncode not in ok_codes:
        tail = (proc.stdout or "")[-4000:] if capture else ""
        raise DlxhError(f"dbt {' '.join(args)} failed (exit {proc.returncode}).{chr(10) + tail if tail else ''}")
    return proc
