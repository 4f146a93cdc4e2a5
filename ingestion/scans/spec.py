"""Source `scans`: media-monitoring exports ("rà quét thông tin"), one folder per monitoring tool.

Inbox layout: `inbox/scans/<tool>/` holds the exports of one tool: the folder's own mapping file
(`mapping.toml`, `.yaml`, `.yml`) if it has one, else the tool named like the folder (its mapping in
the config folder's `scan_tools/`, else a shipped one).
"""

from pathlib import Path

from ingestion.spec import RawTable, SourceOption, SourceSpec

MAPPING_NAMES = ("mapping.toml", "mapping.yaml", "mapping.yml")  # never read as exports


def tool_of_folder(inbox_root: Path, path: Path) -> dict[str, str] | None:
    rel = path.relative_to(inbox_root)
    if len(rel.parts) <= 1:
        return None
    folder = inbox_root / rel.parts[0]
    own = next((folder / n for n in MAPPING_NAMES if (folder / n).is_file()), None)
    return {"tool": str(own) if own else rel.parts[0]}


SPEC = SourceSpec(
    name="scans",
    title="media-monitoring exports (CSV, JSON, JSONL)",
    factory="ingestion.scans.source:ScansSource",
    suffixes=frozenset({".csv", ".tsv", ".txt", ".json", ".jsonl", ".ndjson"}),
    tables=(
        RawTable("raw.scan_items", ("item_key",), "one row per scanned item, deduplicated across tools and captures"),
        RawTable("raw.scan_captures", ("file_hash", "row_number"), "every capture of an item, as exported"),
        RawTable("restricted.scan_item_text", ("item_key",), "post text (restricted)"),
    ),
    months_from=("raw.scan_items", "period_month"),
    options=(
        SourceOption(
            "tool",
            "a tool name (its mapping $DLXH_CONFIG_DIR/scan_tools/NAME.toml, else a shipped one) "
            "or the path of a mapping file (.toml, .yaml, .json)",
            required=True,
        ),
    ),
    side_files=frozenset(MAPPING_NAMES),
    folder_options=tool_of_folder,
    placement="a tool folder: put scan exports in inbox/scans/<tool>/",
    order=40,
    package_dir=Path(__file__).parent,
)
