"""The GX file data context in `expectations/gx/`, made equal to `definitions.py` on every run.

Get-or-create, idempotent: an object is written only when it is missing or differs from its
definition, so repeated runs leave the committed files untouched (no fresh ids, no git noise).
Great Expectations is imported inside functions only (it takes seconds to import).
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from dlxh.core.settings import Settings, load_settings
from expectations.definitions import (
    ASSETS,
    CHECKPOINTS,
    CONNECTION_ENV,
    DATASOURCE,
    GX_HOME_ENV,
    MONTHLY,
    SUITES,
    AssetSpec,
    ExpectationSpec,
    SuiteSpec,
)

CONTEXT_ROOT = Path(__file__).resolve().parent  # GX puts its context in <root>/gx
GX_DIR = CONTEXT_ROOT / "gx"


def gx_home(settings: Settings | None = None) -> Path:
    """Where validation results and Data Docs are written: $DLXH_HOME/gx (outside the git tree)."""
    settings = settings or load_settings()
    return settings.home / "gx"


def data_docs_dir(settings: Settings | None = None) -> Path:
    return gx_home(settings) / "data_docs"


def export_environment(settings: Settings | None = None) -> None:
    """Set the variables great_expectations.yml substitutes (connection string, output folder)."""
    from dlxh.core.db import warehouse_target

    settings = settings or load_settings()
    home = gx_home(settings)
    home.mkdir(parents=True, exist_ok=True)
    os.environ[GX_HOME_ENV] = str(home)
    os.environ[CONNECTION_ENV] = warehouse_target(settings).url()
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")


@contextmanager
def _setup_lock() -> Iterator[None]:
    """Serialise get-or-create across processes sharing this checkout (CLI, Airflow tasks, tests)."""
    lock_dir = GX_DIR / "uncommitted"
    lock_dir.mkdir(parents=True, exist_ok=True)
    with open(lock_dir / ".setup.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def get_context(settings: Settings | None = None):
    """The file data context, with every data source, asset, suite and checkpoint in place."""
    import great_expectations as gx

    export_environment(settings)
    with _setup_lock():
        context = gx.get_context(mode="file", project_root_dir=str(CONTEXT_ROOT))
        ensure_objects(context)
    return context


def ensure_objects(context: Any) -> None:
    datasource = _ensure_datasource(context)
    for spec in ASSETS:
        _ensure_asset(datasource, spec)
    for suite in SUITES:
        _ensure_suite(context, suite)
    for cp in CHECKPOINTS:
        _ensure_checkpoint(context, datasource, cp)
    _prune(context, datasource)


def _prune(context: Any, datasource: Any) -> None:
    """Delete objects no longer defined (renamed checkpoints, suites, assets), so the files converge."""
    checkpoints = {c.name for c in CHECKPOINTS}
    for cp in context.checkpoints.all():
        if cp.name not in checkpoints:
            context.checkpoints.delete(cp.name)
    definitions = {c.validation_definition(s) for c in CHECKPOINTS for s in c.suites}
    for vd in context.validation_definitions.all():
        if vd.name not in definitions:
            context.validation_definitions.delete(vd.name)
    suites = {s.name for s in SUITES}
    for suite in context.suites.all():
        if suite.name not in suites:
            context.suites.delete(suite.name)
    assets = {a.name for a in ASSETS}
    for asset in list(datasource.assets):
        if asset.name not in assets:
            datasource.delete_asset(asset.name)


def _ensure_datasource(context: Any) -> Any:
    wanted = "${" + CONNECTION_ENV + "}"
    try:
        ds = context.data_sources.get(DATASOURCE)
    except (KeyError, ValueError, LookupError):
        ds = None
    if ds is not None and _raw_connection_string(ds) == wanted:
        return ds
    if ds is None:
        return context.data_sources.add_postgres(name=DATASOURCE, connection_string=wanted)
    return context.data_sources.update_postgres(name=DATASOURCE, connection_string=wanted, assets=ds.assets)


def _raw_connection_string(ds: Any) -> str:
    cs = ds.connection_string
    template = getattr(cs, "template_str", None)
    return str(template if template is not None else cs)


def _ensure_asset(datasource: Any, spec: AssetSpec) -> None:
    asset = next((a for a in datasource.assets if a.name == spec.name), None)
    if asset is not None and not _asset_matches(asset, spec):
        datasource.delete_asset(spec.name)
        asset = None
    if asset is None:
        if spec.table:
            schema, _, table = spec.table.partition(".")
            asset = datasource.add_table_asset(name=spec.name, table_name=table, schema_name=schema)
        else:
            asset = datasource.add_query_asset(name=spec.name, query=spec.query)
    if not any(bd.name == spec.batch_definition for bd in asset.batch_definitions):
        if spec.batch_definition == MONTHLY:
            # period_month is a date by contract; GX would otherwise need a row present to check it
            asset.add_batch_definition_monthly(spec.batch_definition, column="period_month", validate_batchable=False)
        else:
            asset.add_batch_definition_whole_table(spec.batch_definition)


def _asset_matches(asset: Any, spec: AssetSpec) -> bool:
    if spec.table:
        schema, _, table = spec.table.partition(".")
        return getattr(asset, "table_name", None) == table and getattr(asset, "schema_name", None) == schema
    return getattr(asset, "query", None) == spec.query


def build_expectation(spec: ExpectationSpec) -> Any:
    import great_expectations.expectations as gxe

    kwargs = dict(spec.kwargs)
    if spec.when is not None:
        kwargs["row_condition"] = _condition(spec.when)
    return getattr(gxe, spec.gx_type)(**kwargs, description=spec.description, meta={"name": spec.name})


def _condition(when: tuple[str, str, Any]) -> Any:
    from great_expectations.expectations.row_conditions import Column

    column, op, value = when
    col = Column(column)
    if op == "in":
        return col.is_in(value)
    if op == "!=":
        return col != value
    if op == "==":
        return col == value
    raise ValueError(f"unsupported row condition operator {op!r} for column {column!r}")


def _comparable(expectation: Any) -> str:
    data = expectation.configuration.to_json_dict()
    data.pop("id", None)
    return json.dumps(data, sort_keys=True, default=str)


def _ensure_suite(context: Any, spec: SuiteSpec) -> Any:
    import great_expectations as gx

    wanted = [build_expectation(e) for e in spec.expectations]
    try:
        suite = context.suites.get(spec.name)
    except Exception:  # DataContextError when absent: its exact type varies across 1.x releases
        suite = None
    if suite is None:
        suite = gx.ExpectationSuite(name=spec.name, meta={"title": spec.title})
        for e in wanted:
            suite.add_expectation(e)
        return context.suites.add(suite)
    if [_comparable(e) for e in suite.expectations] == [_comparable(e) for e in wanted] and suite.meta.get("title") == spec.title:
        return suite
    for e in list(suite.expectations):
        suite.delete_expectation(e)
    for e in wanted:
        suite.add_expectation(e)
    suite.meta["title"] = spec.title
    suite.save()
    return suite


def _ensure_checkpoint(context: Any, datasource: Any, spec: Any) -> Any:
    import great_expectations as gx
    from great_expectations.checkpoint import UpdateDataDocsAction

    from expectations.definitions import ASSET_BY_NAME, SUITE_BY_NAME

    vds = []
    for suite_name in spec.suites:
        asset_spec = ASSET_BY_NAME[SUITE_BY_NAME[suite_name].asset]
        batch_def = datasource.get_asset(asset_spec.name).get_batch_definition(asset_spec.batch_definition)
        suite = context.suites.get(suite_name)
        name = spec.validation_definition(suite_name)
        try:
            vd = context.validation_definitions.get(name)
        except Exception:  # absent
            vd = None
        if vd is None or vd.suite.id != suite.id or vd.batch_definition.id != batch_def.id:
            vd = context.validation_definitions.add_or_update(gx.ValidationDefinition(name=name, data=batch_def, suite=suite))
        vds.append(vd)
    result_format = {"result_format": "COMPLETE", "unexpected_index_column_names": list(spec.key_columns)}
    try:
        cp = context.checkpoints.get(spec.name)
    except Exception:  # absent
        cp = None
    if (
        cp is not None
        and [v.name for v in cp.validation_definitions] == [v.name for v in vds]
        and [v.id for v in cp.validation_definitions] == [v.id for v in vds]
        and _result_format_dict(cp.result_format) == result_format
        and [a.type for a in cp.actions] == ["update_data_docs"]
    ):
        return cp
    return context.checkpoints.add_or_update(
        gx.Checkpoint(
            name=spec.name,
            validation_definitions=vds,
            actions=[UpdateDataDocsAction(name="update_data_docs")],
            result_format=result_format,
        )
    )


def _result_format_dict(rf: Any) -> Any:
    if isinstance(rf, dict):
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in rf.items()}
    return rf
