"""Read what is owed and who to tell from the marts (the contract in docs/alerts.md)."""

from __future__ import annotations

from typing import Any

from alerts.model import ExpectedReport, UnitVersion
from dlxh.errors import DlxhError

EXPECTED_SQL = """
select unit_code, unit_name, unit_type, parent_code, period_month, report_type, request_code, due_at, received_at
from marts.fct_report_submission
order by period_month, report_type, request_code nulls first, unit_code
"""
UNITS_SQL = """
select unit_code, unit_name, unit_type, parent_code, valid_from, valid_to, contact_name, contact_email, contact_webhook
from marts.dim_unit
order by unit_code, valid_from
"""


class MartsMissing(DlxhError):
    exit_code = 2


def _require_marts(cur: Any) -> None:
    cur.execute(
        "select to_regclass('marts.fct_report_submission') is not null, to_regclass('marts.dim_unit') is not null"
    )
    fct, dim = cur.fetchone()
    if not (fct and dim):
        raise MartsMissing(
            "marts.fct_report_submission / marts.dim_unit do not exist yet: run `dlxh build` before `dlxh alerts`"
        )


def load_expected(cur: Any) -> list[ExpectedReport]:
    _require_marts(cur)
    cur.execute(EXPECTED_SQL)
    return [ExpectedReport(*row) for row in cur.fetchall()]


def load_units(cur: Any) -> dict[str, list[UnitVersion]]:
    _require_marts(cur)
    cur.execute(UNITS_SQL)
    units: dict[str, list[UnitVersion]] = {}
    for row in cur.fetchall():
        version = UnitVersion(*row)
        units.setdefault(version.unit_code, []).append(version)
    return units
