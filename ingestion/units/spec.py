"""Source `units`: the federation's effective-dated unit registry (CSV/XLSX/JSON, a snapshot per file)."""

from pathlib import Path

from ingestion.spec import RawTable, SourceOption, SourceSpec

SPEC = SourceSpec(
    name="units",
    title="the effective-dated unit registry (CSV/XLSX)",
    factory="ingestion.units.source:UnitsSource",
    suffixes=frozenset({".csv", ".xlsx", ".tsv", ".txt", ".json"}),
    # Every load keeps its rows (the registry's history of snapshots); dbt's stg_raw__units picks
    # the versions in force.
    tables=(RawTable("raw.units", ("load_id", "file_hash", "row_number"), "one row per unit version per registry file loaded"),),
    options=(
        SourceOption("replace", "the file is the new full registry even if it leaves units out", kind="flag"),
        SourceOption("changes", "the file lists only units added or changed; others stay", kind="flag"),
        SourceOption("reapply", "apply again a file loaded before (restore an earlier registry)", kind="flag"),
    ),
    order=10,
    package_dir=Path(__file__).parent,
)
