"""A bad setting is a one-line message and exit 2, never a traceback; defaults that do not depend
on where or in which time zone `dlxh` is started."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _run(args: list[str], env_extra: dict[str, str], cwd: Path = ROOT, drop: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DLXH_") or k == "DLXH_HOME"}
    for name in drop:
        env.pop(name, None)
    env.update(env_extra)
    return subprocess.run([sys.executable, "-m", "dlxh.cli", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(
    ("name", "value", "needle"),
    [
        ("DLXH_DATABASE_URL", "notaurl", "DLXH_DATABASE_URL"),
        ("DLXH_DATABASE_URL", "postgresql://u@host:notaport/db", "DLXH_DATABASE_URL"),
        ("DLXH_PG_PORT", "abc", "DLXH_PG_PORT='abc' is not a whole number"),
        ("DLXH_PG_PORT", "70000", "DLXH_PG_PORT=70000 is out of range"),
        ("DLXH_DEFAULT_DUE_DAY", "abc", "DLXH_DEFAULT_DUE_DAY='abc' is not a whole number"),
        ("DLXH_DEFAULT_DUE_DAY", "31", "DLXH_DEFAULT_DUE_DAY=31 is out of range (expected 1..28)"),
        ("DLXH_AIRFLOW_PORT", "http", "DLXH_AIRFLOW_PORT"),
    ],
)
def test_bad_setting_is_one_line_and_exit_2(tmp_path: Path, name: str, value: str, needle: str):
    proc = _run(["db", "url"], {"DLXH_HOME": str(tmp_path / "home"), name: value})
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dlxh: error: "), proc.stderr
    assert needle in lines[0]
    if name == "DLXH_DATABASE_URL":
        assert "postgresql://user:pass@host:port/db" in lines[0]


def test_unusable_home_is_one_line_and_exit_2(tmp_path: Path):
    a_file = tmp_path / "not-a-folder"
    a_file.write_text("x")
    proc = _run(["config", "check"], {"DLXH_HOME": str(a_file / "home")})
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().splitlines() == [f"dlxh: error: DLXH_HOME={a_file / 'home'} is not usable: {a_file} is not a folder"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write to any folder")
def test_read_only_home_is_exit_2(tmp_path: Path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    proc = _run(["config", "check"], {"DLXH_HOME": str(ro / "home")})
    assert proc.returncode == 2 and "is not writable" in proc.stderr


def test_default_home_is_the_checkouts_from_any_folder(tmp_path: Path):
    """Unset DLXH_HOME from another folder is the checkout's .dlxh, not an empty ./.dlxh there."""
    code = "from dlxh.core.settings import load_settings; print(load_settings().home)"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DLXH_")}
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert Path(proc.stdout.strip()) == ROOT / ".dlxh"
    assert not (tmp_path / ".dlxh").exists()


def test_alerts_default_day_is_today_in_ho_chi_minh_city():
    """Whatever the machine's time zone: pick one whose date differs from Hà Nội's right now."""
    hcm_today = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()
    tz = next(z for z in ("Etc/GMT-14", "Etc/GMT+12") if datetime.now(ZoneInfo(z)).date() != hcm_today)
    code = "import datetime; from dlxh.cli import _local_today; print(_local_today(), datetime.date.today())"
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**os.environ, "TZ": tz}, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    ours, machine = proc.stdout.split()
    assert machine != hcm_today.isoformat()  # the machine's date really is another day
    assert ours == hcm_today.isoformat()
