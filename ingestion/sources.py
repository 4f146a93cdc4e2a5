"""The registry of sources: every package `ingestion/<name>/` whose `spec.py` defines ``SPEC``.

Adding a source is adding such a package (and its dbt staging model): the CLI (`dlxh ingest`),
the inbox, the ingest DAG, its asset, `dlxh run` and the build DAG's schedule are derived from the
specs found here. Reading the registry imports only the spec modules (no pandas, no parsers).
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from pathlib import Path
from typing import Any

import ingestion
from dlxh.core.schema import apply_sql_files
from ingestion.spec import SourceSpec


@cache
def specs() -> tuple[SourceSpec, ...]:
    """Every declared source, in pipeline order."""
    found = []
    for module in pkgutil.iter_modules(ingestion.__path__):
        if not module.ispkg:
            continue
        try:
            spec_module = importlib.import_module(f"ingestion.{module.name}.spec")
        except ModuleNotFoundError as exc:
            if exc.name == f"ingestion.{module.name}.spec":
                continue  # a shared package (reference/, …), not a source
            raise
        spec = getattr(spec_module, "SPEC", None)
        if not isinstance(spec, SourceSpec):
            raise TypeError(f"ingestion/{module.name}/spec.py must define SPEC = SourceSpec(...)")
        if spec.name != module.name:
            raise ValueError(f"ingestion/{module.name}/spec.py declares source {spec.name!r}: a source is named like its package")
        found.append(spec)
    return tuple(sorted(found, key=lambda s: (s.order, s.name)))


def source_names() -> tuple[str, ...]:
    return tuple(s.name for s in specs())


def spec_of(name: str) -> SourceSpec:
    for spec in specs():
        if spec.name == name:
            return spec
    raise KeyError(f"unknown source {name!r}; known: {', '.join(source_names())}")


def get_source(name: str, **options: Any) -> Any:
    """An instance of a source; options are the spec's (surveys: form=PATH; scans: tool=NAME)."""
    return spec_of(name).build(**options)


def ensure_tables(conn: Any) -> list[Path]:
    """Create the tables of sources that bring their own DDL (every ingest and build; runs the DDL
    only when it changed, see dlxh.core.schema). Returns the DDL files of all sources."""
    files = [f for spec in specs() for f in spec.ddl_files()]
    if files:
        # Under the warehouse schema's lock: its role grants and a source's DDL touch the same
        # catalog rows (concurrent bootstraps failed with "tuple concurrently updated").
        apply_sql_files(conn, files, "sources")
    return files
