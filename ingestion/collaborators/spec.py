"""Source `collaborators`: the units' rosters of public-opinion collaborators (cộng tác viên dư luận
xã hội) and the contribution forms (phiếu tổng hợp ý kiến của cộng tác viên) units attach to reports.

Inbox layout: `inbox/collaborators/` holds both (CSV or XLSX; the file's headers say which it is).
Names, phones and e-mails land only in `restricted.*`; see docs/collaborators.md.
"""

from pathlib import Path

from ingestion.spec import RawTable, SourceOption, SourceSpec

SPEC = SourceSpec(
    name="collaborators",
    title="collaborator rosters and contribution forms (CSV/XLSX)",
    factory="ingestion.collaborators.source:CollaboratorsSource",
    suffixes=frozenset({".csv", ".tsv", ".txt", ".xlsx", ".xlsm"}),
    tables=(
        # Every roster load keeps its rows (the history of snapshots); dbt's stg_collaborators__roster
        # takes, for each unit, the rows of the latest roster covering it.
        RawTable("raw.collaborator_rosters", ("load_id", "file_hash"), "one row per roster file loaded: its scope"),
        RawTable("raw.collaborator_roster_rows", ("load_id", "file_hash", "row_number"), "one row per collaborator version per roster"),
        RawTable("restricted.collaborator_people", ("load_id", "file_hash", "row_number"), "names, phones, e-mails (restricted)"),
        RawTable("raw.collaborator_contributions", ("contribution_key",), "one row per contribution of a contribution form"),
        RawTable("restricted.collaborator_contribution_text", ("contribution_key",), "who, as written, and the opinion (restricted)"),
    ),
    months_from=("raw.collaborator_contributions", "period_month"),
    options=(
        SourceOption(
            "scope",
            "what a roster covers when the file does not say it: a unit (code or name) or «all» (toàn tỉnh)",
        ),
    ),
    ddl=("sql/collaborators.sql",),
    # After the registry (units are resolved by it) and the surveys (their collectors are activity).
    order=35,
    package_dir=Path(__file__).parent,
)
