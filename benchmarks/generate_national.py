"""Generate a national-size warehouse straight into raw with COPY (no files, no parsing).

Default (scale 1): 34 provinces x 40 units x 36 months of monthly reports (3 items each),
>= 5M survey answers and >= 5M scanned items. `--scale 0.1` makes a tenth of the units,
answers and items. History rows carry loaded_at/updated_at in their own month (as if loaded
then), so an incremental build after a new month only sees the new month.

    .venv/bin/python benchmarks/generate_national.py --scale 0.05 --months 36
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dlxh.core.calendar import LOCAL, add_months, monthly_due_at  # noqa: E402
from dlxh.core.db import copy_rows  # noqa: E402

TOPICS = [f"T{i:02d}" for i in range(1, 13)]
SENTIMENTS = ("tich_cuc", "trung_lap", "tieu_cuc")
QUESTIONS = [
    ("q_luong", "T11", False),
    ("q_viec_lam", "T11", False),
    ("q_lo_lang", "T03", True),
    ("q_giao_thong", "T07", False),
    ("q_chuyen_doi_so", "T04", False),
]
REPORT_COLS = [
    "report_key",
    "load_id",
    "source_file",
    "file_hash",
    "loaded_at",
    "source_format",
    "unit_code",
    "period_month",
    "report_type",
    "doc_number",
    "form_received_at",
    "inbox_received_at",
    "situation",
    "causes",
    "forecast",
    "proposals",
]
ITEM_COLS = ["report_key", "item_no", "topic_raw", "topic_code", "summary", "sentiment", "is_hot_spot"]
TOPIC_COLS = ["report_key", "topic_code", "evidence", "is_hot_spot"]
RESPONSE_COLS = [
    "submission_uuid",
    "form_id",
    "respondent_hash",
    "unit_code",
    "submitted_at",
    "period_month",
    "content_hash",
    "load_id",
    "source_file",
    "file_hash",
    "loaded_at",
    "updated_at",
]
ANSWER_COLS = ["submission_uuid", "question_name", "topic_code", "numeric_score", "updated_at"]
SCAN_COLS = [
    "item_key",
    "canonical_url",
    "url",
    "text_hash",
    "platform",
    "published_at",
    "first_captured_at",
    "last_captured_at",
    "period_month",
    "likes",
    "shares",
    "comments",
    "views",
    "sentiment",
    "topic_codes",
    "unit_code",
    "load_id",
    "source_file",
    "file_hash",
    "updated_at",
]


@dataclass(frozen=True)
class Shape:
    provinces: int
    units_per_province: int
    answers_per_month: int
    scan_items_per_month: int

    @classmethod
    def national(cls, scale: float, months: int) -> Shape:
        return cls(
            provinces=max(1, round(34 * scale)),
            units_per_province=40,
            answers_per_month=max(50, int(5_000_000 * scale / 36) + 1),
            scan_items_per_month=max(50, int(5_000_000 * scale / 36) + 1),
        )

    def unit_codes(self) -> list[str]:
        return [f"P{p:02d}-U{u:02d}" for p in range(1, self.provinces + 1) for u in range(1, self.units_per_province + 1)]


def _loaded_at(month: date, now: bool) -> datetime:
    return datetime.now(LOCAL) if now else datetime(month.year, month.month, 25, 8, 0, tzinfo=LOCAL)


def load_registry(cur, shape: Shape, first_month: date) -> int:
    rows = []
    for p in range(1, shape.provinces + 1):
        rows.append(
            (
                0,
                "national.csv",
                "national",
                len(rows) + 1,
                f"P{p:02d}-TINH",
                f"Liên đoàn Lao động tỉnh {p:02d}",
                "province",
                None,
                date(2000, 1, 1),
            )
        )
    for code in shape.unit_codes():
        n = int(code[-2:])
        utype = "district" if n <= 12 else ("sector" if n <= 39 else "civil_servants")
        rows.append((0, "national.csv", "national", len(rows) + 1, code, f"Đơn vị {code}", utype, code[:3] + "-TINH", first_month))
    return copy_rows(
        cur,
        "raw.units",
        ["load_id", "source_file", "file_hash", "row_number", "unit_code", "unit_name", "unit_type", "parent_code", "valid_from"],
        rows,
    )


def load_survey_form(cur) -> None:
    cur.execute("""insert into raw.survey_forms (form_id, title, platform, source_file, file_hash, load_id)
                   values ('NAT', 'Khảo sát tâm tư người lao động toàn quốc', 'kobo', 'national.xlsx', 'national', 0)
                   on conflict do nothing""")
    for name, topic, reversed_ in QUESTIONS:
        cur.execute(
            """insert into raw.survey_questions (form_id, question_name, question_type, topic_code, scale_min, scale_max, is_reversed)
                       values ('NAT', %s, 'integer', %s, 1, 5, %s) on conflict do nothing""",
            (name, topic, reversed_),
        )


def load_month(cur, shape: Shape, month: date, seed: int = 0, now: bool = False) -> dict[str, int]:
    """One reporting month of reports, survey answers and scan items; returns rows per table."""
    rng = random.Random(f"{seed}-{month}")
    loaded = _loaded_at(month, now)
    due = monthly_due_at(month)
    units = shape.unit_codes()
    reports, items, topics = [], [], []
    for code in units:
        roll = rng.random()
        if roll > 0.95:
            continue
        received = due + timedelta(hours=rng.randint(-200, 150))
        key = f"{code}-{month:%Y%m}"
        reports.append(
            (
                key,
                0,
                f"BC_{key}.csv",
                key,
                loaded,
                "csv_form",
                code,
                month,
                "monthly",
                f"{rng.randint(1, 99)}/BC",
                received,
                received,
                "Tình hình",
                "Nguyên nhân",
                "Dự báo",
                "Đề xuất",
            )
        )
        for i, topic in enumerate(rng.sample(TOPICS, 3), start=1):
            hot = topic == "T11" and rng.random() < 0.1
            items.append((key, i, topic, topic, "Ý kiến của đoàn viên", rng.choice(SENTIMENTS), hot))
            topics.append((key, topic, "Ý kiến của đoàn viên", hot))
    counts = {
        "raw.reports": copy_rows(cur, "raw.reports", REPORT_COLS, reports),
        "raw.report_items": copy_rows(cur, "raw.report_items", ITEM_COLS, items),
        "raw.report_topics": copy_rows(cur, "raw.report_topics", TOPIC_COLS, topics),
    }
    responses_n = shape.answers_per_month // len(QUESTIONS) + 1
    responses = []
    answers = []
    for r in range(responses_n):
        uuid = f"{month:%Y%m}-{r}"
        unit = units[rng.randrange(len(units))]
        responses.append(
            (uuid, "NAT", f"h{rng.randrange(10**9)}", unit, loaded, month, uuid, 0, "national.csv", "national", loaded, loaded)
        )
        answers.extend((uuid, q, t, rng.randint(1, 5), loaded) for q, t, _ in QUESTIONS)
    counts["raw.survey_responses"] = copy_rows(cur, "raw.survey_responses", RESPONSE_COLS, responses)
    counts["raw.survey_answers"] = copy_rows(cur, "raw.survey_answers", ANSWER_COLS, answers)

    def scans():
        for i in range(shape.scan_items_per_month):
            key = f"s{month:%Y%m}-{i}"
            url = f"https://news.example.vn/{key}"
            unit = units[rng.randrange(len(units))] if rng.random() < 0.8 else None
            topic = "{" + ",".join(rng.sample(TOPICS, rng.randint(1, 2))) + "}"
            seen = datetime(month.year, month.month, rng.randint(1, 28), tzinfo=LOCAL)
            yield (
                key,
                url,
                url,
                key,
                "facebook",
                seen,
                seen,
                seen,
                month,
                rng.randint(0, 500),
                rng.randint(0, 50),
                rng.randint(0, 80),
                rng.randint(0, 10000),
                round(rng.uniform(-1, 1), 3),
                topic,
                unit,
                0,
                "scan.jsonl",
                "national",
                loaded,
            )

    counts["raw.scan_items"] = copy_rows(cur, "raw.scan_items", SCAN_COLS, scans())
    return counts


def generate(conn, shape: Shape, first_month: date, months: int, seed: int = 0) -> dict[str, int]:
    totals: dict[str, int] = {}
    with conn, conn.cursor() as cur:
        load_registry(cur, shape, first_month)
        load_survey_form(cur)
    for i in range(months):
        with conn, conn.cursor() as cur:
            for table, n in load_month(cur, shape, add_months(first_month, i), seed).items():
                totals[table] = totals.get(table, 0) + n
    with conn, conn.cursor() as cur:
        cur.execute("analyze")
    return totals


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scale", type=float, default=1.0, help="fraction of the national size (1 = 34 provinces, 5M answers, 5M items)")
    p.add_argument("--months", type=int, default=36)
    p.add_argument("--first-month", default="2023-01", help="YYYY-MM")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    from dlxh.core.db import connect, ensure_up

    ensure_up()
    conn = connect()
    first = date.fromisoformat(args.first_month + "-01")
    shape = Shape.national(args.scale, args.months)
    started = time.perf_counter()
    totals = generate(conn, shape, first, args.months, args.seed)
    elapsed = time.perf_counter() - started
    rows = sum(totals.values())
    print(f"generated into {os.environ.get('DLXH_HOME', './.dlxh')}: {shape}")
    for table, n in totals.items():
        print(f"  {table:24} {n:>10,}")
    print(f"  {rows:,} rows in {elapsed:.1f}s ({rows / elapsed:,.0f} rows/s via COPY)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
