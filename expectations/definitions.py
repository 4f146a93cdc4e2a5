"""What the validation layer checks, as plain data (no Great Expectations import here).

`expectations/context.py` turns these records into GX objects (data source, assets, batch
definitions, suites, validation definitions, checkpoints): each run builds its ephemeral
context from them, and nothing generated is committed. Which suite names which unit:

* ``dlxh_completeness`` names units with a **missing** report (status 'missing') or a received
  report that lacks a required part (``is_complete`` false): a monthly (periodic) report needs
  all four parts (situation, causes, forecast, proposals); an ad-hoc report answers one event and
  needs the situation and the proposals only (it often has no causes or forecast section). The
  expectation keeps its name ``received_report_has_four_parts`` (the key of its history in
  quality.validation_results);
* ``dlxh_timeliness`` names units whose received report arrived **after** its due time;
* ``dlxh_network_complete`` names units whose collaborator network (mạng lưới cộng tác viên) is not
  complete in the month: quota not met, a required area or sector uncovered, an active
  collaborator without a phone or e-mail, or active collaborators counted in a unit the registry
  no longer has (not reassigned after a merger or dissolution).

A late unit is therefore a timeliness finding only: it did report, so completeness passes for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

DATASOURCE = "dlxh_warehouse"
CONNECTION_ENV = "DLXH_GX_WAREHOUSE_URL"  # set by the runner from dlxh.core.db.warehouse_target()
GX_HOME_ENV = "DLXH_GX_HOME"  # $DLXH_HOME/gx: validation results and Data Docs live there
MONTHLY = "by_period_month"
WHOLE = "whole_table"
RECEIVED = ("on_time", "late")


# Suites whose failures are business findings (a late, missing or incomplete report), not data
# errors: the Data Docs call them "Phát hiện (findings)" (expectations/docs_site.py).
# A gap in a unit's collaborator network is a finding of the same kind (to be followed up by the unit).
FINDING_SUITES = ("dlxh_completeness", "dlxh_timeliness", "dlxh_network_complete")


@dataclass(frozen=True)
class AssetSpec:
    name: str
    batch_definition: str  # MONTHLY (partitioned on period_month) or WHOLE
    table: str | None = None  # "schema.table" for a table asset
    query: str | None = None  # a SELECT for a query asset


@dataclass(frozen=True)
class ExpectationSpec:
    name: str  # stable name stored in quality.validation_results.expectation
    gx_type: str  # class name in great_expectations.expectations
    kwargs: dict[str, Any]
    description: str  # Vietnamese, shown in Data Docs and in the summary
    when: tuple[str, str, Any] | None = None  # row condition (column, operator, value)


@dataclass(frozen=True)
class SuiteSpec:
    name: str
    asset: str
    title: str  # Vietnamese title for people
    expectations: tuple[ExpectationSpec, ...]


@dataclass(frozen=True)
class CheckpointSpec:
    name: str
    suites: tuple[str, ...]
    key_columns: tuple[str, ...]  # unexpected_index_column_names: what offending_keys lists
    monthly: bool = True

    def validation_definition(self, suite: str) -> str:
        return f"{suite}_monthly" if self.monthly else suite


ASSETS: tuple[AssetSpec, ...] = (
    AssetSpec("report_submissions", MONTHLY, table="marts.fct_report_submission"),
    AssetSpec("survey_responses", MONTHLY, table="raw.survey_responses"),
    AssetSpec(
        "survey_scores",
        MONTHLY,
        query=(
            "select a.submission_uuid, r.period_month, a.question_name, a.numeric_score, q.scale_min, q.scale_max "
            "from raw.survey_answers as a "
            "inner join raw.survey_responses as r on a.submission_uuid = r.submission_uuid "
            "inner join raw.survey_questions as q on r.form_id = q.form_id and a.question_name = q.question_name "
            "where a.numeric_score is not null"
        ),
    ),
    AssetSpec("scan_items", MONTHLY, table="raw.scan_items"),
    # The network of each unit and month (marts.mart_collaborator_network), with whether the unit is
    # in the registry in the month. No row at all while no roster was ever loaded (dim_collaborator
    # empty): the deployment does not use the source yet, so the suite is skipped, not failed.
    AssetSpec(
        "collaborator_network",
        MONTHLY,
        query=(
            "select n.period_month, n.unit_code, n.required_collaborators, n.appointed, n.active, n.vacancies, n.quota_met, "
            "n.areas_uncovered, n.sectors_uncovered, n.active_without_contact, "
            "case when exists (select 1 from marts.dim_unit as u where u.unit_code = n.unit_code "
            "and u.valid_from <= cast(n.period_month + interval '1 month' - interval '1 day' as date) "
            "and (u.valid_to is null or u.valid_to >= n.period_month)) then 0 else n.active end as active_without_unit "
            "from marts.mart_collaborator_network as n "
            "where exists (select 1 from marts.dim_collaborator)"
        ),
    ),
    AssetSpec(
        "import_reconciliation",
        WHOLE,
        query="select * from quality.v_import_reconciliation where source in ('surveys', 'scans')",
    ),
)


def _e(name: str, gx_type: str, description: str, when: tuple[str, str, Any] | None = None, **kwargs: Any) -> ExpectationSpec:
    return ExpectationSpec(name, gx_type, kwargs, description, when)


_RECEIVED = ("status", "in", list(RECEIVED))

SUITES: tuple[SuiteSpec, ...] = (
    SuiteSpec(
        "dlxh_completeness",
        "report_submissions",
        "Đầy đủ báo cáo",
        (
            _e(
                "month_has_expected_reports",
                "ExpectTableRowCountToBeBetween",
                "Tháng có danh sách báo cáo phải nộp (đã chạy dbt build cho tháng này).",
                min_value=1,
            ),
            _e(
                "one_row_per_expected_report",
                "ExpectColumnValuesToBeUnique",
                "Mỗi báo cáo phải nộp (đơn vị × tháng × loại báo cáo) chỉ có một dòng.",
                column="submission_key",
            ),
            _e(
                "every_unit_reported",
                "ExpectColumnValuesToNotBeInSet",
                "Mọi đơn vị phải báo cáo trong tháng đều đã gửi báo cáo (không có báo cáo «thiếu»).",
                column="status",
                value_set=["missing"],
            ),
            _e(
                "received_report_has_four_parts",
                "ExpectColumnValuesToBeInSet",
                "Báo cáo đã nhận có đủ các phần bắt buộc: báo cáo tháng có bốn phần (tình hình, nguyên nhân, dự báo, đề xuất); "
                "báo cáo đột xuất có phần tình hình và phần đề xuất, kiến nghị.",
                _RECEIVED,
                column="is_complete",
                value_set=[True],
            ),
        ),
    ),
    SuiteSpec(
        "dlxh_timeliness",
        "report_submissions",
        "Đúng hạn",
        (
            _e(
                "received_on_time",
                "ExpectColumnValuesToBeInSet",
                "Báo cáo đã nhận đều đến đúng hạn (trạng thái «đúng hạn»).",
                _RECEIVED,
                column="status",
                value_set=["on_time"],
            ),
            _e(
                "received_by_due_time",
                "ExpectColumnPairValuesAToBeGreaterThanB",
                "Thời điểm nhận không muộn hơn hạn nộp (received_at ≤ due_at).",
                column_A="due_at",
                column_B="received_at",
                or_equal=True,
                ignore_row_if="either_value_is_missing",
            ),
            _e(
                "no_days_late",
                "ExpectColumnValuesToBeBetween",
                "Báo cáo đã nhận không trễ ngày nào (days_late = 0).",
                _RECEIVED,
                column="days_late",
                min_value=0,
                max_value=0,
            ),
        ),
    ),
    SuiteSpec(
        "dlxh_survey_quality",
        "survey_responses",
        "Chất lượng dữ liệu khảo sát",
        (
            _e("submission_uuid_present", "ExpectColumnValuesToNotBeNull", "Mỗi phiếu khảo sát có mã phiếu.", column="submission_uuid"),
            _e("submission_uuid_unique", "ExpectColumnValuesToBeUnique", "Không có mã phiếu trùng.", column="submission_uuid"),
            _e("form_present", "ExpectColumnValuesToNotBeNull", "Mỗi phiếu gắn với một bảng hỏi.", column="form_id"),
            _e("unit_present", "ExpectColumnValuesToNotBeNull", "Mỗi phiếu gắn với một đơn vị.", column="unit_code"),
            _e("submitted_at_present", "ExpectColumnValuesToNotBeNull", "Mỗi phiếu có thời điểm nộp.", column="submitted_at"),
            _e("content_hash_present", "ExpectColumnValuesToNotBeNull", "Mỗi phiếu có mã băm nội dung.", column="content_hash"),
            _e(
                "form_is_known",
                "UnexpectedRowsExpectation",
                "Bảng hỏi của phiếu đã được nạp (raw.survey_forms).",
                unexpected_rows_query=(
                    "select submission_uuid from {batch} where form_id not in (select f.form_id from raw.survey_forms as f)"
                ),
            ),
            _e(
                "submitted_at_valid",
                "UnexpectedRowsExpectation",
                "Thời điểm nộp phiếu hợp lệ: không trước năm 2015, không ở tương lai.",
                unexpected_rows_query=(
                    "select submission_uuid from {batch} "
                    "where submitted_at < timestamptz '2015-01-01 00:00+07' or submitted_at > now() + interval '1 day'"
                ),
            ),
        ),
    ),
    SuiteSpec(
        "dlxh_survey_scores",
        "survey_scores",
        "Điểm khảo sát trong thang đo",
        (
            _e(
                "score_within_scale",
                "UnexpectedRowsExpectation",
                "Điểm trả lời nằm trong thang đo của câu hỏi (scale_min … scale_max).",
                unexpected_rows_query=(
                    "select submission_uuid, question_name, numeric_score from {batch} "
                    "where numeric_score < scale_min or numeric_score > scale_max"
                ),
            ),
        ),
    ),
    SuiteSpec(
        "dlxh_scan_quality",
        "scan_items",
        "Chất lượng dữ liệu rà quét",
        (
            _e("item_key_present", "ExpectColumnValuesToNotBeNull", "Mỗi tin bài có khóa.", column="item_key"),
            _e("item_key_unique", "ExpectColumnValuesToBeUnique", "Không có tin bài trùng khóa.", column="item_key"),
            _e("text_hash_present", "ExpectColumnValuesToNotBeNull", "Mỗi tin bài có mã băm nội dung.", column="text_hash"),
            _e(
                "sentiment_in_range",
                "ExpectColumnValuesToBeBetween",
                "Sắc thái nằm trong khoảng −1 … 1.",
                column="sentiment",
                min_value=-1,
                max_value=1,
            ),
            *(
                _e(f"{c}_not_negative", "ExpectColumnValuesToBeBetween", f"Số {label} không âm.", column=c, min_value=0)
                for c, label in (("likes", "lượt thích"), ("shares", "lượt chia sẻ"), ("comments", "bình luận"), ("views", "lượt xem"))
            ),
            _e(
                "captures_in_order",
                "ExpectColumnPairValuesAToBeGreaterThanB",
                "Lần ghi nhận cuối không trước lần ghi nhận đầu.",
                column_A="last_captured_at",
                column_B="first_captured_at",
                or_equal=True,
                ignore_row_if="either_value_is_missing",
            ),
            _e(
                "published_at_valid",
                "UnexpectedRowsExpectation",
                "Thời điểm đăng hợp lệ: không trước năm 2000, không sau lần ghi nhận đầu quá một ngày, không ở tương lai.",
                unexpected_rows_query=(
                    "select item_key from {batch} where published_at < timestamptz '2000-01-01 00:00+07' "
                    "or published_at > first_captured_at + interval '1 day' or published_at > now() + interval '1 day'"
                ),
            ),
        ),
    ),
    SuiteSpec(
        "dlxh_network_complete",
        "collaborator_network",
        "Mạng lưới cộng tác viên đầy đủ",
        (
            _e(
                "network_quota_met",
                "ExpectColumnValuesToBeInSet",
                "Đơn vị có đủ số cộng tác viên theo chỉ tiêu (không còn chỉ tiêu thiếu).",
                column="quota_met",
                value_set=[True],
            ),
            _e(
                "network_areas_covered",
                "ExpectColumnValuesToBeBetween",
                "Mọi địa bàn đơn vị phải phủ đều có cộng tác viên phụ trách.",
                column="areas_uncovered",
                min_value=0,
                max_value=0,
            ),
            _e(
                "network_sectors_covered",
                "ExpectColumnValuesToBeBetween",
                "Mọi lĩnh vực, đoàn thể đơn vị phải phủ đều có cộng tác viên.",
                column="sectors_uncovered",
                min_value=0,
                max_value=0,
            ),
            _e(
                "active_collaborators_have_contact",
                "ExpectColumnValuesToBeBetween",
                "Cộng tác viên đang hoạt động đều có số điện thoại hoặc email để liên hệ.",
                column="active_without_contact",
                min_value=0,
                max_value=0,
            ),
            _e(
                "active_collaborators_have_unit",
                "ExpectColumnValuesToBeBetween",
                "Cộng tác viên đang hoạt động đều thuộc một đơn vị có trong danh mục đơn vị của tháng "
                "(không còn ở đơn vị đã giải thể, sáp nhập mà chưa chuyển).",
                column="active_without_unit",
                min_value=0,
                max_value=0,
            ),
        ),
    ),
    SuiteSpec(
        "dlxh_import_reconciliation",
        "import_reconciliation",
        "Đối soát số dòng nhập",
        (
            _e(
                "rows_accounted_for",
                "ExpectColumnValuesToBeBetween",
                "Số dòng đọc = nạp mới + cập nhật + không đổi + cách ly, cho từng tệp khảo sát/rà quét.",
                column="rows_unaccounted",
                min_value=0,
                max_value=0,
            ),
            _e(
                "quarantine_has_reasons",
                "ExpectColumnValuesToBeBetween",
                "Mỗi dòng bị cách ly có lý do trong ops.quarantine.",
                column="quarantined_without_reason",
                min_value=0,
                max_value=0,
            ),
            _e("file_reconciles", "ExpectColumnValuesToBeInSet", "Tệp đối soát khớp.", column="reconciles", value_set=[True]),
        ),
    ),
)

# One checkpoint per asset: GX cannot build a batch for a month without rows, and a month
# without survey rows must not stop the scan or report checks.
CHECKPOINTS: tuple[CheckpointSpec, ...] = (
    CheckpointSpec("dlxh_reports", ("dlxh_completeness", "dlxh_timeliness"), ("unit_code",)),
    CheckpointSpec("dlxh_survey_responses", ("dlxh_survey_quality",), ("submission_uuid",)),
    CheckpointSpec("dlxh_survey_scores", ("dlxh_survey_scores",), ("submission_uuid",)),
    CheckpointSpec("dlxh_scans", ("dlxh_scan_quality",), ("item_key",)),
    CheckpointSpec("dlxh_network", ("dlxh_network_complete",), ("unit_code",)),
    CheckpointSpec("dlxh_imports", ("dlxh_import_reconciliation",), ("file_key",), monthly=False),
)
# A checkpoint whose batch is empty is skipped, except these: no rows there is itself a failure.
MUST_HAVE_ROWS = {"dlxh_reports": "month_has_expected_reports"}

ASSET_BY_NAME = {a.name: a for a in ASSETS}
SUITE_BY_NAME = {s.name: s for s in SUITES}


@dataclass(frozen=True)
class Required:
    """A relation the checks read; a missing one is an error that says what to run."""

    relation: str
    hint: str


REQUIRED_RELATIONS: tuple[Required, ...] = (
    Required("marts.fct_report_submission", "run `dlxh build` (dbt) first"),
    Required("marts.mart_collaborator_network", "run `dlxh build` (dbt) first"),
    Required("quality.v_import_reconciliation", "run `dlxh db up` to apply dlxh/core/sql/090_quality.sql"),
)
