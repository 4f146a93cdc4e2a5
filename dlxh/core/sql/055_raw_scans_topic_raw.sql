-- The tool's topic cell as exported (first value stored, like place_raw): kept so a topic the
-- deployment's topic aliases do not resolve yet is not lost (topic_codes stays empty for it).
alter table raw.scan_items add column if not exists topic_raw text;
