"""The monthly report upward, end to end on the demo warehouse: real ingest, real dbt build, real
LibreOffice, poppler and aiosmtpd. Every figure the report shows is checked against SQL written
here over the marts; the document is read back with python-docx and pdftotext."""

from __future__ import annotations

import email
import email.policy
import os
import re
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import pytest

from dlxh.core.calendar import LOCAL
from tests.test_alerts_delivery import MailSink, SmtpServer

ROOT = Path(__file__).resolve().parents[1]
AS_OF = date(2026, 11, 26)
MONTH = date(2026, 10, 1)
TINY_MONTH = date(2026, 8, 1)  # a survey month with fewer respondents per cell than the threshold
HEADINGS = [
    "I. TÌNH HÌNH THỰC HIỆN CHẾ ĐỘ BÁO CÁO",
    "II. TÌNH HÌNH TƯ TƯỞNG, DƯ LUẬN XÃ HỘI THEO CHỦ ĐỀ",
    "III. KẾT QUẢ KHẢO SÁT",
    "IV. KẾT QUẢ RÀ QUÉT THÔNG TIN",
    "V. ĐIỂM NÓNG VÀ CÔNG TÁC ỨNG PHÓ",
    "VI. DỰ BÁO VÀ ĐỀ XUẤT, KIẾN NGHỊ",
    "VII. MẠNG LƯỚI CỘNG TÁC VIÊN",
]
STATUS_VI = {"on_time": "Đúng hạn", "late": "Trễ hạn", "missing": "Chưa gửi", "pending": "Chưa đến hạn"}


def _rows(conn, sql, params=()):
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def mail(tmp_path_factory):
    sink = MailSink()
    server = SmtpServer(sink)
    server.start()
    saved = {
        k: os.environ.get(k)
        for k in (
            "DLXH_ALERT_CHANNELS",
            "DLXH_SMTP_HOST",
            "DLXH_SMTP_PORT",
            "DLXH_SMTP_SECURITY",
            "DLXH_SMTP_FROM",
            "DLXH_SMTP_TIMEOUT",
            "DLXH_REPORT_MAIL_TO",
            "DLXH_OFFICE_EMAIL",
        )
    }
    os.environ.update(
        {
            "DLXH_ALERT_CHANNELS": "email",
            "DLXH_SMTP_HOST": "127.0.0.1",
            "DLXH_SMTP_PORT": str(server.port),
            "DLXH_SMTP_SECURITY": "none",
            "DLXH_SMTP_FROM": "LĐLĐ tỉnh <noreply@ldld.example.vn>",
            "DLXH_SMTP_TIMEOUT": "5",
            "DLXH_REPORT_MAIL_TO": "bantuyengiao@ldld.example.vn",
        }
    )
    os.environ.pop("DLXH_OFFICE_EMAIL", None)
    yield sink
    server.stop()
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture(scope="module")
def warehouse_demo(module_warehouse, dlxh_home: Path):
    """The demo's units, reports, survey and scans ingested; plus a tiny survey export for TINY_MONTH."""
    from dlxh.build import build
    from dlxh.demo import write_demo
    from ingestion.framework import run_ingest
    from ingestion.sources import get_source
    from ingestion.surveys import sample

    conn = module_warehouse
    root = dlxh_home / "demo-monthly-report"
    written = write_demo(root, AS_OF, months=6)
    run_ingest(get_source("units"), written["units"], conn, progress=None)
    run_ingest(get_source("reports"), written["reports"], conn, progress=None)
    form = next(p for p in written["surveys"] if p.name == "form.xlsx")
    tiny = sample.kobo_export(form.parent / "kobo_tiny.csv", list(sample.generate(3, (TINY_MONTH.year, TINY_MONTH.month), start=5000)))
    exports = [p for p in written["surveys"] if p.suffix == ".csv"] + [tiny]
    run_ingest(get_source("surveys", form=str(form)), exports, conn, progress=None)
    for tool in ("reputa", "newsmon"):
        run_ingest(get_source("scans", tool=tool), [p for p in written["scans"] if p.parent.name == tool], conn, progress=None)
    assert build(as_of=AS_OF, full_refresh=True).ok
    from hotspots.cases import sync_cases

    # Hot-spot cases for the hot spots up to the month (section V); their alerts are claimed, not sent here.
    sync_cases(AS_OF, deliver=False)
    return conn, root, tiny


