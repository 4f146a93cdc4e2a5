"""The shared ingestion loop: file registry, one transaction per file, quarantine, import summary.

A source package declares a `SourceSpec` (ingestion/spec.py: its raw tables and their keys, file
endings, options, asset) and its source class implements ``load_file``. The loop guarantees, for every source:

* every file read ends as loaded, a duplicate (same content hash as a file already loaded),
  partly loaded, or quarantined with a reason; every row read is loaded, unchanged (already
  there) or quarantined, so ``read = loaded + updated + unchanged + quarantined``;
* one database transaction per file, so a task retried halfway never double-loads;
* a crash while parsing one file quarantines that file and the batch goes on.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, ClassVar, Protocol

from dlxh.core.errors import DatabaseUnavailable, InputError
from dlxh.core.tabular import reject_sink
from ingestion.spec import SourceSpec


@dataclass
class Quarantined:
    reason_code: str
    reason: str
    row_number: int | None = None
    field: str | None = None
    record: dict[str, Any] | None = None


@dataclass
class FileOutcome:
    path: str
    file_hash: str
    status: str = "loaded"  # loaded | partial | quarantined | duplicate
    rows_read: int = 0
    rows_loaded: int = 0
    rows_updated: int = 0
    rows_unchanged: int = 0
    rows_quarantined: int = 0
    quarantined: list[Quarantined] = field(default_factory=list)
    detail: dict[str, Any] = field(default_factory=dict)

    def quarantine(self, q: Quarantined) -> None:
        self.quarantined.append(q)

    def settle(self) -> None:
        """Derive the file status from what happened to its rows."""
        if self.status == "duplicate":
            return
        file_level = [q for q in self.quarantined if q.row_number is None]
        self.rows_quarantined = max(self.rows_quarantined, len({q.row_number for q in self.quarantined if q.row_number is not None}))
        if file_level or (self.rows_read and self.rows_quarantined == self.rows_read):
            self.status = "quarantined"
        elif self.rows_quarantined:
            self.status = "partial"
        else:
            self.status = "loaded"


@dataclass
class FileContext:
    path: Path
    file_hash: str
    load_id: int
    first_seen_at: datetime
    file_mtime: datetime
    _data: bytes | None = field(default=None, repr=False)

    @property
    def data(self) -> bytes:
        """The whole file, read on first use (documents and small forms). Large exports should
        stream with `open()` instead, so memory stays bounded."""
        if self._data is None:
            self._data = self.path.read_bytes()
        return self._data

    def open(self) -> BinaryIO:
        return self.path.open("rb")


@dataclass
class ImportSummary:
    source: str
    load_id: int
    started_at: str
    finished_at: str | None = None
    files: list[FileOutcome] = field(default_factory=list)

    def totals(self) -> dict[str, int]:
        t = {
            "files_read": len(self.files),
            "files_loaded": sum(f.status == "loaded" for f in self.files),
            "files_partial": sum(f.status == "partial" for f in self.files),
            "files_quarantined": sum(f.status == "quarantined" for f in self.files),
            "files_duplicate": sum(f.status == "duplicate" for f in self.files),
        }
        for key in ("rows_read", "rows_loaded", "rows_updated", "rows_unchanged", "rows_quarantined"):
            t[key] = sum(getattr(f, key) for f in self.files)
        return t

    def reconciles(self) -> bool:
        t = self.totals()
        return t["rows_read"] == t["rows_loaded"] + t["rows_updated"] + t["rows_unchanged"] + t["rows_quarantined"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "load_id": self.load_id,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "totals": self.totals(),
            "reconciles": self.reconciles(),
            "files": [asdict(f) for f in self.files],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2, default=str)

    def render(self) -> str:
        """Human summary in Vietnamese, in the manner of DHIS2's import summary."""
        t = self.totals()
        lines = [
            f"Tóm tắt nhập dữ liệu — nguồn «{self.source}» (lần nạp #{self.load_id})",
            f"  Tệp đã đọc: {t['files_read']} · nạp đủ: {t['files_loaded']} · nạp một phần: {t['files_partial']}"
            f" · trùng (bỏ qua): {t['files_duplicate']} · cách ly: {t['files_quarantined']}",
            f"  Dòng đã đọc: {t['rows_read']} · nạp mới: {t['rows_loaded']} · cập nhật: {t['rows_updated']}"
            f" · không đổi: {t['rows_unchanged']} · cách ly: {t['rows_quarantined']}"
            + ("" if self.reconciles() else "  ⚠ SỐ LIỆU KHÔNG KHỚP"),
        ]
        for f in self.files:
            # What loaded but needs a person's eye (unmatched places or topics, unresolved parents, …).
            notes = [*(f.detail.get("notes") or []), *(f.detail.get("warnings") or [])]
            if notes:
                lines.append(f"  ⚠ {f.path}:")
                lines.extend(f"      - {note}" for note in notes[:20])
            if f.quarantined:
                lines.append(f"  ✗ {f.path}:")
                for q in f.quarantined[:20]:
                    where = "cả tệp" if q.row_number is None else f"dòng {q.row_number}"
                    col = f", trường «{q.field}»" if q.field else ""
                    lines.append(f"      - {where}{col}: {q.reason}")
                if len(f.quarantined) > 20:
                    lines.append(f"      … và {len(f.quarantined) - 20} lý do khác (xem ops.quarantine hoặc --json)")
        return "\n".join(lines)


