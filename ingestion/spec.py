"""What a source declares about itself, and the one place everything else reads it from.

Each source is a package `ingestion/<name>/` with a module `spec.py` that defines ``SPEC``, a
`SourceSpec`. From it are derived, with no other edit:

* the registry (`ingestion.sources`): `dlxh ingest <name>`, its options and help;
* the inbox folder `$DLXH_INBOX/<name>/`, the file endings read there and the side files left alone;
* the Airflow asset the source emits (`asset`) and its ingest DAG `dlxh_ingest_<name>`
  (`dags/dlxh_ingest.py`), its queue and its place in `dlxh run` (`order`);
* the months a load touched (`months_from`), carried in the asset event to the build and validation;
* the raw tables and their keys (checked against the database by tests/test_sources_spec.py), and
  the DDL of a source that brings its own tables (`ddl`, applied before every ingest and build).

A spec module imports nothing heavy: the DAG files read every spec when Airflow parses them. The
source class itself (``factory``, "module:Class") is imported only when a file is loaded.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from dlxh.core.queues import DEFAULT

OptionKind = Literal["text", "path", "flag"]
FolderOptions = Callable[[Path, Path], dict[str, str] | None]


@dataclass(frozen=True)
class RawTable:
    """A table the source lands, with its primary key as the DDL declares it."""

    name: str
    key: tuple[str, ...]
    description: str = ""


@dataclass(frozen=True)
class SourceOption:
    """A keyword argument of the source class, offered as `dlxh ingest <source> --<name>`."""

    name: str
    help: str
    kind: OptionKind = "text"
    required: bool = False

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")


@dataclass(frozen=True)
class SourceSpec:
    name: str
    title: str
    factory: str
    suffixes: frozenset[str]
    tables: tuple[RawTable, ...]
    # The raw table and date column whose distinct months a load touched (rows carry `load_id`).
    months_from: tuple[str, str] | None = None
    options: tuple[SourceOption, ...] = ()
    # Files in the inbox that are not inputs of this source (a survey's form, a tool's mapping).
    side_files: frozenset[str] = frozenset()
    # Source options a file needs, from where it sits in the inbox: (inbox root, file) -> options;
    # None = the file is not where it must be (left in the inbox with a warning naming `placement`).
    folder_options: FolderOptions | None = None
    placement: str = ""
    # SQL files (relative to the spec's package) creating this source's own tables, idempotently.
    ddl: tuple[str, ...] = ()
    # Celery queue of the task that loads this source's files (dlxh.core.queues).
    queue: str = DEFAULT
    # Position in `dlxh run` (the unit registry first: every other source resolves units by it).
    order: int = 100
    # Files per mapped ingest task when the DAG fans out over new files.
    batch_size: int = 50
    package_dir: Path = field(default=Path("."), compare=False)

    @property
    def asset(self) -> str:
        """The asset name the ingest DAG emits; the build DAG is scheduled on all of them."""
        return f"warehouse.raw.{self.name}"

    @property
    def dag_id(self) -> str:
        return f"dlxh_ingest_{self.name}"

    @property
    def table_names(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.tables)

    def months_sql(self) -> str | None:
        if self.months_from is None:
            return None
        table, column = self.months_from
        return f"select distinct {column} from {table} where load_id = %s and {column} is not null"

    def ddl_files(self) -> list[Path]:
        return [self.package_dir / rel for rel in self.ddl]

    def source_class(self) -> Any:
        module, _, attr = self.factory.partition(":")
        return getattr(importlib.import_module(module), attr)

    def build(self, **options: Any) -> Any:
        """An instance of the source class with the given options (unknown names are an error)."""
        known = {o.name for o in self.options}
        unknown = sorted(set(options) - known)
        if unknown:
            raise TypeError(f"source {self.name!r} takes no option {', '.join(unknown)}; it takes: {', '.join(sorted(known)) or 'none'}")
        return self.source_class()(**options)

    def options_for(self, inbox_root: Path, path: Path) -> dict[str, str] | None:
        """Options for an inbox file: {} when the source needs none, None when the file is misplaced."""
        if self.folder_options is None:
            return {}
        return self.folder_options(inbox_root, path)