@pytest.fixture(scope="module")
def report_v1(warehouse_demo, mail, dlxh_home):
    from dlxh.monthly_report import generate_report

    result = generate_report(MONTH, out_dir=dlxh_home / "monthly-out", issued_on=date(2026, 11, 25))
    return result


@pytest.fixture(scope="module")
def docx_text(report_v1):
    import docx

    d = docx.Document(report_v1.paths["docx"])
    paragraphs = [p.text for p in d.paragraphs]
    tables = [[[c.text for c in row.cells] for row in t.rows] for t in d.tables]
    return d, paragraphs, tables


@pytest.fixture(scope="module")
def pdf_text(report_v1):
    return subprocess.run(["pdftotext", report_v1.paths["pdf"], "-"], capture_output=True, text=True, check=True).stdout


def _table(tables, first_header: list[str]) -> list[list[str]]:
    found = [t for t in tables if t[0][: len(first_header)] == first_header]
    assert found, f"no table with headers {first_header}"
    return found[0]


def test_header_number_title_and_layout(docx_text, report_v1):
    d, paragraphs, tables = docx_text
    header = tables[0]
    assert header[0][0].split("\n") == ["LĐLĐ TỈNH LAI CHÂU", "BAN TUYÊN GIÁO", ""]
    assert header[0][1].split("\n") == ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"]
    assert re.fullmatch(r"Số: +/BC-LĐLĐ", header[1][0])
    assert header[1][1] == "Lai Châu, ngày 25 tháng 11 năm 2026"
    cell = d.tables[0].cell(1, 1).paragraphs[0].runs[0]
    assert cell.italic
    motto = d.tables[0].cell(0, 1).paragraphs[1].runs[0]
    assert motto.bold and motto.underline
    assert "BÁO CÁO" in paragraphs
    assert "Tình hình tư tưởng, dư luận xã hội trong đoàn viên, người lao động tháng 10 năm 2026" in paragraphs
    for heading in HEADINGS:
        assert any(p.startswith(heading) for p in paragraphs), heading
    s = d.sections[0]
    mm = {
        k: round(getattr(s, k).mm, 1) for k in ("page_width", "page_height", "top_margin", "bottom_margin", "left_margin", "right_margin")
    }
    assert (mm["page_width"], mm["page_height"]) == (210, 297)
    assert 20 <= mm["top_margin"] <= 25 and 20 <= mm["bottom_margin"] <= 25
    assert 30 <= mm["left_margin"] <= 35 and 15 <= mm["right_margin"] <= 20
    assert d.styles["Normal"].font.name == "Times New Roman" and d.styles["Normal"].font.size.pt in (13, 14)
    closing = tables[-1][0]
    assert closing[0].startswith("Nơi nhận:") and "Ban Tuyên giáo Tỉnh ủy" in closing[0]
    assert closing[1].split("\n")[:2] == ["TM. BAN THƯỜNG VỤ", "PHÓ CHỦ TỊCH"] and closing[1].strip().endswith("Nguyễn Văn A")
    assert report_v1.version == 1 and report_v1.is_new


