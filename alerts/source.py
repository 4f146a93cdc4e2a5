"""Read what is owed and who to tell from the marts (the contract in docs/alerts.md)."""

from __future__ import annotations

import logging
from typing import Any

from alerts.model import ExpectedReport, UnitVersion
from dlxh.core.errors import DlxhError

log = logging.getLogger(__name__)

# A single absurd stored value (year 1 or 9999) must not stop the alerts of every unit: times
# outside [1900, 9000) are not even fetched (psycopg2 cannot represent a BC timestamp); the row
# is skipped with a finding instead (see `load_expected`).
_SANE_TS = "({c} >= timestamptz '1900-01-01 00:00:00+00' and {c} < timestamptz '9000-01-01 00:00:00+00')"
EXPECTED_SQL = f"""
select unit_code, unit_name, unit_type, parent_code,
       case when period_month >= date '1900-01-01' and period_month < date '9000-01-01' then period_month end,
       report_type, request_code,
       case when {_SANE_TS.format(c="due_at")} then due_at end,
       case when {_SANE_TS.format(c="received_at")} then received_at end,
       received_at is not null and not {_SANE_TS.format(c="received_at")} as received_absurd,
       cast(period_month as text), cast(due_at as text), cast(received_at as text)
from marts.fct_report_submission
order by 5, report_type, request_code nulls first, unit_code
"""
# Contacts come from intermediate.int_unit_contacts, which BI (bi_reader) cannot read.
UNITS_SQL = """
select d.unit_code, d.unit_name, d.unit_type, d.parent_code,
       case when d.valid_from >= date '1900-01-01' and d.valid_from < date '9000-01-01' then d.valid_from end,
       case when d.valid_to >= date '1900-01-01' and d.valid_to < date '9000-01-01' then d.valid_to end,
       c.contact_name, c.contact_email, c.contact_webhook
from marts.dim_unit as d
left join intermediate.int_unit_contacts as c on c.unit_code = d.unit_code and c.valid_from = d.valid_from
order by d.unit_code, d.valid_from
"""


class MartsMissing(DlxhError):
    exit_code = 2


def _require_marts(cur: Any) -> None:
    cur.execute(
        "select to_regclass('marts.fct_report_submission') is not null, to_regclass('marts.dim_unit') is not null,"
        " to_regclass('intermediate.int_unit_contacts') is not null"
    )
    fct, dim, contacts = cur.fetchone()
    if not (fct and dim and contacts):
        raise MartsMissing(
            "marts.fct_report_submission / marts.dim_unit / intermediate.int_unit_contacts do not exist yet: "
            "run `dlxh build` before `dlxh alerts`"
        )


def load_expected(cur: Any, findings: list[str] | None = None) -> list[ExpectedReport]:
    """The expected reports; rows with an absurd month, deadline or received time are skipped
    and described (in Vietnamese) in `findings`."""
    _require_marts(cur)
    cur.execute(EXPECTED_SQL)
    out = []
    for row in cur.fetchall():
        *fields, received_absurd, month_text, due_text, received_text = row
        if fields[4] is None or fields[7] is None or received_absurd:
            what = (
                f"kỳ báo cáo «{month_text}»"
                if fields[4] is None
                else f"hạn nộp «{due_text}»"
                if fields[7] is None
                else f"thời gian nhận «{received_text}»"
            )
            message = f"Bỏ qua báo cáo của đơn vị {fields[0]} ({fields[5]}): {what} không hợp lý, cần sửa dữ liệu nguồn."
            log.warning(message)
            if findings is not None:
                findings.append(message)
            continue
        try:
            out.append(ExpectedReport(*fields))
        except (ValueError, OverflowError) as exc:  # pragma: no cover - belt and braces
            log.warning("skipped expected report %s: %s", fields[:2], exc)
    return out


def load_units(cur: Any, findings: list[str] | None = None) -> dict[str, list[UnitVersion]]:
    _require_marts(cur)
    cur.execute(UNITS_SQL)
    units: dict[str, list[UnitVersion]] = {}
    for row in cur.fetchall():
        if row[4] is None:
            message = f"Bỏ qua một phiên bản của đơn vị {row[0]}: ngày hiệu lực không hợp lý, cần sửa danh mục đơn vị."
            log.warning(message)
            if findings is not None:
                findings.append(message)
            continue
        version = UnitVersion(*row)
        units.setdefault(version.unit_code, []).append(version)
    return units
