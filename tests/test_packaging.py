"""The wheel carries the data files the packages read at run time, not only `.py` files."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("dlxh", "ingestion", "alerts", "expectations", "hotspots")


def _uv() -> str | None:
    return shutil.which("uv") or next((str(p) for p in (ROOT / ".tools" / "bin" / "uv",) if p.is_file()), None)


def _tracked_data_files() -> set[str]:
    """Every non-Python file git tracks inside the packages."""
    out = subprocess.run(["git", "ls-files", *PACKAGES], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    return {f for f in out if not f.endswith(".py")}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    uv = _uv()
    if uv is None:
        pytest.skip("uv is not installed (make test installs it into .tools/)")
    out = tmp_path_factory.mktemp("wheel")
    # sdist first, then the wheel from the sdist (uv build's default): both must carry the data,
    # and nothing is written into the working tree.
    proc = subprocess.run(
        [uv, "build", "--out-dir", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "UV_PYTHON": sys.executable},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    (path,) = out.glob("*.whl")
    return zipfile.ZipFile(path)


def test_wheel_carries_every_data_file_of_the_packages(wheel):
    names = set(wheel.namelist())
    expected = _tracked_data_files()
    assert {f for f in expected if f.startswith("dlxh/core/sql/")}, "the SQL schema files are tracked"
    assert sorted(expected - names) == []
    assert not [n for n in names if n.startswith("expectations/gx/")]  # GX objects are built in code, never shipped


@pytest.mark.parametrize(
    "pattern",
    [
        "dlxh/core/sql/*.sql",
        "dlxh/core/config/defaults/*.csv",
        "dlxh/core/config/defaults/scan_tools/*.toml",
        "dlxh/core/config/defaults/*.toml",
        "alerts/templates/*.j2",
        "dlxh/monthly_report/templates/*",
        "expectations/static/vendor/*.js",
    ],
)
def test_wheel_holds_each_kind_of_run_time_data(wheel, pattern):
    import fnmatch

    in_tree = {p.relative_to(ROOT).as_posix() for p in ROOT.glob(pattern)}
    assert in_tree, pattern
    assert in_tree <= set(wheel.namelist()), sorted(in_tree - set(wheel.namelist()))
    assert fnmatch.filter(wheel.namelist(), pattern)


def test_no_build_leftovers_in_the_tree(wheel):
    assert not (ROOT / "build").exists()