def test_section_one_every_unit_and_counts_equal_sql(docx_text, warehouse_demo):
    conn = warehouse_demo[0]
    _d, paragraphs, tables = docx_text
    expected = _rows(
        conn,
        """select unit_name, status from marts.fct_report_submission
                              where period_month = %s and report_type = 'monthly'""",
        (MONTH,),
    )
    units = _table(tables, ["STT", "Đơn vị"])
    shown = {row[1]: row[3] for row in units[1:]}
    assert shown == {name: STATUS_VI[status] for name, status in expected}
    n = len(expected)
    on_time = sum(1 for _, s in expected if s == "on_time")
    late = sum(1 for _, s in expected if s == "late")
    missing = sum(1 for _, s in expected if s == "missing")
    text = _flat(" ".join(paragraphs))
    assert f"có {n} đơn vị phải gửi báo cáo" in text
    assert (
        f"Đã nhận {on_time + late} báo cáo, trong đó {on_time} báo cáo đúng hạn và {late} báo cáo trễ hạn; {missing} đơn vị chưa gửi"
        in text
    )
    (rate,) = _rows(
        conn,
        """select on_time_rate from marts.mart_report_compliance
                             where grain = 'province_month' and report_type = 'monthly' and period_start = %s""",
        (MONTH,),
    )[0]
    assert f"đạt {float(rate) * 100:.1f}%".replace(".", ",") in text


def test_section_two_topics_equal_sql_with_attributed_quotes(docx_text, warehouse_demo):
    conn = warehouse_demo[0]
    _d, paragraphs, tables = docx_text
    expected = dict(
        _rows(
            conn,
            """select t.name_vi, count(distinct m.unit_code) from marts.mart_unit_topic_month m
                                   join marts.dim_topic t using (topic_code)
                                   where m.period_month = %s and m.report_mentions > 0 and m.unit_code is not null
                                   group by t.name_vi""",
            (MONTH,),
        )
    )
    topics = _table(tables, ["STT", "Chủ đề", "Số đơn vị đề cập"])
    assert {row[1]: int(row[2]) for row in topics[1:] if int(row[2]) > 0} == expected
    # quotes are text units wrote in their current report for the month, attributed to a unit
    written = {
        r[0]
        for r in _rows(
            conn,
            """select i.summary from marts.fct_report_submission s
                                          join raw.report_items i on i.report_key = s.current_report_key
                                          where s.period_month = %s""",
            (MONTH,),
        )
    }
    unit_names = {r[0] for r in _rows(conn, "select unit_name from marts.fct_report_submission where period_month = %s", (MONTH,))}
    quotes = [p for p in paragraphs if p.startswith("“")]
    assert quotes
    for i, p in enumerate(paragraphs):
        if p.startswith("“"):
            assert p.strip("“”") in written
            assert any(name in paragraphs[i + 1] for name in unit_names)


