"""Where the precompiled dbt manifest lives (cosmos renders the build DAG from it)."""

from __future__ import annotations

import sys
from pathlib import Path

from dlxh.core.settings import PROJECT_ROOT

DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"


def manifest_path() -> Path:
    path = DBT_PROJECT_DIR / "target" / "manifest.json"
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} is missing: the build DAG renders dbt models from a precompiled manifest. "
            "Run `dlxh build --manifest-only` (make run / make test do it)."
        )
    return path


def dbt_executable() -> str:
    candidate = Path(sys.executable).with_name("dbt")
    return str(candidate) if candidate.exists() else "dbt"
