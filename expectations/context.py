"""The GX data context, built from `definitions.py` on every run: code is the only truth.

An ephemeral context: the data source, assets, suites, validation definitions and checkpoints
live in memory and are added from the definitions each run, so nothing generated sits in the
repository and nothing needs reconciling. Only what GX writes out goes to disk, under
`$DLXH_HOME/gx` (outside the git tree): the validation results and the HTML Data Docs.
Great Expectations is imported inside functions only (it takes seconds to import).
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Any

from dlxh.core.settings import Settings, load_settings
from expectations.definitions import (
    ASSET_BY_NAME,
    ASSETS,
    CHECKPOINTS,
    CONNECTION_ENV,
    DATASOURCE,
    GX_HOME_ENV,
    MONTHLY,
    SUITE_BY_NAME,
    SUITES,
    AssetSpec,
    CheckpointSpec,
    ExpectationSpec,
    SuiteSpec,
)

DATA_DOCS_SITE = "local_site"


def gx_home(settings: Settings | None = None) -> Path:
    """Where validation results and Data Docs are written: $DLXH_HOME/gx (outside the git tree)."""
    settings = settings or load_settings()
    return settings.home / "gx"


def data_docs_dir(settings: Settings | None = None) -> Path:
    return gx_home(settings) / "data_docs"


def export_environment(settings: Settings | None = None) -> None:
    """Set the variables the context substitutes (connection string, output folder)."""
    from dlxh.core.db import warehouse_target

    settings = settings or load_settings()
    home = gx_home(settings)
    home.mkdir(parents=True, exist_ok=True)
    os.environ[GX_HOME_ENV] = str(home)
    os.environ[CONNECTION_ENV] = warehouse_target(settings).url()
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")


def _project_config(home: Path) -> Any:
    from great_expectations.data_context.types.base import DataContextConfig, InMemoryStoreBackendDefaults

    config = DataContextConfig(store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False), analytics_enabled=False)
    # Results and Data Docs on disk, so the docs index lists every month validated so far.
    config.stores[config.validation_results_store_name] = {
        "class_name": "ValidationResultsStore",
        "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(home / "validations")},
    }
    config.data_docs_sites = {
        DATA_DOCS_SITE: {
            "class_name": "SiteBuilder",
            "show_how_to_buttons": False,
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(home / "data_docs")},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        }
    }
    return config


def get_context(settings: Settings | None = None, month: date | None = None):
    """An ephemeral context holding every data source, asset, suite and checkpoint of the definitions.

    With `month` (what a validation run passes), each monthly asset is that month's rows
    (`month_bounded`) and its one batch is the whole of them; without it, the assets are the whole
    tables and queries, in GX's monthly batches on `period_month`."""
    import great_expectations as gx

    export_environment(settings)
    context = gx.get_context(mode="ephemeral", project_config=_project_config(gx_home(settings)))
    add_objects(context, month)
    return context


def add_objects(context: Any, month: date | None = None) -> None:
    datasource = context.data_sources.add_postgres(name=DATASOURCE, connection_string="${" + CONNECTION_ENV + "}")
    for spec in ASSETS:
        _add_asset(datasource, spec, month)
    for suite in SUITES:
        _add_suite(context, suite)
    for cp in CHECKPOINTS:
        _add_checkpoint(context, datasource, cp)


def month_bounded(spec: AssetSpec, month: date) -> str:
    """The asset's rows of one month, as a query: a range on `period_month` the planner pushes into
    the table scans (an index serves it), so a check costs the month's rows, not the history's.

    Not GX's monthly batches: their filter, `extract(year …) = … and extract(month …) = …`, is
    served by no index (each check and each listing of the batches read every month ever
    loaded), and PostgreSQL estimates it at a few rows. On top of this range the estimate made
    the uniqueness check of 1.3 M scanned items a nested loop that ran 162 s; the range alone is
    estimated from the column's statistics."""
    first = date(month.year, month.month, 1)
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    rows = spec.query or f"select * from {spec.table}"
    return (
        f"select * from ({rows}) as asset_rows "
        f"where period_month >= date '{first.isoformat()}' and period_month < date '{following.isoformat()}'"
    )


def _add_asset(datasource: Any, spec: AssetSpec, month: date | None = None) -> None:
    if spec.batch_definition == MONTHLY and month is not None:
        # the month is the query: its one batch is all of it (the runner skips an empty month)
        asset = datasource.add_query_asset(name=spec.name, query=month_bounded(spec, month))
        asset.add_batch_definition_whole_table(spec.batch_definition)
        return
    if spec.table:
        schema, _, table = spec.table.partition(".")
        asset = datasource.add_table_asset(name=spec.name, table_name=table, schema_name=schema)
    else:
        asset = datasource.add_query_asset(name=spec.name, query=spec.query)
    if spec.batch_definition == MONTHLY:
        # period_month is a date by contract; GX would otherwise need a row present to check it
        asset.add_batch_definition_monthly(spec.batch_definition, column="period_month", validate_batchable=False)
    else:
        asset.add_batch_definition_whole_table(spec.batch_definition)


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


def _add_suite(context: Any, spec: SuiteSpec) -> Any:
    import great_expectations as gx

    suite = gx.ExpectationSuite(name=spec.name, meta={"title": spec.title})
    for e in spec.expectations:
        suite.add_expectation(build_expectation(e))
    return context.suites.add(suite)


def _add_checkpoint(context: Any, datasource: Any, spec: CheckpointSpec) -> Any:
    import great_expectations as gx
    from great_expectations.checkpoint import UpdateDataDocsAction

    vds = []
    for suite_name in spec.suites:
        asset_spec = ASSET_BY_NAME[SUITE_BY_NAME[suite_name].asset]
        batch_def = datasource.get_asset(asset_spec.name).get_batch_definition(asset_spec.batch_definition)
        vd = gx.ValidationDefinition(name=spec.validation_definition(suite_name), data=batch_def, suite=context.suites.get(suite_name))
        vds.append(context.validation_definitions.add(vd))
    return context.checkpoints.add(
        gx.Checkpoint(
            name=spec.name,
            validation_definitions=vds,
            actions=[UpdateDataDocsAction(name="update_data_docs")],
            result_format={"result_format": "COMPLETE", "unexpected_index_column_names": list(spec.key_columns)},
        )
    )
