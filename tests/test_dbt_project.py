"""The dbt project parses without a database (manifest for astronomer-cosmos) and documents every mart column."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_manifest_compiles_without_a_database(tmp_path: Path):
    env = {**os.environ, "DLXH_HOME": str(tmp_path / "no-server")}
    env.pop("DLXH_DATABASE_URL", None)
    code = "from dlxh.build import compile_manifest; print(compile_manifest())"
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    manifest = json.loads(Path(proc.stdout.strip().splitlines()[-1]).read_text(encoding="utf-8"))
    marts = {n["name"]: n for n in manifest["nodes"].values() if n["resource_type"] == "model" and n["schema"] == "marts"}
    assert set(marts) >= {"dim_unit", "dim_month", "dim_topic", "dim_source", "fct_report_submission", "fct_opinion_signal",
                          "mart_unit_topic_month", "mart_report_compliance", "mart_hot_spots"}
    for name, node in marts.items():
        assert node["config"]["contract"]["enforced"], name
        assert node["description"], name
        assert all(col.get("description") for col in node["columns"].values()), name
        assert node["config"]["grants"] == {"select": ["bi_reader"]}, name
    schemas = {n["schema"] for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    assert schemas == {"staging", "intermediate", "marts"}
    unit_tests = {u["name"] for u in manifest["unit_tests"].values()}
    assert "test_deadline_status_and_days_late" in unit_tests
    exposed = {ref for e in manifest["exposures"].values() for ref in e["depends_on"]["nodes"]}
    assert {f"model.dlxh_warehouse.{m}" for m in marts} <= exposed
