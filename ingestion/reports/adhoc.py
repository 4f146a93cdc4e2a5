"""Ad-hoc report requests (báo cáo đột xuất) from the config folder's adhoc_requests.csv (`dlxh.core.config`).

An ad-hoc report document either states its deadline or is matched to a request: by the
request code written in the document, else by the request title found in the document's title
(a request of its report month). Nothing else matches: being the month's only request is no
evidence, so an unrequested ad-hoc report is never taken for another request's answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from dlxh.core.config import load
from ingestion.reference.matching import ocr_key, similar


@dataclass(frozen=True)
class AdhocRequest:
    request_code: str
    title_vi: str
    period_month: date
    due_at: datetime


def load_requests() -> list[AdhocRequest]:
    """The requests in force; a bad file is a ConfigError naming its line and field (`dlxh config check`)."""
    return [AdhocRequest(r["request_code"], r["title_vi"] or "", r["period_month"], r["due_at"]) for r in load("adhoc_requests").rows]


def match_request(requests: list[AdhocRequest], text: str, title: str | None, month: date | None) -> AdhocRequest | None:
    key = ocr_key(text)
    by_code = [r for r in requests if r.request_code and ocr_key(r.request_code) in key]
    if len(by_code) == 1:
        return by_code[0]
    in_month = [r for r in requests if month is not None and r.period_month == month]
    if title and in_month:
        scored = sorted(((similar(ocr_key(r.title_vi), ocr_key(title)), r) for r in in_month), key=lambda sr: -sr[0])
        if scored[0][0] >= 0.6 and (len(scored) == 1 or scored[0][0] - scored[1][0] >= 0.1):
            return scored[0][1]
    return None