class Source(Protocol):
    """A source class: its package's spec (name, suffixes, tables and keys: ingestion/spec.py) and
    `load_file` (shaped like a dlt resource / Meltano stream)."""

    spec: ClassVar[SourceSpec]
    name: ClassVar[str]
    suffixes: ClassVar[frozenset[str]]

    def load_file(self, cur: Any, ctx: FileContext, outcome: FileOutcome) -> None:
        """Parse ctx.data and write rows with `cur`, recording counts and quarantines on `outcome`."""

    # Optional: `read_ahead(files, conn)`, a context manager the loop holds open while it loads
    # `files` (in that order), for a source that prepares files ahead (the reports source OCRs
    # scans in threads). What it prepares must not change what `load_file` does with a file.


def expand_paths(paths: Iterable[str | Path], suffixes: frozenset[str]) -> list[Path]:
    files: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if not p.exists():
            raise InputError(f"{p}: no such file or folder")
        if p.is_dir():
            files += sorted(q for q in p.rglob("*") if q.is_file() and not q.name.startswith((".", "~$")) and q.suffix.lower() in suffixes)
        else:
            files.append(p)
    seen: set[Path] = set()
    unique = []
    for f in files:
        r = f.resolve()
        if r not in seen:
            seen.add(r)
            unique.append(f)
    return unique


def dangling_links(paths: Iterable[str | Path], suffixes: frozenset[str]) -> list[Path]:
    """Symbolic links in the given folders whose target is gone (reported, never silently skipped)."""
    found = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found += sorted(
                q
                for q in p.rglob("*")
                if q.is_symlink() and not q.exists() and not q.name.startswith((".", "~$")) and q.suffix.lower() in suffixes
            )
    return found


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    """Content hash read in blocks: a large export is never held in memory whole."""
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


ProgressFn = Callable[[str], None]


def stderr_progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# Advisory-lock key spaces (pg_advisory_lock(int, int)): a load's liveness, a source's writes.
_LOAD_LOCK = 0x444C5831  # "DLX1": held by the connection running a load, for as long as it runs
_SOURCE_LOCK = 0x444C5832  # "DLX2": one file transaction of a source at a time, across processes

log = logging.getLogger(__name__)


def _connection_lost(exc: BaseException) -> bool:
    import psycopg2

    # A statement cancelled or a lock not granted in time is an OperationalError too, on a live connection.
    return isinstance(exc, (psycopg2.OperationalError, psycopg2.InterfaceError)) and not isinstance(
        exc, (psycopg2.errors.QueryCanceled, psycopg2.errors.LockNotAvailable)
    )


def _database_lost(exc: BaseException, where: str) -> DatabaseUnavailable:
    import psycopg2.errors

    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    if isinstance(exc, psycopg2.errors.TransactionRollbackError):
        return DatabaseUnavailable(
            f"PostgreSQL aborted a file's transaction {FILE_ATTEMPTS} times while {where} ({first}); "
            "the files before it are loaded, run the ingest again"
        )
    return DatabaseUnavailable(f"lost the connection to PostgreSQL while {where}: {first}")


def fail_stale_loads(cur: Any, own_load: int | None = None) -> list[int]:
    """Mark as failed the `running` loads whose process is gone (its session lock is free).

    A running load holds a session-level advisory lock on its load id (see `run_ingest`); a load
    left `running` by a process that was killed, or by a server that was stopped, holds nothing.
    """
    # (A session's own advisory locks are re-entrant: its own load must be left out.)
    cur.execute("select load_id from ops.loads where status = 'running' and load_id <> %s order by load_id", (own_load or -1,))
    stale = []
    for (load_id,) in cur.fetchall():
        cur.execute("select pg_try_advisory_lock(%s, %s::int)", (_LOAD_LOCK, load_id % 2**31))
        if cur.fetchone()[0]:
            cur.execute(
                """update ops.loads set status = 'failed', finished_at = coalesce(finished_at, now()),
                       summary = coalesce(summary, '{}'::jsonb) || jsonb_build_object('failure', %s::text)
                   where load_id = %s and status = 'running'""",
                ("interrupted: the process or the database stopped before the load finished", load_id),
            )
            cur.execute("select pg_advisory_unlock(%s, %s::int)", (_LOAD_LOCK, load_id % 2**31))
            stale.append(load_id)
    return stale


