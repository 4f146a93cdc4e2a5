"""Set-based landing of one file's staged rows: classify, keep every capture, upsert items.

A file's rows come in parts (see `source.ScansSource` and `prefetch.prefetch`); each part is
COPYed into a temporary table (`scan_stage`), then, within the file's one transaction:

* a row whose (file_hash, row_number) capture is already stored is *unchanged* (a partly
  loaded file run again);
* the first row of an item not yet in raw.scan_items is *loaded*;
* a row repeating a capture already stored (same item, tool, capture time and engagement) or
  an earlier row of the same file is *unchanged*;
* any other row is *updated*: it adds a capture (newer engagement, another tool, ...).

Items keep the engagement (and sentiment) of their latest capture; ties on the capture time
keep the higher engagement, so the result does not depend on the order files arrive in.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ingestion.scans.records import STAGE_COLUMNS

STAGE_DDL = """
create temp table scan_stage (
    row_number integer not null, item_key text{key_collation} not null, canonical_url text, url text, text_hash text not null,
    platform text, published_at timestamptz, captured_at timestamptz not null, period_month date not null,
    title text, author_hash text, likes bigint, shares bigint, comments bigint, views bigint,
    sentiment numeric, sentiment_raw text, topic_codes text[] not null, topic_source text, topic_raw text, place_raw text,
    unit_code text, unit_source text, text text
) on commit drop
"""

# One statement merges a part (data-modifying CTEs over one materialised classification, kept
# in memory: a temporary table of the classified rows cost more than the rest of the merge).
# Merges of scan files are serialised (MERGE_LOCK), so rows of items this statement found
# absent, and captures of a file with no stored row, are inserted without a conflict check
# (which costs one more index descent per row); the rest keep theirs.
# %(replay)s: whether any row of this file was stored before (a partly loaded file run again);
# when not (the usual case), the per-row replay probe is skipped. The identical-capture probe
# runs only for rows of items that already existed (AND short-circuits in the select list).
MERGE = """
with fresh as (
    select s.*
    from scan_stage as s
    where not %(replay)s or not exists (
        select 1 from raw.scan_captures as c where c.file_hash = %(file_hash)s and c.row_number = s.row_number
    )
),

-- One sort: each item's rows from its latest capture down (ties: higher engagement; equal
-- captures by row). Rows repeating the capture just before them are duplicates in this part.
ranked as (
    select
        f.*,
        i.item_key is not null as item_existed,
        row_number() over w as capture_rn,
        f.captured_at = lag(f.captured_at) over w
        and f.views is not distinct from lag(f.views) over w
        and f.likes is not distinct from lag(f.likes) over w
        and f.shares is not distinct from lag(f.shares) over w
        and f.comments is not distinct from lag(f.comments) over w as repeats_previous,
        i.item_key is not null and exists (
            select 1 from raw.scan_captures as c
            where c.item_key = f.item_key and c.tool = %(tool)s and c.captured_at = f.captured_at
                and c.likes is not distinct from f.likes and c.shares is not distinct from f.shares
                and c.comments is not distinct from f.comments and c.views is not distinct from f.views
        ) as capture_existed
    from fresh as f
    left join raw.scan_items as i on f.item_key = i.item_key
    window w as (
        partition by f.item_key
        order by f.captured_at desc, f.views desc nulls last, f.likes desc nulls last, f.shares desc nulls last,
            f.comments desc nulls last, f.row_number
    )
),

outcomes as (
    select
        ranked.*,
        case
            when not item_existed and capture_rn = 1 then 'loaded'
            when capture_existed or coalesce(repeats_previous, false) then 'unchanged'
            else 'updated'
        end as outcome
    from ranked
),

classified as materialized (
    select
        outcomes.*,
        -- rows left out of the upsert below (outcome 'unchanged') repeat a capture already
        -- stored or kept, so the minimum over all fresh rows is the item's first capture here
        min(captured_at) over (partition by item_key) as first_captured_at,
        -- the latest capture among the rows that are merged into the item
        capture_rn = min(capture_rn) filter (where outcome <> 'unchanged') over (partition by item_key) as is_latest
    from outcomes
),

captures as (
    insert into raw.scan_captures (item_key, tool, captured_at, likes, shares, comments, views, file_hash, row_number)
    select item_key, %(tool)s, captured_at, likes, shares, comments, views, %(file_hash)s, row_number
    from classified
    {capture_conflict}
),

-- Latest capture of each item in this part (ties: higher engagement), as stored.
latest as (
    select
        item_existed, item_key, canonical_url, url, text_hash, platform, published_at, first_captured_at,
        captured_at as last_captured_at, period_month, title, author_hash, likes, shares, comments, views,
        sentiment, sentiment_raw, topic_codes, topic_source, topic_raw, place_raw, unit_code, unit_source,
        array[%(tool)s]::text [] as tools, %(load_id)s as load_id, %(source_file)s as source_file,
        %(file_hash)s as file_hash
    from classified
    where is_latest
),

