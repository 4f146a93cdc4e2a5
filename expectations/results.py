"""Turn GX checkpoint results into typed records and store them in the `quality` schema."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from expectations.definitions import CheckpointSpec

DETAIL_LIST_LIMIT = 200  # rows kept in details jsonb per expectation (offending_keys keeps them all)


@dataclass
class ExpectationOutcome:
    checkpoint: str
    suite: str
    expectation: str  # stable name from definitions.py
    expectation_type: str
    description: str
    column_name: str | None
    success: bool
    observed_value: str | None
    element_count: int | None
    unexpected_count: int | None
    offending_keys: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class StoredRun:
    run_id: int
    outcomes: list[ExpectationOutcome]


def _key(row: Any, key_columns: tuple[str, ...]) -> str | None:
    if isinstance(row, dict):
        values = [row.get(c) for c in key_columns]
    elif isinstance(row, (list, tuple)) and row:
        values = [row[0]]
    else:
        values = [row]
    values = [v for v in values if v is not None]
    return ":".join(str(v) for v in values) if values else None


def _exception_message(info: Any) -> str | None:
    """GX reports errors flat ({raised_exception, exception_message}) or per metric id."""
    if not isinstance(info, dict):
        return None
    if info.get("raised_exception"):
        return info.get("exception_message")
    for value in info.values():
        if isinstance(value, dict) and value.get("raised_exception"):
            return value.get("exception_message")
    return None


def outcomes_from_checkpoint(result: Any, spec: CheckpointSpec) -> list[ExpectationOutcome]:
    """One outcome per expectation; offending keys come from GX's unexpected index list
    (column-map expectations) or from the rows an UnexpectedRowsExpectation returned."""
    out: list[ExpectationOutcome] = []
    for vr in result.run_results.values():
        suite = vr.suite_name
        for r in vr.results:
            cfg = r.expectation_config
            res = dict(r.result or {})
            kwargs = cfg.kwargs or {}
            if "unexpected_index_list" in res:
                rows = res.get("unexpected_index_list") or []
            else:
                rows = (res.get("details") or {}).get("unexpected_rows") or []
            keys = sorted({k for k in (_key(row, spec.key_columns) for row in rows) if k is not None})
            unexpected = res.get("unexpected_count")
            if unexpected is None and cfg.type == "unexpected_rows_expectation":
                unexpected = res.get("observed_value")
            observed = res.get("observed_value")
            if observed is None and unexpected is not None:
                observed = f"{unexpected}/{res.get('element_count')} không đạt"
            details = {
                "kwargs": {k: v for k, v in kwargs.items() if k not in ("batch_id",)},
                "unexpected_percent": res.get("unexpected_percent"),
                "unexpected_rows": rows[:DETAIL_LIST_LIMIT],
            }
            error = _exception_message(r.exception_info)
            if error:
                details["exception"] = error
            out.append(
                ExpectationOutcome(
                    checkpoint=spec.name,
                    suite=suite,
                    expectation=(cfg.meta or {}).get("name") or cfg.type,
                    expectation_type=cfg.type,
                    description=cfg.description or "",
                    column_name=kwargs.get("column") or (f"{kwargs['column_A']},{kwargs['column_B']}" if "column_A" in kwargs else None),
                    success=bool(r.success),
                    observed_value=None if observed is None else str(observed),
                    element_count=res.get("element_count"),
                    unexpected_count=None if unexpected is None else int(unexpected),
                    offending_keys=keys,
                    details=details,
                )
            )
    return out


def store_run(
    conn: Any,
    month: date,
    outcomes: list[ExpectationOutcome],
    checkpoints: list[str],
    gx_run_name: str,
    data_docs_path: str | None,
    strict: bool,
    started_at: Any,
    duration_ms: int,
) -> int:
    """Insert one quality.validation_runs row and its results in one transaction; returns run_id."""
    failed = sum(not o.success for o in outcomes)
    with conn, conn.cursor() as cur:
        cur.execute(
            """insert into quality.validation_runs
                   (run_at, finished_at, period_month, checkpoint, success, evaluated, failed, gx_run_name, data_docs_path,
                    strict, duration_ms)
               values (%s, now(), %s, %s, %s, %s, %s, %s, %s, %s, %s) returning run_id""",
            (
                started_at,
                month,
                ",".join(checkpoints),
                failed == 0,
                len(outcomes),
                failed,
                gx_run_name,
                data_docs_path,
                strict,
                duration_ms,
            ),
        )
        run_id = cur.fetchone()[0]
        for o in outcomes:
            cur.execute(
                """insert into quality.validation_results
                       (run_id, period_month, checkpoint, suite, expectation, expectation_type, description, column_name,
                        success, observed_value, element_count, unexpected_count, offending_keys, details)
                   values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
                (
                    run_id,
                    month,
                    o.checkpoint,
                    o.suite,
                    o.expectation,
                    o.expectation_type,
                    o.description,
                    o.column_name,
                    o.success,
                    o.observed_value,
                    o.element_count,
                    o.unexpected_count,
                    o.offending_keys,
                    json.dumps(o.details, ensure_ascii=False, default=str),
                ),
            )
    return run_id