def test_sections_three_to_five_equal_sql(docx_text, warehouse_demo):
    conn = warehouse_demo[0]
    _d, paragraphs, tables = docx_text
    text = _flat(" ".join(paragraphs))
    survey = dict(
        _rows(
            conn,
            """select t.name_vi, sum(m.survey_respondents) from marts.mart_unit_topic_month m
                                 join marts.dim_topic t using (topic_code)
                                 where m.period_month = %s and not m.survey_is_suppressed and m.survey_respondents is not null
                                 group by t.name_vi""",
            (MONTH,),
        )
    )
    assert survey
    shown = _table(tables, ["Chủ đề", "Số người trả lời", "Điểm bình quân"])
    assert {row[0]: int(row[1].replace(".", "")) for row in shown[1:]} == survey
    (items,) = _rows(
        conn,
        """select count(distinct signal_group_key) from marts.fct_opinion_signal
                              where source = 'scan' and period_month = %s""",
        (MONTH,),
    )[0]
    assert items > 0 and f"ghi nhận {items} tin, bài" in text
    platforms = _table(tables, ["Nền tảng", "Số tin, bài"])
    assert sum(int(r[1]) for r in platforms[1:]) == items
    hot = _rows(conn, "select count(*) from marts.mart_hot_spots where period_month = %s", (MONTH,))[0][0]
    assert hot, "the demo month has hot spots"
    rows = _table(tables, ["STT", "Đơn vị", "Chủ đề", "Căn cứ"])[1:]
    assert len(rows) == hot and f"phát hiện {hot} điểm nóng" in text
    # Each hot spot's case from the marts: case number and status in the table; scenario, owner and steps below it.
    cases = _rows(
        conn,
        """select c.case_id, c.status_vi, c.owner_name, c.scenario_code
                           from marts.mart_hot_spots h join marts.fct_hot_spot_case c on h.hot_spot_key = any(c.hot_spot_keys)
                           where h.period_month = %s order by c.case_id""",
        (MONTH,),
    )
    assert len(cases) == hot  # every hot spot of the month has its case (one unit x topic each)
    assert sorted(r[-1] for r in rows) == sorted(f"Vụ việc #{cid}: {status}" for cid, status, _o, _s in cases)
    assert "Chưa có kịch bản ứng phó" not in text
    from dlxh.core.config.hot_spots import load_library

    names = {sc.code: sc.name_vi for sc in load_library().scenarios}
    for case_id, status, owner, scenario in cases:
        assert _flat(f"Vụ việc #{case_id} (") in text and _flat(f"kịch bản «{names[scenario]}»") in text
        assert _flat(f"trạng thái «{status}», phụ trách: {owner}.") in text
        steps = _rows(
            conn,
            """select what, lead_body from marts.fct_hot_spot_case_step
                               where case_id = %s and is_current_cycle order by step_no""",
            (case_id,),
        )
        assert steps and all(_flat(f"{what} (chủ trì: {lead}") in text for what, lead in steps)
    assert "Chưa có dữ liệu mạng lưới cộng tác viên." in text


def test_report_reads_marts_only_and_new_marts_are_for_bi(warehouse_demo):
    source = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "dlxh" / "monthly_report").rglob("*.py"))
    assert "staging." not in source and "raw." not in source.replace("raw.decode", "")
    conn = warehouse_demo[0]
    for mart in ("fct_report_evidence", "dim_scan_item", "fct_hot_spot_case_step"):
        assert _rows(conn, "select has_table_privilege('bi_reader', %s, 'select')", (f"marts.{mart}",)) == [(True,)]
    # the evidence mart holds the units' text of every version, the scan dimension every unique item
    (evidence,) = _rows(
        conn,
        """select count(*) from marts.fct_report_evidence e join marts.fct_report_submission s
                                 on s.current_report_key = e.report_key where s.period_month = %s""",
        (MONTH,),
    )[0]
    (items,) = _rows(conn, "select count(*) from raw.scan_items")[0]
    assert evidence > 0 and _rows(conn, "select count(*) from marts.dim_scan_item") == [(items,)]
    assert _rows(
        conn,
        """select count(*) from information_schema.columns where table_schema = 'marts'
                          and table_name = 'dim_scan_item' and column_name like 'author%%'""",
    ) == [(0,)]


def test_section_six_forecasts_and_proposals_are_the_units_own(docx_text, warehouse_demo):
    conn = warehouse_demo[0]
    _d, paragraphs, _tables = docx_text
    parts = {
        r[0]
        for r in _rows(
            conn,
            """select unnest(array[i.forecast, i.proposal]) from marts.fct_report_submission s
                                        join raw.report_items i on i.report_key = s.current_report_key
                                        where s.period_month = %s""",
            (MONTH,),
        )
        if r[0]
    }
    parts |= {
        r[0]
        for r in _rows(
            conn,
            """select unnest(array[r.forecast, r.proposals]) from marts.fct_report_submission s
                                         join raw.reports r on r.report_key = s.current_report_key
                                         where s.period_month = %s""",
            (MONTH,),
        )
        if r[0]
    }
    start = next(i for i, p in enumerate(paragraphs) if p.startswith("VI. "))
    end = next(i for i, p in enumerate(paragraphs) if p.startswith("VII. "))
    bullets = [p for p in paragraphs[start:end] if p.startswith("- ")]
    assert bullets
    for b in bullets:
        text = re.sub(r" \([^()]*\)\.$", "", b[2:])
        assert text in parts


