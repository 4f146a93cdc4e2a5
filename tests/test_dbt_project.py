"""The dbt project parses without a database (manifest for astronomer-cosmos), documents every mart column in
English and Vietnamese, and keeps its layout: staging by source, intermediate and marts by domain, YAML beside models."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path, PurePosixPath

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = {"staging": "staging", "intermediate": "intermediate", "marts": "marts"}  # top folder -> schema


@pytest.fixture(scope="module")
def manifest(tmp_path_factory) -> dict:
    env = {**os.environ, "DLXH_HOME": str(tmp_path_factory.mktemp("no-server"))}
    env.pop("DLXH_DATABASE_URL", None)
    code = "from dlxh.build import compile_manifest; print(compile_manifest())"
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    return json.loads(Path(proc.stdout.strip().splitlines()[-1]).read_text(encoding="utf-8"))


def _folder(path: str) -> PurePosixPath:
    return PurePosixPath(path.split("://", 1)[-1]).parent


def test_manifest_compiles_without_a_database(manifest: dict):
    marts = {n["name"]: n for n in manifest["nodes"].values() if n["resource_type"] == "model" and n["schema"] == "marts"}
    assert set(marts) >= {
        "dim_unit",
        "dim_month",
        "dim_topic",
        "dim_source",
        "fct_report_submission",
        "fct_opinion_signal",
        "mart_unit_topic_month",
        "mart_report_compliance",
        "mart_hot_spots",
    }
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


def test_every_mart_description_is_in_english_and_vietnamese(manifest: dict):
    """Descriptions read "English. · Tiếng Việt.": analysts read the marts (Superset shows them as PostgreSQL comments)."""
    not_bilingual = []
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model" or node["schema"] != "marts":
            continue
        described = {"(relation)": node["description"], **{c: v["description"] for c, v in node["columns"].items()}}
        for what, text in described.items():
            english, sep, vietnamese = text.partition(" · ")
            if not (sep and english.strip() and vietnamese.strip() and not vietnamese.isascii()):
                not_bilingual.append(f"{node['name']}.{what}: {text[:60]!r}")
    assert not_bilingual == []


def test_layout_staging_by_source_marts_by_domain_yaml_beside_models(manifest: dict):
    """Each model sits in a subfolder of its layer's top folder (which decides its schema) with its properties
    file beside it; a staging model's sources are declared in its own folder; unit tests sit beside the model."""
    misplaced = []
    models = {uid: n for uid, n in manifest["nodes"].items() if n["resource_type"] == "model"}
    for node in models.values():
        folder = _folder(node["original_file_path"])
        parts = folder.parts  # ('models', layer, subfolder, ...)
        if len(parts) < 3 or parts[0] != "models" or LAYERS.get(parts[1]) != node["schema"]:
            misplaced.append(f"{node['name']}: {folder} (schema {node['schema']})")
        if not node.get("patch_path") or _folder(node["patch_path"]) != folder:
            misplaced.append(f"{node['name']}: properties {node.get('patch_path')} not beside {folder}")
        for parent in node["depends_on"]["nodes"] if node["schema"] == "staging" else ():
            if parent.startswith("source.") and _folder(manifest["sources"][parent]["original_file_path"]) != folder:
                misplaced.append(f"{node['name']}: source {parent} declared in {manifest['sources'][parent]['original_file_path']}")
    for test in manifest["unit_tests"].values():
        tested = models[f"model.dlxh_warehouse.{test['model']}"]
        if _folder(test["original_file_path"]) != _folder(tested["original_file_path"]):
            misplaced.append(f"unit test {test['name']}: {test['original_file_path']} not beside {tested['original_file_path']}")
    assert misplaced == []
    domains = {_folder(n["original_file_path"]).parts[2] for n in models.values() if n["schema"] == "marts"}
    assert {"reporting", "opinion", "hot_spots"} <= domains
    # The watermark and test-scope macros live apart, with the README that explains them.
    advanced = {m["name"]: m["original_file_path"] for m in manifest["macros"].values() if m["package_name"] == "dlxh_warehouse"}
    assert all(advanced[name].startswith("macros/advanced/") for name in ("signal_watermark", "source_watermark", "get_where_subquery"))
    assert (ROOT / "dbt_project" / "macros" / "advanced" / "README.md").is_file()
