"""The layers of docs/architecture.md hold: import-linter's contracts (pyproject.toml) are kept.

No database: lint-imports reads the source files (imports inside functions count too).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def test_import_contracts_are_kept():
    proc = subprocess.run([str(BIN / "lint-imports"), "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
    assert "0 broken" in proc.stdout
    assert "Layers:" in proc.stdout  # the layers contract ran, not only the forbidden one


def test_package_root_imports_nothing():
    """`import dlxh` stays free of imports, so that any layer may import `dlxh.core` cheaply."""
    source = (ROOT / "dlxh" / "__init__.py").read_text(encoding="utf-8")
    assert not [line for line in source.splitlines() if line.startswith(("import ", "from "))]
