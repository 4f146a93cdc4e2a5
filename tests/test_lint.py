"""Code style is part of the build: ruff over the Python, sqlfluff over the hand-written SQL."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def test_ruff_is_clean():
    proc = subprocess.run([str(BIN / "ruff"), "check", "."], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_sqlfluff_is_clean_on_ddl_and_dbt_models():
    proc = subprocess.run([str(BIN / "sqlfluff"), "lint", "dlxh/core/sql", "dbt_project/models"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
