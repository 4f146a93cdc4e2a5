"""Where the precompiled dbt manifest lives (cosmos renders the build DAG from it)."""

from __future__ import annotations

from pathlib import Path

from dlxh.dbt import DBT_PROJECT_DIR, dbt_executable  # noqa: F401  (one home: dlxh.dbt; dbt_groups imports both from here)


def manifest_path() -> Path:
    path = DBT_PROJECT_DIR / "target" / "manifest.json"
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} is missing: the build DAG renders dbt models from a precompiled manifest. "
            "Run `dlxh build --manifest-only` (make run / make test do it)."
        )
    return path