new_items as (
    insert into raw.scan_items ({item_columns})
    select {item_columns} from latest where not item_existed
),

known_items as (
    insert into raw.scan_items as t ({item_columns})
    select {item_columns} from latest where item_existed
    on conflict (item_key) do update set
        canonical_url = coalesce(t.canonical_url, excluded.canonical_url),
        url = coalesce(t.url, excluded.url),
        platform = coalesce(t.platform, excluded.platform),
        published_at = coalesce(t.published_at, excluded.published_at),
        first_captured_at = least(t.first_captured_at, excluded.first_captured_at),
        last_captured_at = greatest(t.last_captured_at, excluded.last_captured_at),
        period_month = case
            when t.published_at is not null then t.period_month
            when excluded.published_at is not null then excluded.period_month
            else least(t.period_month, excluded.period_month)
        end,
        title = coalesce(t.title, excluded.title),
        author_hash = coalesce(t.author_hash, excluded.author_hash),
        likes = case when scan_newer(excluded, t) then excluded.likes else t.likes end,
        shares = case when scan_newer(excluded, t) then excluded.shares else t.shares end,
        comments = case when scan_newer(excluded, t) then excluded.comments else t.comments end,
        views = case when scan_newer(excluded, t) then excluded.views else t.views end,
        sentiment = case
            when excluded.sentiment is not null and (t.sentiment is null or scan_newer(excluded, t)) then excluded.sentiment
            else t.sentiment
        end,
        sentiment_raw = case
            when excluded.sentiment is not null and (t.sentiment is null or scan_newer(excluded, t)) then excluded.sentiment_raw
            else t.sentiment_raw
        end,
        topic_codes = case
            when scan_rank(excluded.topic_source) > scan_rank(t.topic_source) then excluded.topic_codes else t.topic_codes
        end,
        topic_source = case
            when scan_rank(excluded.topic_source) > scan_rank(t.topic_source) then excluded.topic_source else t.topic_source
        end,
        topic_raw = coalesce(t.topic_raw, excluded.topic_raw),
        place_raw = coalesce(t.place_raw, excluded.place_raw),
        unit_code = case
            when scan_rank(excluded.unit_source) > scan_rank(t.unit_source) then excluded.unit_code else t.unit_code
        end,
        unit_source = case
            when scan_rank(excluded.unit_source) > scan_rank(t.unit_source) then excluded.unit_source else t.unit_source
        end,
        tools = case
            when %(tool)s = any(t.tools) then t.tools
            else array(select x.tool from unnest(t.tools || excluded.tools) as x (tool) order by x.tool)
        end,
        load_id = excluded.load_id,
        source_file = excluded.source_file,
        file_hash = excluded.file_hash,
        updated_at = now()
),

new_texts as (
    insert into restricted.scan_item_text (item_key, text)
    select distinct on (item_key) item_key, text
    from classified
    where text is not null and outcome <> 'unchanged' and not item_existed
    order by item_key, captured_at desc, row_number desc
),

known_texts as (
    insert into restricted.scan_item_text (item_key, text)
    select distinct on (item_key) item_key, text
    from classified
    where text is not null and outcome <> 'unchanged' and item_existed
    order by item_key, captured_at desc, row_number desc
    on conflict (item_key) do nothing
)

-- the inserts above run to completion whether or not this select reads them
select
    (select count(*) from scan_stage) - count(*) as replayed,
    count(*) filter (where outcome = 'loaded') as loaded,
    count(*) filter (where outcome = 'updated') as updated,
    count(*) filter (where outcome = 'unchanged') as unchanged
