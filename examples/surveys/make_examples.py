"""Regenerate the documented survey examples in this folder (deterministic).

    .venv/bin/python examples/surveys/make_examples.py

Writes the XLSForm `khao_sat_tu_tuong_2025.xlsx`, a unit registry `don_vi.csv`, two
overlapping KoboToolbox exports (March, and April's full re-export with new and broken rows),
a Kobo "labels" XLSX export, an ODK Central CSV, and a Google Forms CSV with its mapping.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from ingestion.surveys import sample  # noqa: E402


def main() -> None:
    written = sample.write_examples(HERE)
    print(f"{len(written)} example files written to {HERE}")


if __name__ == "__main__":
    main()
