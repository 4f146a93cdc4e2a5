"""The build DAG's dbt tasks: one `dbt build` of the whole project, then one light task per model.

The producer (`dbt.build`) runs `dlxh.build.build()` — exactly what `dlxh build` runs: one dbt
start, dbt's own threads, every model with its tests in dbt's order — and returns each node's
outcome (XCom). Each model's task (`dbt.<model>`) reads its model's and tests' outcome from there:

* built and tested fine: success, nothing re-run;
* the model failed or one of its tests failed: the task fails; its retry runs the model alone
  (`dbt build --select <model>`: the model and its tests), once the cause is fixed;
* skipped by dbt because something upstream failed: by the time this task runs its upstream
  tasks have succeeded (retried), so it builds the model itself at once.

The model graph comes from the precompiled manifest (`dlxh build --manifest-only`), so parsing
the DAG never runs dbt.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger("dlxh")
OK = {"success", "pass", "warn", "no-op"}  # dbt: a test with severity warn does not fail the build
UPSTREAM_SKIP = {"skipped"}


@dataclass
class Model:
    unique_id: str
    name: str
    parents: list[str] = field(default_factory=list)  # model unique_ids
    checks: list[str] = field(default_factory=list)  # data and unit tests attached to the model


def models_of(manifest: Path) -> dict[str, Model]:
    """Models (and seeds/snapshots) with their model parents and the tests attached to each."""
    data = json.loads(manifest.read_text(encoding="utf-8"))
    buildable = ("model", "seed", "snapshot")
    models = {uid: Model(uid, node["name"]) for uid, node in data["nodes"].items() if node["resource_type"] in buildable}
    for uid, model in models.items():
        model.parents = [p for p in data["nodes"][uid]["depends_on"]["nodes"] if p in models and p != uid]
    for uid, node in data["nodes"].items():
        if node["resource_type"] == "test":
            target = node.get("attached_node") or next((p for p in node["depends_on"]["nodes"] if p in models), None)
            if target in models:
                models[target].checks.append(uid)
    for uid, test in (data.get("unit_tests") or {}).items():
        target = next((p for p in test["depends_on"]["nodes"] if p in models), None)
        if target:
            models[target].checks.append(uid)
    return models


def produce(as_of: str | None = None) -> dict[str, Any]:
    """The whole project in one `dbt build`; each node's outcome for the model tasks.

    Node failures do not fail this task (the models' tasks fail, each on its own); dbt not
    running at all does."""
    from dlxh.build import build

    summary = build(as_of=as_of, check=False)
    log.info(summary.render())
    return {"results": summary.results, "elapsed_s": summary.elapsed_s, "as_of": summary.as_of}


def model_outcome(model: Model, results: dict[str, dict[str, Any]]) -> tuple[str, list[str]]:
    """('ok' | 'failed' | 'upstream', lines for the task log) from the producer's node results."""
    own = results.get(model.unique_id)
    if own is None:
        return "upstream", [f"{model.name}: not in the producer's results"]
    lines = [f"{model.name}: {own['status']} in {own['seconds']}s {own['message']}".rstrip()]
    if own["status"] in UPSTREAM_SKIP:
        return "upstream", lines
    failed = own["status"] not in OK
    for uid in model.checks:
        check = results.get(uid)
        if check is None:
            continue
        lines.append(f"  {uid}: {check['status']} {check['message']}".rstrip())
        if check["status"] not in OK and check["status"] not in UPSTREAM_SKIP:
            failed = True
    return ("failed" if failed else "ok"), lines


def run_model(model: Model, produced: dict[str, Any] | None, try_number: int) -> str | None:
    """A model task's body (see the module docstring): the model's name when this task rebuilt it,
    else None. (None pushes no XCom: under dag.test() every XCom is a request to the execution
    API, and a build DAG has a task per model.)"""
    from dlxh.build import build

    results = (produced or {}).get("results") or {}
    outcome, lines = model_outcome(model, results)
    log.info("\n".join(lines))  # one record: each goes through the task log's handlers on its own
    if outcome == "ok":
        return None
    if outcome == "failed" and try_number <= 1:
        raise RuntimeError(f"dbt: {model.name} failed in the project build (see above); a retry builds it alone once the cause is fixed")
    log.info("building %s alone (%s)", model.name, "retry" if outcome == "failed" else "its upstream was rebuilt")
    # BUILDABLE: only the tests whose other parents are built (all are, upstream tasks succeeded).
    summary = build(as_of=(produced or {}).get("as_of"), select=model.name, indirect_selection="buildable")
    log.info(summary.render())
    return model.name


def relationship_results(produced: dict[str, Any] | None) -> tuple[int, list[str]]:
    """The relationships tests of the producer's build: (how many ran, the ones that did not pass)."""
    results = (produced or {}).get("results") or {}
    ran = {uid: r for uid, r in results.items() if uid.startswith("test.") and ".relationships_" in uid}
    return len(ran), [f"{uid}: {r['status']}" for uid, r in ran.items() if r["status"] not in OK]


def models_all_ok(models: dict[str, Model], produced: dict[str, Any] | None) -> bool:
    """Every model and its tests passed in the producer's build: then no model task rebuilt
    anything (run_model builds only a model whose outcome was not 'ok', on any try)."""
    results = (produced or {}).get("results") or {}
    return all(model_outcome(model, results)[0] == "ok" for model in models.values())


def relationship_tests_after(produced: dict[str, Any] | None, models: dict[str, Model]) -> str:
    """The build DAG's last dbt step: the fact -> dimension relationship tests passed in the
    project build (`produced`), and they still hold when no model was rebuilt since, i.e. when
    every model of `models` and its tests passed there. Else (a model was rebuilt by its task),
    or when there was no project build (cosmos watcher: `produced` is None), run them now.

    Decided from the producer's one XCom, not by pulling each model task's: under dag.test()
    each pull is a request to the execution API, one per model."""
    import logging

    from dlxh.build import build

    log = logging.getLogger("dlxh")
    if produced is not None:
        ran, failed = relationship_results(produced)
        if ran and not failed and models_all_ok(models, produced):
            message = f"{ran} relationship tests passed in the project build (dbt.build)"
            log.info(message)
            return message
    summary = build(select="test_name:relationships")
    log.info(summary.render())
    return summary.render()
