"""Source `surveys`: worker surveys exported by KoboToolbox, ODK Central or Google Forms.

Inbox layout: `inbox/surveys/<survey>/` holds the survey's questionnaire (`form.xlsx`, or a Google
Forms mapping `form.yaml`) and its exports.
"""

from pathlib import Path

from ingestion.spec import RawTable, SourceOption, SourceSpec

FORM_NAMES = ("form.xlsx", "form.yaml", "form.yml")
# Files beside a survey's exports that are not exports: its form and its question mapping.
SIDE_FILES = frozenset({*FORM_NAMES, "mapping.csv", "mapping.toml", "form.mapping.csv", "form.mapping.toml"})


def form_beside(inbox_root: Path, path: Path) -> dict[str, str] | None:
    form = next((path.parent / n for n in FORM_NAMES if (path.parent / n).is_file()), None)
    return {"form": str(form)} if form else None


SPEC = SourceSpec(
    name="surveys",
    title="survey exports (KoboToolbox, ODK Central, Google Forms)",
    factory="ingestion.surveys.source:SurveysSource",
    suffixes=frozenset({".csv", ".tsv", ".txt", ".xlsx", ".xlsm"}),
    tables=(
        RawTable("raw.survey_forms", ("form_id",), "questionnaires (XLSForm or a Google Forms mapping)"),
        RawTable("raw.survey_questions", ("form_id", "question_name"), "their questions"),
        RawTable("raw.survey_choices", ("form_id", "list_name", "choice_name"), "their choice lists"),
        RawTable("raw.survey_responses", ("submission_uuid",), "one row per submission"),
        RawTable("raw.survey_answers", ("submission_uuid", "question_name"), "one row per closed answer"),
        RawTable("restricted.survey_free_text", ("submission_uuid", "question_name"), "free-text answers (restricted)"),
    ),
    months_from=("raw.survey_responses", "period_month"),
    options=(SourceOption("form", "the XLSForm (or Google Forms mapping) the survey was built from", kind="path", required=True),),
    side_files=SIDE_FILES,
    folder_options=form_beside,
    placement="a survey folder: put survey exports in inbox/surveys/<survey>/ beside its form.xlsx (or form.yaml)",
    order=30,
    package_dir=Path(__file__).parent,
)