def test_pdf_text_and_pages_are_real(pdf_text, report_v1, tmp_path):
    from PIL import Image

    flat = _flat(pdf_text)
    for phrase in [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "BAN TUYÊN GIÁO",
        "/BC-LĐLĐ",
        "Lai Châu, ngày 25 tháng 11 năm 2026",
        "BÁO CÁO",
        "Tình hình tư tưởng, dư luận xã hội trong đoàn viên, người lao động tháng 10 năm 2026",
        "Nơi nhận:",
        "TM. BAN THƯỜNG VỤ",
        *HEADINGS,
    ]:
        assert phrase in flat, phrase
    info = subprocess.run(["pdfinfo", report_v1.paths["pdf"]], capture_output=True, text=True, check=True).stdout
    assert "A4" in info
    subprocess.run(["pdftoppm", "-r", "50", "-f", "1", "-l", "2", "-png", report_v1.paths["pdf"], str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page*.png"))
    assert len(pages) == 2
    for page in pages:
        im = Image.open(page).convert("L")
        dark = sum(1 for v in im.getdata() if v < 200) / (im.width * im.height)
        assert dark > 0.02, f"{page.name}: {dark:.3f} of pixels inked"


def test_html_has_the_same_document(report_v1):
    html = Path(report_v1.paths["html"]).read_text(encoding="utf-8")
    assert '<html lang="vi">' in html and "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in html
    assert html.count("data:image/png;base64,") >= 3  # on-time, topics, sentiment charts at least
    for heading in HEADINGS:
        assert heading in html


def test_privacy_suppressed_cells_and_scan_authors_never_shown(warehouse_demo, report_v1, dlxh_home):
    import docx

    from dlxh.monthly_report import generate_report
    from dlxh.monthly_report.render import SUPPRESSED

    conn, _root, tiny = warehouse_demo
    suppressed = _rows(
        conn, "select count(*) from marts.mart_unit_topic_month where period_month = %s and survey_is_suppressed", (TINY_MONTH,)
    )
    assert suppressed[0][0] > 0
    tiny_report = generate_report(TINY_MONTH, out_dir=dlxh_home / "monthly-tiny", issued_on=date(2026, 11, 25), mail=False)
    d = docx.Document(tiny_report.paths["docx"])
    cells = [[[c.text for c in row.cells] for row in t.rows] for t in d.tables]
    survey_cells = _table(cells, ["Chủ đề", "Đơn vị", "Số người trả lời"])
    assert len(survey_cells) - 1 == suppressed[0][0] and all(r[2] == r[3] == SUPPRESSED for r in survey_cells[1:])
    # who answered (names and phones in the export), scan authors and raw post text: in no output
    import csv

    with tiny.open(encoding="utf-8-sig") as fh:
        people = [
            v
            for row in csv.DictReader(fh)
            for k, v in row.items()
            if v and k and ("name" in k.lower() or "phone" in k.lower() or "tên" in k.lower() or "điện thoại" in k.lower())
        ]
    handles = [r[0] for r in _rows(conn, "select author_hash from raw.scan_items where author_hash is not null")]
    texts = [r[0] for r in _rows(conn, "select text from restricted.scan_item_text where text is not null")]
    assert texts and handles
    outputs = []
    for result in (report_v1, tiny_report):
        outputs.append(Path(result.paths["html"]).read_text(encoding="utf-8"))
        outputs.append(
            "\n".join(p.text for p in docx.Document(result.paths["docx"]).paragraphs)
            + "\n".join(c.text for t in docx.Document(result.paths["docx"]).tables for row in t.rows for c in row.cells)
        )
        outputs.append(subprocess.run(["pdftotext", result.paths["pdf"], "-"], capture_output=True, text=True, check=True).stdout)
    for out in outputs:
        flat = _flat(out)
        for secret in [*people, *handles, *texts]:
            assert _flat(secret) not in flat
        assert "taikhoan_" not in flat


def test_same_figures_no_new_version_late_report_makes_v2_mailed_once(warehouse_demo, report_v1, mail, dlxh_home):
    from dlxh.build import build
    from dlxh.demo import FORM_HEADER, _write_csv
    from dlxh.monthly_report import generate_report
    from ingestion.framework import run_ingest
    from ingestion.sources import get_source

    conn = warehouse_demo[0]
    again = generate_report(MONTH, issued_on=date(2026, 11, 25))
    assert (again.version, again.is_new, again.paths) == (1, False, report_v1.paths)
    assert len(mail.messages) == 1

    missing = _rows(
        conn,
        """select unit_code, unit_name from marts.fct_report_submission
                             where period_month = %s and report_type = 'monthly' and status = 'missing' order by unit_code""",
        (MONTH,),
    )
    assert missing, "the demo month has a missing unit"
    code, name = missing[0]
    received = datetime(2026, 11, 10, 9, 0, tzinfo=LOCAL)
    late = _write_csv(
        dlxh_home / "late-report" / f"BC_{code}_2026-10.csv",
        FORM_HEADER,
        [
            [
                code,
                name,
                "2026-10",
                "Tháng",
                "31/BC-CĐ",
                received.strftime("%Y-%m-%d %H:%M"),
                "T11",
                "Người lao động phản ánh bị cắt giảm giờ làm, thu nhập giảm.",
                "Tiêu cực",
                "Không",
                "Đơn hàng giảm.",
                "Có thể phát sinh đơn thư.",
                "Đề nghị doanh nghiệp công khai kế hoạch sản xuất.",
            ]
        ],
        mtime=received,
    )
    run_ingest(get_source("reports"), [late], conn, progress=None)
    assert build(as_of=AS_OF).ok

    # Another alert already due in the outbox: the report's mail step must leave it to its own sender.
    with conn, conn.cursor() as cur:
        cur.execute(
            """insert into ops.alert_log (unit_code, period_month, report_type, rule, recipient, channel, as_of, subject,
                                                  status, next_attempt_at)
                       values (%s, %s, 'monthly', 'reminder_before_due', 'other@ldld.example.vn', 'email', %s,
                               'Nhắc hạn báo cáo', 'pending', now() - interval '1 hour')
                       returning alert_id""",
            (code, MONTH, AS_OF),
        )
        other_id = cur.fetchone()[0]

    v2 = generate_report(MONTH, issued_on=date(2026, 11, 26))
    assert v2.version == 2 and v2.is_new and v2.fingerprint != report_v1.fingerprint
    assert all(Path(p).is_file() for p in report_v1.paths.values())  # version 1 kept
    assert all("-v2." in p for p in v2.paths.values())
    versions = _rows(
        conn, "select version, figures -> 'counts' from ops.monthly_reports where period_month = %s order by version", (MONTH,)
    )
    assert [v for v, _ in versions] == [1, 2]
    assert versions[1][1]["late"] == versions[0][1]["late"] + 1 and versions[1][1]["missing"] == versions[0][1]["missing"] - 1
    pdf = _flat(subprocess.run(["pdftotext", v2.paths["pdf"], "-"], capture_output=True, text=True, check=True).stdout)
    assert "Phiên bản 2" in pdf

    generate_report(MONTH)  # nothing changed since version 2: no version, no mail
    assert len(mail.messages) == 2
    subjects = [str(m["Subject"]) for _r, m in mail.messages]
    assert any("phiên bản 1" in s for s in subjects) and any("phiên bản 2" in s for s in subjects)
    for rcpts, msg in mail.messages:
        assert rcpts == ["bantuyengiao@ldld.example.vn"]
        names = sorted(part.get_filename() for part in msg.iter_attachments())
        version = "v2" if "phiên bản 2" in str(msg["Subject"]) else "v1"
        assert names == [f"bao-cao-dlxh-2026-10-{version}.docx", f"bao-cao-dlxh-2026-10-{version}.pdf"]
        pdf_part = next(p for p in msg.iter_attachments() if p.get_filename().endswith(".pdf"))
        assert pdf_part.get_content()[:5] == b"%PDF-"
    rows = _rows(conn, "select rule, status from ops.alert_log where report_type = 'monthly_report' order by rule")
    assert rows == [("monthly_report:v1", "sent"), ("monthly_report:v2", "sent")]
    assert _rows(conn, "select status, attempts from ops.alert_log where alert_id = %s", (other_id,)) == [("pending", 0)]
    assert all(rcpts != ["other@ldld.example.vn"] for rcpts, _m in mail.messages)
    with conn, conn.cursor() as cur:
        cur.execute("delete from ops.alert_log where alert_id = %s", (other_id,))
    assert email.message_from_bytes(mail.messages[0][1].as_bytes(), policy=email.policy.default) is not None


def _cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).parent / "dlxh"
    return subprocess.run([str(exe), *args], capture_output=True, text=True, env=env, timeout=120)


def test_without_libreoffice_exit_2_saying_what_to_install(tmp_path):
    env = {**os.environ, "PATH": str(Path(sys.executable).parent), "DLXH_CONFIG_DIR": str(tmp_path)}
    proc = _cli(["report", "--month", "2026-10", "--format", "pdf"], env)
    assert proc.returncode == 2
    assert "libreoffice-writer-nogui" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_bad_config_names_file_and_field(tmp_path):
    from dlxh.core.config import DEFAULTS_DIR

    text = (DEFAULTS_DIR / "monthly_report.toml").read_text(encoding="utf-8").replace("margin_left_mm = 30", "margin_left_mm = 12")
    (tmp_path / "monthly_report.toml").write_text(text, encoding="utf-8")
    proc = _cli(["report", "--month", "2026-10", "--format", "docx"], {**os.environ, "DLXH_CONFIG_DIR": str(tmp_path)})
    assert proc.returncode == 2
    assert str(tmp_path / "monthly_report.toml") in proc.stderr and "layout.margin_left_mm" in proc.stderr


def test_config_init_copies_and_check_validates_monthly_report_toml(tmp_path):
    folder = tmp_path / "config"
    env = {**os.environ, "DLXH_CONFIG_DIR": str(folder)}
    init = _cli(["config", "init"], env)
    assert init.returncode == 0 and str(folder / "monthly_report.toml") in init.stdout
    text = (folder / "monthly_report.toml").read_text(encoding="utf-8")
    text = text.replace('issuing_body = "BAN TUYÊN GIÁO"', 'issuing_body = "BAN TUYÊN GIÁO LĐLĐ THỬ"')
    assert "BAN TUYÊN GIÁO LĐLĐ THỬ" in text
    (folder / "monthly_report.toml").write_text(text, encoding="utf-8")
    ok = _cli(["config", "check"], env)
    line = next(ln for ln in ok.stdout.splitlines() if "monthly_report.toml" in ln)
    assert ok.returncode == 0 and "deployment" in line and str(folder / "monthly_report.toml") in line
    assert "issuer: BAN TUYÊN GIÁO LĐLĐ THỬ" in ok.stdout

    (folder / "monthly_report.toml").write_text(text.replace("margin_left_mm = 30", "margin_left_mm = 12"), encoding="utf-8")
    bad = _cli(["config", "check"], env)
    assert bad.returncode == 2
    assert str(folder / "monthly_report.toml") in bad.stderr and "layout.margin_left_mm: 12 is outside 30-35" in bad.stderr
