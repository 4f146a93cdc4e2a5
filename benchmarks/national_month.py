"""Write one national reporting month as *files* into an inbox, as the federation's units send them.

    .venv/bin/python benchmarks/national_month.py INBOX --month 2026-11 [--scale 0.05] [--history 36]

INBOX gets the layout the ingest DAGs poll (`$DLXH_INBOX`):

* `units/danh_muc_don_vi_toan_quoc.csv`: the registry, always national: 34 provinces x 40 units
  (12 district federations, 27 sector unions, 1 civil servants' union per province), codes and
  names of this generator's own (nothing of the demo's);
* `reports/<month>/`: one monthly report per reporting unit, in every format the reports source
  reads, by a fixed share: structured forms as CSV (50 %) and XLSX (20 %), DOCX (12 %), PDF with a
  text layer (8 %), and scans that need OCR (page images and image-only PDFs, 5 %); 5 % of the
  units send nothing (missing), a tenth of the rest arrive after the deadline. Documents come from
  district federations (their headers name the unit and its province, which the registry
  resolves); forms from every kind of unit;
* `surveys/khao_sat_toan_quoc/`: the survey's XLSForm (its unit list is the national registry)
  and a KoboToolbox export of the month;
* `scans/reputa/` and `scans/newsmon/`: the month's exports of two monitoring tools that overlap
  by a third.

`--scale` sizes the month: the share of units that report (at least one of each format) and the
survey answers and scanned items. Scale 1 is the national month: 1,360 units, ~139,000 survey
answers and ~139,000 scanned items (5 M each over 36 months). `--history N` writes instead, for the
N months before `--month`, one consolidated structured form per month with every unit's report
(settled history for the "month on 36 months of history" benchmark: no unit owes an old month,
so the alerts of the timed month are the month's own) and each month's survey export and
monitoring tools' exports at `--scale` (at scale 1, 36 months hold ~5 M survey answers and ~5 M
scanned items). Prints what it wrote (JSON).
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
import uuid as uuidlib
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dlxh.core.calendar import LOCAL, add_months, monthly_due_at  # noqa: E402
from dlxh.demo import FORM_HEADER, ITEMS, REGISTRY_HEADER, REPUTA_HEADER, SCAN_POSTS, SENTIMENT_OF  # noqa: E402

PROVINCES = 34
UNITS_PER_PROVINCE = 40
DISTRICTS_PER_PROVINCE = 12
ANSWERS_PER_MONTH = 5_000_000 / 36
SCAN_ITEMS_PER_MONTH = 5_000_000 / 36
SURVEY_ID = "khao_sat_toan_quoc"
# Syllables of the generated place names (two each: unique province and district names).
SYLLABLES = [
    "An",
    "Bình",
    "Cát",
    "Đông",
    "Gia",
    "Hà",
    "Hòa",
    "Hưng",
    "Khánh",
    "Lâm",
    "Long",
    "Minh",
    "Nam",
    "Ngọc",
    "Phú",
    "Phước",
    "Quang",
    "Sơn",
    "Tân",
    "Thạch",
    "Thanh",
    "Thuận",
    "Tiên",
    "Trà",
    "Trung",
    "Tuy",
    "Văn",
    "Vĩnh",
    "Xuân",
    "Yên",
    "Bảo",
    "Cẩm",
    "Đức",
    "Hải",
    "Kim",
    "Lạc",
    "Mỹ",
    "Nghĩa",
    "Phong",
    "Thái",
]
SECTORS = [
    "Giáo dục",
    "Y tế",
    "Công Thương",
    "Xây dựng",
    "Giao thông vận tải",
    "Nông nghiệp",
    "Tài chính",
    "Ngân hàng",
    "Điện lực",
    "Bưu điện",
    "Dệt may",
    "Cao su",
    "Than",
    "Dầu khí",
    "Du lịch",
    "Văn hóa",
    "Thông tin",
    "Khoa học",
    "Tư pháp",
    "Thủy sản",
    "Lâm nghiệp",
    "Môi trường",
    "Cấp nước",
    "Đường sắt",
    "Hàng không",
    "Hàng hải",
    "Khu công nghiệp",
]
# (format, share of reporting units); documents only from district federations.
FORMATS = (("csv", 0.50), ("xlsx", 0.20), ("docx", 0.12), ("pdf", 0.08), ("scan", 0.05))
MISSING = 0.05


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    unit_type: str
    parent: str
    province: str  # the province's short name ("Bình Cát")
    short: str  # the district's short name, for a document's header ("" for other units)


def provinces() -> list[tuple[str, str, str]]:
    """(code, name, short name) of the 34 provinces."""
    out = []
    for p in range(PROVINCES):
        short = f"{SYLLABLES[p % 40]} {SYLLABLES[(p * 7 + 13) % 40]}"
        out.append((f"TINH{p + 1:02d}", f"Liên đoàn Lao động tỉnh {short}", short))
    return out


def units() -> list[Unit]:
    """Every unit below the provinces: 40 per province, district names unique nation-wide."""
    out = []
    for p, (pcode, _pname, pshort) in enumerate(provinces()):
        for u in range(UNITS_PER_PROVINCE):
            if u < DISTRICTS_PER_PROVINCE:
                k = p * DISTRICTS_PER_PROVINCE + u
                a = k % 40
                short = f"{SYLLABLES[a]} {SYLLABLES[(k // 40 + a + 1) % 40]}"
                out.append(Unit(f"{pcode}-H{u + 1:02d}", f"Liên đoàn Lao động huyện {short}", "district", pcode, pshort, short))
            elif u < UNITS_PER_PROVINCE - 1:
                sector = SECTORS[u - DISTRICTS_PER_PROVINCE]
                out.append(Unit(f"{pcode}-N{u + 1:02d}", f"Công đoàn ngành {sector} tỉnh {pshort}", "sector", pcode, pshort, ""))
            else:
                out.append(Unit(f"{pcode}-VC", f"Công đoàn Viên chức tỉnh {pshort}", "civil_servants", pcode, pshort, ""))
    return out


def write_registry(path: Path, valid_from: date) -> Path:
    rows = [[code, name, "province", "", "2000-01-01", "", "", "Ban Tuyên giáo", "", ""] for code, name, _s in provinces()]
    rows += [[u.code, u.name, u.unit_type, u.parent, valid_from.isoformat(), "", "", "Văn phòng", "", ""] for u in units()]
    return _write_csv(path, REGISTRY_HEADER, rows)


def _write_csv(path: Path, header: list[str], rows: list[list], mtime: datetime | None = None) -> Path:
    import os

    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    if mtime is not None:
        os.utime(path, (mtime.timestamp(), mtime.timestamp()))
    return path


def _form_rows(unit: Unit, period: date, received: datetime, rng: random.Random) -> list[list[str]]:
    topics = rng.sample(sorted(ITEMS), k=3)
    doc_no = f"{rng.randint(5, 90)}/BC-{'LĐLĐ' if unit.unit_type == 'district' else 'CĐ'}"
    rows = []
    for t in topics:
        situation, cause, forecast, proposal = ITEMS[t]
        rows.append(
            [
                unit.code,
                unit.name,
                f"{period:%Y-%m}",
                "Tháng",
                doc_no,
                received.strftime("%Y-%m-%d %H:%M"),
                t,
                situation,
                SENTIMENT_OF[t],
                "Có" if t == "T11" and rng.random() < 0.3 else "Không",
                cause,
                forecast,
                proposal,
            ]
        )
    return rows


def _plan(scale: float, rng: random.Random) -> list[tuple[Unit, str]]:
    """(unit, format) of every unit that reports this month; documents from districts only."""
    everyone = units()
    reporting = [u for u in everyone if rng.random() >= MISSING]
    if scale < 1:
        keep = max(1, round(len(reporting) * scale))
        reporting = rng.sample(reporting, keep)
    districts = [u for u in reporting if u.unit_type == "district"]
    others = [u for u in reporting if u.unit_type != "district"]
    n = len(reporting)
    doc_counts = {fmt: max(1, round(n * share)) for fmt, share in FORMATS if fmt in ("docx", "pdf", "scan")}
    plan: list[tuple[Unit, str]] = []
    rng.shuffle(districts)
    for fmt, count in doc_counts.items():
        for _ in range(count):
            if districts:
                plan.append((districts.pop(), fmt))
    rest = districts + others
    rng.shuffle(rest)
    xlsx = max(1, round(n * dict(FORMATS)["xlsx"]))
    plan += [(u, "xlsx") for u in rest[:xlsx]] + [(u, "csv") for u in rest[xlsx:]]
    return plan


def write_reports(folder: Path, period: date, scale: float, rng: random.Random) -> dict[str, int]:
    from tests import fixtures_reports as fx

    due = monthly_due_at(period)
    counts: dict[str, int] = {}
    for i, (unit, fmt) in enumerate(_plan(scale, rng)):
        late = rng.random() < 0.1
        received = due + timedelta(days=rng.randint(1, 5), hours=rng.randint(1, 9)) if late else due - timedelta(days=rng.randint(1, 8))
        stem = f"BC_{unit.code}_{period:%Y-%m}"
        if fmt in ("csv", "xlsx"):
            rows = _form_rows(unit, period, received, rng)
            path = folder / f"{stem}.{fmt}"
            if fmt == "csv":
                _write_csv(path, FORM_HEADER, rows)
            else:
                fx.write_form_xlsx(path, rows, header=FORM_HEADER)
        else:
            issued = min(received, due - timedelta(days=1)).astimezone(LOCAL)
            topic = sorted(ITEMS)[i % len(ITEMS)]
            situation, cause, forecast, proposal = ITEMS[topic]
            spec = fx.ReportSpec(
                parent=f"LĐLĐ TỈNH {unit.province.upper()}",
                issuer=f"LĐLĐ HUYỆN {unit.short.upper()}",
                place=unit.short,
                doc_number=f"{rng.randint(5, 90)}/BC-LĐLĐ",
                issued=(issued.day, issued.month, issued.year),
                title_period=f"tháng {period.month} năm {period.year}",
                situation=[situation],
                causes=[cause],
                forecast=[forecast],
                proposals=[proposal],
            )
            if fmt == "docx":
                path = fx.write_docx(spec, folder / f"{stem}.docx")
            elif fmt == "pdf":
                path = fx.write_pdf_text(spec, folder / f"{stem}.pdf")
            elif i % 2:
                path = fx.write_image(spec, folder / f"{stem}_scan.png")
            else:
                path = fx.write_scanned_pdf(spec, folder / f"{stem}_scan.pdf")
        fx.set_mtime(path, received)
        counts[fmt] = counts.get(fmt, 0) + 1
    return counts


def write_history(inbox: Path, month: date, months: int, scale: float, rng: random.Random) -> dict[str, int]:
    """For each of the `months` before `month`: one consolidated structured form (every unit's
    report), the survey's export and the monitoring tools' exports (sized by `scale`)."""
    written = {"history_months": 0, "survey_submissions": 0, "scan_items": 0}
    everyone = units()
    for back in range(months, 0, -1):
        period = add_months(month, -back)
        due = monthly_due_at(period)
        rows = []
        for unit in everyone:  # settled history: every unit reported (no open obligations left)
            rows += _form_rows(unit, period, due - timedelta(days=rng.randint(1, 8)), rng)
        _write_csv(inbox / "reports" / f"{period:%Y-%m}" / f"BC_tong_hop_{period:%Y-%m}.csv", FORM_HEADER, rows, mtime=due)
        written["history_months"] += 1
        written["survey_submissions"] += write_survey(inbox / "surveys" / SURVEY_ID, period, scale)
        written["scan_items"] += write_scans(inbox / "scans", period, scale, rng)
    return written


def write_survey(folder: Path, period: date, scale: float) -> int:
    """The survey's XLSForm (the national unit list) and the month's KoboToolbox export."""
    import openpyxl

    from ingestion.surveys import sample

    shape = sample.FormShape()
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "survey"
    ws.append(sample.SURVEY_HEADER)
    for r in sample.survey_rows(shape):
        ws.append(r)
    ch = wb.create_sheet("choices")
    ch.append(["list_name", "name", "label::Tiếng Việt (vi)"])
    national = units()
    for u in national:
        ch.append(["don_vi", u.code, u.name])
    for r in sample.choice_rows():
        if r[0] != "don_vi":
            ch.append(r)
    st = wb.create_sheet("settings")
    st.append(["form_title", "form_id", "version", "default_language", "dlxh_unit"])
    st.append(["Khảo sát tư tưởng đoàn viên, người lao động toàn quốc", SURVEY_ID, f"{period:%Y%m}01", "Tiếng Việt (vi)", ""])
    folder.mkdir(parents=True, exist_ok=True)
    wb.save(folder / "form.xlsx")
    # ~10 answer rows per submission (5 Likert questions, the range, the issues, the yes/no).
    submissions = max(20, round(ANSWERS_PER_MONTH * scale / 10))
    answers = []
    for i, a in enumerate(sample.generate(submissions, (period.year, period.month), seed=11)):
        answers.append(
            replace(
                a,
                unit=national[i % len(national)].code,
                uuid=str(uuidlib.uuid5(uuidlib.NAMESPACE_URL, f"dlxh-national-{period:%Y-%m}-{i}")),
            )
        )
    sample.kobo_export(folder / f"kobo_{period:%Y-%m}.csv", answers, shape)
    return submissions


def write_scans(folder: Path, period: date, scale: float, rng: random.Random) -> int:
    """Exports of two monitoring tools (reputa CSV, newsmon JSONL) that overlap by a third."""
    n = max(30, round(SCAN_ITEMS_PER_MONTH * scale))
    places = [u.short for u in units() if u.short]
    reputa, newsmon = [], []
    for i in range(n):
        text, label, score = SCAN_POSTS[i % len(SCAN_POSTS)]
        published = datetime(period.year, period.month, rng.randint(1, 27), rng.randint(6, 22), rng.randint(0, 59), tzinfo=LOCAL)
        captured = published + timedelta(hours=rng.randint(1, 30))
        url = f"https://www.facebook.com/groups/nhom{rng.randint(1, 400)}/posts/{period:%Y%m}{i:07d}"
        text = text.format(place=places[i % len(places)]) + f" (#{i})"
        likes, shares = rng.randint(0, 500), rng.randint(0, 80)
        if i % 3 != 2:
            reputa.append(
                [
                    url + "?utm_source=reputa",
                    "Facebook",
                    published.strftime("%d/%m/%Y %H:%M"),
                    captured.strftime("%d/%m/%Y %H:%M"),
                    "",
                    text,
                    f"@taikhoan_{i % 5000}",
                    likes,
                    shares,
                    rng.randint(0, 40),
                    likes * 10,
                    label,
                    "",
                    "",
                ]
            )
        if i % 3 != 0:
            newsmon.append(
                json.dumps(
                    {
                        "link": url.replace("www.facebook.com", "m.facebook.com"),
                        "published": published.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                        "crawled_at": (captured + timedelta(hours=6)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                        "body": text,
                        "source": {"type": "fb", "handle": f"taikhoan_{i % 5000}"},
                        "engagement": {"likes": likes + 5, "shares": shares, "comments": 3, "views": likes * 12},
                        "sentiment_score": score,
                    },
                    ensure_ascii=False,
                )
            )
    _write_csv(folder / "reputa" / f"reputa_{period:%Y-%m}.csv", REPUTA_HEADER, reputa)
    path = folder / "newsmon" / f"newsmon_{period:%Y-%m}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(newsmon) + "\n", encoding="utf-8")
    return n


def write_month(inbox: Path, month: date, scale: float, seed: int = 2026) -> dict:
    rng = random.Random(f"{seed}-{month}")
    registry = write_registry(inbox / "units" / "danh_muc_don_vi_toan_quoc.csv", add_months(month, -48))
    return {
        "month": f"{month:%Y-%m}",
        "scale": scale,
        "registry_units": len(units()) + PROVINCES,
        "registry": str(registry),
        "reports": write_reports(inbox / "reports" / f"{month:%Y-%m}", month, scale, rng),
        "survey_submissions": write_survey(inbox / "surveys" / SURVEY_ID, month, scale),
        "scan_items": write_scans(inbox / "scans", month, scale, rng),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("inbox", type=Path)
    ap.add_argument("--month", default=None, help="YYYY-MM (default: the last month whose report deadline has passed)")
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--history", type=int, default=0, help="write N months of history (forms, surveys, scans) instead of the month")
    ap.add_argument("--seed", type=int, default=2026)
    args = ap.parse_args()
    month = date.fromisoformat(args.month + "-01") if args.month else default_month()
    if args.history:
        rng = random.Random(f"{args.seed}-history")
        written = write_history(args.inbox, month, args.history, args.scale, rng)
        print(json.dumps({**written, "units": len(units())}))
        return 0
    print(json.dumps(write_month(args.inbox, month, args.scale, args.seed), ensure_ascii=False))
    return 0


def default_month(today: date | None = None) -> date:
    from dlxh.demo import demo_months

    return demo_months(today or datetime.now(LOCAL).date(), 1)[-1]


if __name__ == "__main__":
    sys.exit(main())
