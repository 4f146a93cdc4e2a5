-- Media-monitoring scan results ("ra quet thong tin"). One row per unique item (canonical URL,
-- or normalised text hash when there is no URL), carrying the engagement of its latest capture.
create table if not exists raw.scan_items (
    item_key text collate "C" primary key,
    canonical_url text,
    url text,
    text_hash text collate "C" not null,
    platform text,
    published_at timestamptz,
    first_captured_at timestamptz not null,
    last_captured_at timestamptz not null,
    period_month date not null,
    title text,
    author_hash text,
    likes bigint,
    shares bigint,
    comments bigint,
    views bigint,
    sentiment numeric check (sentiment between -1 and 1),
    sentiment_raw text,
    topic_codes text[] not null default '{}',
    topic_source text,
    place_raw text,
    unit_code text,
    unit_source text,
    tools text[] not null default '{}',
    load_id bigint not null,
    source_file text not null,
    file_hash text not null,
    updated_at timestamptz not null default now()
);
create index if not exists scan_items_updated on raw.scan_items (updated_at);
-- a month's items: the month's validation reads them (expectations/context.py, month_bounded)
create index if not exists scan_items_period_month on raw.scan_items (period_month);
-- (an index on text_hash had no reader: every lookup goes through item_key, which embeds the
-- text hash for items without a URL; it cost a random index insert per item)
drop index if exists raw.scan_items_text_hash;

-- Every capture of an item by a tool (history of engagement), idempotent per file.
create table if not exists raw.scan_captures (
    item_key text collate "C" not null,
    tool text not null,
    captured_at timestamptz not null,
    likes bigint,
    shares bigint,
    comments bigint,
    views bigint,
    file_hash text collate "C" not null,
    row_number integer not null,
    primary key (file_hash, row_number)
);

-- Raw post text: restricted, never readable by bi_reader.
create table if not exists restricted.scan_item_text (
    item_key text collate "C" primary key,
    text text,
    updated_at timestamptz not null default now()
);

-- Added by the scans source: look up earlier captures of an item (identical-capture check).
create index if not exists scan_captures_item on raw.scan_captures (item_key, tool, captured_at);