def run_ingest(
    source: Source,
    paths: Iterable[str | Path],
    conn: Any,
    progress: ProgressFn | None = stderr_progress,
    analyze: bool = True,
) -> ImportSummary:
    """Ingest files into the warehouse; `conn` is a psycopg2 connection (autocommit off).

    With `analyze` (the default), a load that wrote rows refreshes the statistics of the source's
    tables at its end (`analyze_tables`). A caller that loads one ingest in several batches passes
    False and refreshes them once after the last (the ingest DAGs' publish task): each refresh
    samples the whole history's tables, ~1 s at national scale.

    Safe to run concurrently with other ingests of the same or another source: each file's
    transaction holds a per-source advisory lock, so two processes given the same files load
    each once (the second sees a duplicate) and never mistake the other's rows for a conflict.
    Raises DatabaseUnavailable if the server goes away mid-way (the load is marked failed by
    the next run).
    """
    from ingestion.sources import ensure_tables

    paths = list(paths)
    files = expand_paths(paths, source.suffixes)
    dangling = dangling_links(paths, source.suffixes)
    try:
        ensure_tables(conn)
        with conn, conn.cursor() as cur:
            cur.execute("insert into ops.loads (source) values (%s) returning load_id, started_at", (source.name,))
            load_id, started = cur.fetchone()
            cur.execute("select pg_advisory_lock(%s, %s::int)", (_LOAD_LOCK, load_id % 2**31))
        with conn, conn.cursor() as cur:
            stale = fail_stale_loads(cur, load_id)
    except Exception as exc:
        if _connection_lost(exc):
            raise _database_lost(exc, "starting the load") from exc
        raise
    if stale:
        log.warning("loads %s were left running by a stopped process; marked failed", stale)
    summary = ImportSummary(source.name, load_id, started.isoformat())
    for link in dangling:
        outcome = FileOutcome(str(link), "", status="quarantined")
        outcome.quarantine(
            Quarantined("dangling_link", f"Liên kết «{link.name}» trỏ tới «{link.readlink()}», tệp này không tồn tại; không đọc được.")
        )
        summary.files.append(outcome)
        if progress:
            progress(f"{link.name}: liên kết hỏng (trỏ tới tệp không tồn tại), bỏ qua")
    t0 = time.monotonic()
    status = "failed"
    read_ahead = getattr(source, "read_ahead", None)
    try:
        with read_ahead(files, conn) if read_ahead is not None else contextlib.nullcontext():
            for n, path in enumerate(files, start=1):
                outcome = _ingest_one(source, path, conn, load_id)
                summary.files.append(outcome)
                if progress:
                    progress(
                        f"[{n}/{len(files)}] {path.name}: {outcome.status} — {outcome.rows_loaded} nạp, "
                        f"{outcome.rows_unchanged} không đổi, {outcome.rows_quarantined} cách ly "
                        f"({time.monotonic() - t0:.1f}s)"
                    )
        status = "succeeded"
    except Exception as exc:
        if _connection_lost(exc):
            raise _database_lost(exc, f"loading source {source.name}") from exc
        raise
    finally:
        totals = summary.totals()
        try:
            with conn, conn.cursor() as cur:
                cur.execute(
                    """update ops.loads set finished_at = now(), status = %s, files_read = %s, rows_read = %s,
                           rows_loaded = %s, rows_updated = %s, rows_unchanged = %s, rows_quarantined = %s, summary = %s
                       where load_id = %s returning finished_at""",
                    (
                        status,
                        totals["files_read"],
                        totals["rows_read"],
                        totals["rows_loaded"],
                        totals["rows_updated"],
                        totals["rows_unchanged"],
                        totals["rows_quarantined"],
                        json.dumps(summary.to_dict(), ensure_ascii=False, default=str),
                        load_id,
                    ),
                )
                summary.finished_at = cur.fetchone()[0].isoformat()
                cur.execute("select pg_advisory_unlock(%s, %s::int)", (_LOAD_LOCK, load_id % 2**31))
        except Exception as exc:
            if not _connection_lost(exc):
                raise
            # The server is gone: the load stays `running` until the next run marks it failed.
            if status == "succeeded":
                raise _database_lost(exc, "recording the load") from exc
    if analyze and rows_changed(totals):
        analyze_tables(conn, source.spec.table_names)
    return summary


