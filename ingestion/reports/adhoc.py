"""Ad-hoc report requests (báo cáo đột xuất) from dbt_project/seeds/adhoc_requests.csv (reference data).

An ad-hoc report document either states its deadline or is matched to a request: by the
request code written in the document, else by the only request of its report month, else by
the request title found in the document's title.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from dlxh.parsing import parse_local_datetime, parse_month
from dlxh.settings import PROJECT_ROOT
from ingestion.reports.matching import ocr_key, similar

ADHOC_CSV = PROJECT_ROOT / "dbt_project" / "seeds" / "adhoc_requests.csv"


@dataclass(frozen=True)
class AdhocRequest:
    request_code: str
    title_vi: str
    period_month: date
    due_at: datetime


def load_requests(path: Path = ADHOC_CSV) -> list[AdhocRequest]:
    if not path.exists():
        return []
    out = []
    with path.open(encoding="utf-8-sig") as fh:
        for r in csv.DictReader(fh):
            try:
                out.append(AdhocRequest(r["request_code"].strip(), r.get("title_vi") or "", parse_month(r["period_month"]),
                                        parse_local_datetime(r["due_at"])))
            except (KeyError, ValueError):
                continue  # the seed's own dbt tests report bad rows
    return out


def match_request(requests: list[AdhocRequest], text: str, title: str | None, month: date | None) -> AdhocRequest | None:
    key = ocr_key(text)
    by_code = [r for r in requests if r.request_code and ocr_key(r.request_code) in key]
    if len(by_code) == 1:
        return by_code[0]
    in_month = [r for r in requests if month is not None and r.period_month == month]
    if len(in_month) == 1:
        return in_month[0]
    if title and in_month:
        scored = sorted(((similar(ocr_key(r.title_vi), ocr_key(title)), r) for r in in_month), key=lambda sr: -sr[0])
        if scored[0][0] >= 0.6 and (len(scored) == 1 or scored[0][0] - scored[1][0] >= 0.1):
            return scored[0][1]
    return None