from classified
"""

# Held until the file's transaction ends: one scans merge at a time, so two tools' files loaded
# at once (e.g. parallel Airflow tasks) cannot both count the same new item as loaded.
MERGE_LOCK = 8_420_305
ITEM_COLUMNS = (
    "item_key, canonical_url, url, text_hash, platform, published_at, first_captured_at, last_captured_at, period_month, "
    "title, author_hash, likes, shares, comments, views, sentiment, sentiment_raw, topic_codes, topic_source, topic_raw, place_raw, "
    "unit_code, unit_source, tools, load_id, source_file, file_hash"
)
MERGE = MERGE.replace("{item_columns}", ITEM_COLUMNS)
REPLAY = "select exists (select 1 from raw.scan_captures where file_hash = %(file_hash)s)"

_ENGAGEMENT_ORDER = (
    "{0}.last_captured_at, coalesce({0}.views, -1), coalesce({0}.likes, -1), coalesce({0}.shares, -1), coalesce({0}.comments, -1)"
)
_NEWER = f"({_ENGAGEMENT_ORDER.format('excluded')}) > ({_ENGAGEMENT_ORDER.format('t')})"
MERGE = MERGE.replace("scan_newer(excluded, t)", _NEWER)
for _side in ("excluded", "t"):
    for _col in ("topic_source", "unit_source"):
        MERGE = MERGE.replace(
            f"scan_rank({_side}.{_col})", f"(case when {_side}.{_col} = 'tool' then 2 when {_side}.{_col} is null then 0 else 1 end)"
        )


def _key_collation(cur: Any) -> str:
    """The collation clause matching raw.scan_items.item_key: "C" (byte order, fast) since the
    table is created so; a table created before keeps the database default."""
    cur.execute(
        "select collation_name from information_schema.columns "
        "where table_schema = 'raw' and table_name = 'scan_items' and column_name = 'item_key'"
    )
    row = cur.fetchone()
    return ' collate "C"' if row and row[0] == "C" else ""


@dataclass
class LandedCounts:
    loaded: int
    updated: int
    unchanged: int


class LineStream(io.TextIOBase):
    """A read()-able view of an iterator of COPY lines, so one COPY streams a whole file.

    The server parses what was sent while Python prepares the next lines, and only about one
    read() worth of text (`size`, 8 KB by default in psycopg2) is held at a time.
    """

    def __init__(self, lines: Iterable[str]):
        self._lines = iter(lines)
        self._pending = ""

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> str:
        limit = size if size and size > 0 else 1 << 62
        parts, n = [self._pending], len(self._pending)
        for line in self._lines:
            if n >= limit:
                parts.append(line)
                break
            parts.append(line)
            n += len(line)
        else:
            if n < limit:
                self._pending = ""
                return "".join(parts)
        data = "".join(parts)
        self._pending = data[limit:]
        return data[:limit]

    # typeshed's TextIOBase inherits readline from both _TextIOBase (str) and _IOBase (bytes): the str one is right
    def readline(self, size: int | None = -1) -> str:  # type: ignore[override]  # pragma: no cover - COPY uses read()
        return self.read(size)


def copy_lines(cur: Any, table: str, columns: Sequence[str], lines: str | Iterable[str]) -> None:
    """COPY pre-formatted text-format lines (see `records.copy_text`) in one streaming command.

    `lines` is either an iterator of lines or one string holding many lines (a prepared part).
    """
    cols = ", ".join(f'"{c}"' for c in columns)
    if isinstance(lines, str):
        # One read() for the whole part: every read() needs the GIL, which a parser thread holds
        # for up to the switch interval (5 ms) each time, so 64 KB reads of a part took ~0.4 s.
        stream: io.TextIOBase = io.StringIO(lines)
        size = max(1 << 16, len(lines) + 1)
    else:
        stream, size = LineStream(lines), 1 << 16
    cur.copy_expert(f"copy {table} ({cols}) from stdin", stream, size=size)


def land_parts(
    cur: Any, parts: Iterable[str | Iterable[str]], *, tool: str, load_id: int, source_file: str, file_hash: str
) -> LandedCounts:
    """COPY a file's staged lines part by part into a temp table and merge each into raw.scan_*.

    Each part is COPYed into `scan_stage` and merged before the next one is taken, so a
    producer preparing the next part (see `source.ScansSource`) runs while the server merges
    this one. Merging parts one after the other equals merging consecutive files: a part sees
    the items and captures stored by the parts before it.
    """
    params: dict[str, Any] = {"tool": tool, "load_id": load_id, "source_file": source_file, "file_hash": file_hash}
    cur.execute("select pg_advisory_xact_lock(%s)", (MERGE_LOCK,))
    cur.execute(STAGE_DDL.format(key_collation=_key_collation(cur)))
    cur.execute(REPLAY, params)
    params["replay"] = cur.fetchone()[0]
    # A file with stored rows (run again after a partial load) skips them; otherwise no row can conflict.
    merge = MERGE.format(capture_conflict="on conflict (file_hash, row_number) do nothing" if params["replay"] else "")
    cur.execute("set local work_mem = '256MB'")
    # Each statement handles one part (~20,000 rows): JIT compilation costs more than it saves.
    cur.execute("set local jit = off")
    # Probe raw.scan_items by its key for each part's rows: a hash join would read the whole
    # table for every part (the planner's choice once the table is large).
    cur.execute("set local enable_hashjoin = off; set local enable_mergejoin = off")
    total = LandedCounts(0, 0, 0)
    for n, lines in enumerate(parts):
        if n:
            cur.execute("truncate scan_stage")
        copy_lines(cur, "scan_stage", STAGE_COLUMNS, lines)
        cur.execute(merge, params)
        replayed, loaded, updated, unchanged = cur.fetchone()
        total.loaded += loaded
        total.updated += updated
        total.unchanged += unchanged + replayed
    cur.execute("reset enable_hashjoin; reset enable_mergejoin")
    cur.execute("drop table scan_stage")
    return total