def rows_changed(totals: dict[str, int]) -> bool:
    """A load (or the batches of one ingest, summed) wrote rows: their tables' statistics are stale."""
    return bool(totals.get("rows_loaded") or totals.get("rows_updated"))


ANALYZE_LOCK_TIMEOUT = "10s"  # how long a load waits to refresh a busy table's statistics


def analyze_tables(conn: Any, tables: Iterable[str]) -> None:
    """Refresh the planner's statistics of tables a load just changed.

    A month's rows lie past the range the statistics saw, and autovacuum re-analyzes a table only
    once a tenth of it changed (a month of a 36-month history is ~3 %): the next stage's queries
    on that month (dbt, validation) were planned for a few rows. One sample of each table
    (~30,000 rows), under a lock timeout: a busy table keeps its old statistics, with a warning,
    and the load stands."""
    from psycopg2 import sql

    tables = list(tables)
    names = [sql.Identifier(*name.split(".", 1)) for name in tables]
    if not names:
        return
    try:
        with conn, conn.cursor() as cur:
            cur.execute("select set_config('lock_timeout', %s, true)", (ANALYZE_LOCK_TIMEOUT,))
            cur.execute(sql.SQL("analyze {}").format(sql.SQL(", ").join(names)))
    except Exception as exc:
        if _connection_lost(exc):
            raise _database_lost(exc, "refreshing the statistics") from exc
        log.warning("statistics of %s not refreshed: %s", ", ".join(tables), str(exc).strip())


def _describe_failure(exc: BaseException) -> str:
    """What went wrong, in Vietnamese, without a traceback (for a file-level quarantine reason)."""
    import psycopg2

    if isinstance(exc, RecursionError):
        return "cấu trúc dữ liệu lồng nhau quá sâu, không đọc được"
    if isinstance(exc, MemoryError):
        return "tệp quá lớn để xử lý"
    if isinstance(exc, UnicodeError):
        return "tệp chứa ký tự không mã hoá được (ký tự Unicode hỏng)"
    if isinstance(exc, psycopg2.DataError):
        detail = (getattr(exc, "pgerror", None) or str(exc)).strip().splitlines()[:1]
        return "có giá trị không lưu được vào cơ sở dữ liệu" + (f" ({detail[0][:200]})" if detail else "")
    if isinstance(exc, psycopg2.IntegrityError):
        return "dữ liệu trùng hoặc mâu thuẫn với dữ liệu đã có"
    if isinstance(exc, (OSError, EOFError)):
        return "tệp hỏng hoặc bị cắt cụt, không đọc hết được"
    return f"lỗi khi phân tích nội dung ({type(exc).__name__})"


def _source_lock(cur: Any, source: str) -> None:
    cur.execute("select pg_advisory_xact_lock(%s, hashtext(%s))", (_SOURCE_LOCK, source))


# A file's transaction that PostgreSQL aborts to break a deadlock, or on a serialization failure,
# is run again from the start (it rolled back whole, so nothing is counted twice).
FILE_ATTEMPTS = 3


def _ingest_one(source: Source, path: Path, conn: Any, load_id: int) -> FileOutcome:
    import psycopg2.errors

    for attempt in range(1, FILE_ATTEMPTS + 1):
        try:
            return _ingest_file(source, path, conn, load_id)
        except psycopg2.errors.TransactionRollbackError as exc:
            if attempt == FILE_ATTEMPTS:
                raise
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            log.warning(
                "%s: %s: PostgreSQL aborted the file's transaction (%s); attempt %d of %d",
                source.name,
                path,
                first,
                attempt + 1,
                FILE_ATTEMPTS,
            )
    raise AssertionError("unreachable")


def _ingest_file(source: Source, path: Path, conn: Any, load_id: int) -> FileOutcome:
    try:
        file_hash = sha256_file(path)
        mtime = datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
    except OSError as exc:
        raise InputError(f"{path}: cannot read file: {exc.strerror}") from exc
    outcome = FileOutcome(str(path), file_hash)
    ctx: FileContext | None = None
    try:
        with conn, conn.cursor() as cur:
            _source_lock(cur, source.name)
            cur.execute(
                "select status, first_seen_at from ops.files where source = %s and file_hash = %s for update",
                (source.name, file_hash),
            )
            row = cur.fetchone()
            # A source may ask for files it loaded before (re-applying an earlier registry snapshot).
            if row and row[0] == "loaded" and not getattr(source, "reprocess_loaded", False):
                cur.execute(
                    "update ops.files set last_path = %s, last_seen_at = now() where source = %s and file_hash = %s",
                    (str(path), source.name, file_hash),
                )
                outcome.status = "duplicate"
                outcome.detail["note"] = "Tệp có cùng nội dung đã được nạp trước đó; bỏ qua."
                return outcome
            first_seen = row[1] if row else datetime.now(UTC)
            ctx = FileContext(path, file_hash, load_id, first_seen, mtime)
            with reject_sink(_row_rejects(outcome)):
                source.load_file(cur, ctx, outcome)
            outcome.settle()
            _register(cur, source.name, ctx, outcome)
    except Exception as exc:  # one bad file never stops the batch; a lost database does
        if _connection_lost(exc):
            raise
        log.warning("%s: %s quarantined after %s", source.name, path, type(exc).__name__, exc_info=True)
        rows_seen = outcome.rows_read
        outcome = FileOutcome(str(path), file_hash, rows_read=rows_seen, rows_quarantined=rows_seen)
        seen = f" (đã đọc {rows_seen} dòng trước khi gặp lỗi; cả tệp bị cách ly)" if rows_seen else ""
        outcome.quarantine(
            Quarantined(
                "unreadable",
                f"Không xử lý được tệp «{path.name}»: {_describe_failure(exc)}{seen}. Kiểm tra tệp có bị hỏng hoặc sai định dạng không.",
                record={"error_type": type(exc).__name__},
            )
        )
        outcome.settle()
        if ctx is None:
            ctx = FileContext(path, file_hash, load_id, datetime.now(UTC), mtime)
        with conn, conn.cursor() as cur:
            _source_lock(cur, source.name)
            _register(cur, source.name, ctx, outcome)
    return outcome


def _row_rejects(outcome: FileOutcome) -> Callable[[int, str, str, str | None], None]:
    """Rows a reader had to drop (NUL bytes, broken Unicode, oversized cells, non-object JSON
    elements): each is one row read and quarantined with its reason."""

    def add(row_number: int, reason_code: str, reason: str, field: str | None) -> None:
        outcome.rows_read += 1
        outcome.rows_quarantined += 1
        outcome.quarantine(Quarantined(reason_code, reason, row_number, field))

    return add


def _register(cur: Any, source: str, ctx: FileContext, outcome: FileOutcome) -> None:
    cur.execute(
        """insert into ops.files (source, file_hash, first_path, first_seen_at, file_mtime, last_path, status, load_id,
                                  rows_read, rows_loaded, rows_quarantined, detail)
           values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
           on conflict (source, file_hash) do update set
               last_path = excluded.last_path, last_seen_at = now(), status = excluded.status, load_id = excluded.load_id,
               rows_read = excluded.rows_read, rows_loaded = ops.files.rows_loaded + excluded.rows_loaded,
               rows_quarantined = excluded.rows_quarantined, detail = excluded.detail""",
        (
            source,
            ctx.file_hash,
            str(ctx.path),
            ctx.first_seen_at,
            ctx.file_mtime,
            str(ctx.path),
            outcome.status,
            ctx.load_id,
            outcome.rows_read,
            outcome.rows_loaded,
            outcome.rows_quarantined,
            json.dumps(outcome.detail, ensure_ascii=False, default=str),
        ),
    )
    # A file retried after a fix: its old quarantine entries that no longer apply are resolved
    # (this path's; every path's when the content now loads without a single quarantine).
    cur.execute(
        "update ops.quarantine set resolved_at = now() where source = %s and file_hash = %s and resolved_at is null"
        " and (file_path = %s or %s)",
        (source, ctx.file_hash, str(ctx.path), not outcome.quarantined),
    )
    for q in outcome.quarantined:
        cur.execute(
            """insert into ops.quarantine (source, load_id, file_path, file_hash, row_number, field, reason_code, reason, record)
               values (%s, %s, %s, %s, %s, %s, %s, %s, %s)
               on conflict (source, file_hash, file_path, coalesce(row_number, -1), reason_code, coalesce(field, ''))
               do update set resolved_at = null, load_id = excluded.load_id, reason = excluded.reason""",
            (
                source,
                ctx.load_id,
                str(ctx.path),
                ctx.file_hash,
                q.row_number,
                q.field,
                q.reason_code,
                q.reason,
                json.dumps(q.record, ensure_ascii=False, default=str) if q.record is not None else None,
            ),
        )
