"""Render the figures into the report: a list of blocks (from the Jinja body template and the
tables below), written as DOCX (python-docx, Decree 30/2020/NĐ-CP layout), HTML, and PDF
(LibreOffice headless from the DOCX)."""

from __future__ import annotations

import base64
import html
import io
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from dlxh.core.errors import ConfigError, DlxhError
from dlxh.monthly_report.charts import Chart
from dlxh.monthly_report.config import ReportConfig

TEMPLATES = Path(__file__).parent / "templates"
STATUS_VI = {"on_time": "Đúng hạn", "late": "Trễ hạn", "missing": "Chưa gửi", "pending": "Chưa đến hạn"}
PARTS_VI = {"has_situation": "tình hình", "has_causes": "nguyên nhân", "has_forecast": "dự báo", "has_proposals": "đề xuất"}
RULES_VI = {"unit_flagged": "Đơn vị báo cáo là điểm nóng", "negative_spike": "Tín hiệu tiêu cực tăng đột biến"}
NO_RESPONSE = "Chưa có kịch bản ứng phó"
SUPPRESSED = "Không công bố (dưới ngưỡng)"


# -- numbers in Vietnamese style -----------------------------------------------------------------
def decimal_vi(value: float | None, digits: int = 2) -> str:
    if value is None:
        return "—"
    text = f"{abs(value):,.{digits}f}".replace(",", " ").replace(".", ",").replace(" ", ".")
    return ("−" if value < 0 and float(text.replace(".", "").replace(",", ".")) != 0 else "") + text


def pct(value: float | None) -> str:
    return "—" if value is None else decimal_vi(100 * value, 1) + "%"


def change(value: int) -> str:
    return f"tăng {value}" if value > 0 else f"giảm {-value}" if value < 0 else "không đổi"


def integer(value: int | None) -> str:
    return "—" if value is None else f"{value:,}".replace(",", ".")


def attribution(units: list[str]) -> str:
    if len(units) <= 3:
        return ", ".join(units)
    return f"{', '.join(units[:3])} và {len(units) - 3} đơn vị khác"


def clip(text: str, width: int = 220) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 1].rsplit(" ", 1)[0] + "…"


def date_line(place: str, day: date) -> str:
    """Decree 30: days under 10 and months 1 and 2 take a leading zero."""
    dd = f"{day.day:02d}"
    mm = f"{day.month:02d}" if day.month <= 2 else str(day.month)
    return f"{place}, ngày {dd} tháng {mm} năm {day.year}"


# -- the document model ----------------------------------------------------------------------------
@dataclass
class Table:
    headers: list[str]
    rows: list[list[str]]
    widths: list[float]  # relative column widths
    numeric: set[int] = field(default_factory=set)  # right-aligned columns


@dataclass
class Block:
    kind: str  # heading | subheading | paragraph | quote | bullet | table | chart
    text: str = ""
    attribution: str = ""
    table: Table | None = None
    chart: Chart | None = None


@dataclass
class Document:
    cfg: ReportConfig
    month: date
    version: int
    issued_on: date
    blocks: list[Block]

    @property
    def number_line(self) -> str:
        return f"Số: {self.cfg.number or '      '}/{self.cfg.document_symbol}"

    @property
    def date_line(self) -> str:
        return date_line(self.cfg.place, self.issued_on)

    @property
    def subject(self) -> str:
        return self.cfg.title_subject(self.month.month, self.month.year)


def _tables(data: dict[str, Any]) -> dict[str, Table]:
    t: dict[str, Table] = {}
    units = []
    for n, u in enumerate(data["units"], start=1):
        if u["status"] in ("on_time", "late"):
            missing = [label for key, label in PARTS_VI.items() if not u[key]]
            parts = "Đủ" if u["is_complete"] else ("Thiếu: " + ", ".join(missing) if missing else "Chưa đủ")
        else:
            parts = "—"
        late = str(u["days_late"]) if u["status"] in ("late", "missing") and u["days_late"] else "—"
        units.append([str(n), u["unit_name"], u["received_local"] or "—", STATUS_VI.get(u["status"], u["status"]), late, parts])
    t["units"] = Table(
        ["STT", "Đơn vị", "Thời điểm nhận", "Tình trạng", "Số ngày trễ", "Nội dung báo cáo"], units, [0.6, 3.6, 1.7, 1.3, 0.9, 1.9], {0, 4}
    )
    t["topics"] = Table(
        ["STT", "Chủ đề", "Số đơn vị đề cập", "Tháng trước", "Tăng, giảm", "Số ý kiến", "Ý kiến tiêu cực", "Điểm nóng"],
        [
            [
                str(n),
                x["topic_name"],
                str(x["units"]),
                str(x["units_previous"]),
                f"{x['units_change']:+d}" if x["units_change"] else "0",
                str(x["mentions"]),
                str(x["negative_mentions"]),
                str(x["hot_spots"]),
            ]
            for n, x in enumerate(data["topics"], start=1)
        ],
        [0.6, 3.8, 1.0, 1.0, 0.9, 0.9, 1.0, 0.9],
        {0, 2, 3, 4, 5, 6, 7},
    )
    t["survey_topics"] = Table(
        ["Chủ đề", "Số người trả lời", "Điểm bình quân", "Số ô không công bố"],
        [
            [x["topic_name"], integer(x["respondents"]), decimal_vi(x["mean_score"]), str(x["suppressed_cells"])]
            for x in data["survey_topics"]
        ],
        [4.6, 1.5, 1.5, 1.5],
        {1, 2, 3},
    )
    t["survey_cells"] = Table(
        ["Chủ đề", "Đơn vị", "Số người trả lời", "Điểm bình quân"],
        [
            [
                x["topic_name"],
                x["unit_name"],
                SUPPRESSED if x["suppressed"] else integer(x["respondents"]),
                SUPPRESSED if x["suppressed"] else decimal_vi(x["mean_score"]),
            ]
            for x in data["survey_cells"]
        ],
        [3.2, 3.2, 1.6, 1.6],
        {2, 3},
    )
    scans = data["scans"]
    for key, title in (("by_platform", "Nền tảng"), ("by_topic", "Chủ đề"), ("by_unit", "Địa bàn, đơn vị")):
        t["scan_" + key.split("_", 1)[1] + "s"] = Table(
            [title, "Số tin, bài", "Tiêu cực", "Tỷ lệ tiêu cực"],
            [[x["label"], integer(x["items"]), integer(x["negative"]), pct(x["negative_share"])] for x in scans[key]],
            [4.6, 1.4, 1.4, 1.4],
            {1, 2, 3},
        )
    t["scan_top"] = Table(
        ["STT", "Tiêu đề, đường dẫn", "Nền tảng", "Lượt tương tác"],
        [
            [str(n), (x["title"] + " — " if x["title"] else "") + (x["url"] or ""), x["platform"] or "—", integer(x["engagement"])]
            for n, x in enumerate(scans["top"], start=1)
        ],
        [0.6, 5.6, 1.3, 1.3],
        {0, 3},
    )
    t["hot_spots"] = Table(
        ["STT", "Đơn vị", "Chủ đề", "Căn cứ", "Tín hiệu tiêu cực", "Ứng phó"],
        [
            [
                str(n),
                h["unit_name"],
                h["topic_name"],
                "; ".join(RULES_VI.get(r, r) for r in h["rules"]),
                str(h["negative_signals"]),
                case_label(h),
            ]
            for n, h in enumerate(data["hot_spots"], start=1)
        ],
        [0.6, 2.4, 2.4, 2.0, 1.0, 1.6],
        {0, 4},
    )
    return t


def case_label(hot_spot: dict[str, Any]) -> str:
    """The response column of a hot spot: its case and status, else the sentence that none exists."""
    if hot_spot.get("case_id") is None:
        return NO_RESPONSE
    return f"Vụ việc #{hot_spot['case_id']}: {hot_spot['case_status_vi']}"


def _cases(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Each case of the month's hot spots once, with its scenario's and severity's Vietnamese names
    (hot_spot_scenarios.toml in force; the code when the file no longer has it)."""
    scenarios: dict[str, str] = {}
    levels: dict[str, str] = {}
    try:
        from dlxh.core.config.hot_spots import load_library

        library = load_library()
        scenarios = {sc.code: sc.name_vi for sc in library.scenarios}
        levels = {lv.code: lv.name_vi for lv in library.levels}
    except ConfigError:
        pass
    out: dict[int, dict[str, Any]] = {}
    for h in data["hot_spots"]:
        if h.get("case_id") is None or h["case_id"] in out:
            continue
        out[h["case_id"]] = {
            **h,
            "scenario_name": scenarios.get(h["scenario_code"], h["scenario_code"]),
            "severity_name": levels.get(h["severity"], h["severity"]),
        }
    return list(out.values())


def step_state(step: dict[str, Any]) -> str:
    if step["is_done"]:
        return "đã thực hiện"
    return "quá hạn, đã báo cáo cấp trên" if step["escalated"] else "đang thực hiện"


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)), undefined=StrictUndefined, keep_trailing_newline=True, trim_blocks=False, autoescape=False
    )
    env.filters.update(pct=pct, change=change, attribution=attribution, clip=clip, integer=integer, step_state=step_state)
    return env


def _grouped(outlook: list[dict[str, Any]], kind: str) -> list[tuple[str, list[dict[str, Any]]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for o in outlook:
        if o["kind"] == kind:
            out.setdefault(o["topic_name"], []).append(o)
    return list(out.items())


def build_document(
    cfg: ReportConfig, month: date, version: int, issued_on: date, data: dict[str, Any], charts: dict[str, Chart]
) -> Document:
    tables = _tables(data)
    history = data["history"]
    prev = history[-2] if len(history) > 1 and history[-1]["month"] == data["month"] else None
    prev_rate = prev["on_time_rate"] if prev else None
    rate = data["counts"]["on_time_rate"]
    if prev_rate is not None and rate is not None:
        diff = round(100 * (rate - prev_rate), 1)
        rate_change = (
            f"tăng {decimal_vi(diff, 1)} điểm phần trăm"
            if diff > 0
            else f"giảm {decimal_vi(-diff, 1)} điểm phần trăm"
            if diff < 0
            else "không đổi"
        )
    else:
        rate_change = ""
    quotes: dict[str, list[dict[str, Any]]] = {}
    for q in data["quotes"]:
        quotes.setdefault(q["topic_code"], []).append(q)
    topics_now = [x for x in data["topics"] if x["units"] > 0]
    text = (
        _environment()
        .get_template("body.vi.j2")
        .render(
            f=data,
            month=month.month,
            year=month.year,
            prev_rate=prev_rate,
            rate_change=rate_change,
            prev_label=f"{int(prev['month'][5:])}/{prev['month'][:4]}" if prev else "",
            topics_now=topics_now,
            top_topics="; ".join(f"{x['topic_name']} ({x['units']} đơn vị)" for x in topics_now[:3]),
            quotes=quotes,
            sentiment=data["sentiment"],
            survey_respondents=integer(sum(x["respondents"] or 0 for x in data["survey_topics"])),
            survey_suppressed=sum(x["suppressed_cells"] for x in data["survey_topics"]),
            forecasts=_grouped(data["outlook"], "forecast"),
            proposals=_grouped(data["outlook"], "proposal"),
            cases=_cases(data),
        )
    )
    blocks: list[Block] = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if line.startswith("## "):
            blocks.append(Block("subheading", line[3:]))
        elif line.startswith("# "):
            blocks.append(Block("heading", line[2:]))
        elif line.startswith("p: "):
            blocks.append(Block("paragraph", line[3:]))
        elif line.startswith("b: "):
            blocks.append(Block("bullet", line[3:]))
        elif line.startswith("q: "):
            quote, _, who = line[3:].rpartition("|")
            blocks.append(Block("quote", quote, attribution=who))
        elif line.startswith("table: "):
            table = tables[line[7:]]
            if table.rows:
                blocks.append(Block("table", table=table))
        elif line.startswith("chart: "):
            chart = charts.get(line[7:])
            if chart is not None:
                blocks.append(Block("chart", chart=chart))
        else:
            raise ValueError(f"body.vi.j2: unknown block line {line!r}")
    return Document(cfg, month, version, issued_on, blocks)


# -- DOCX ------------------------------------------------------------------------------------------
def _set_font(
    run, cfg: ReportConfig, size: float | None = None, bold: bool | None = None, italic: bool | None = None, underline: bool | None = None
) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt

    run.font.name = cfg.font
    r_pr = run._element.get_or_add_rPr()
    fonts = r_pr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = r_pr.makeelement(qn("w:rFonts"), {})
        r_pr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), cfg.font)
    run.font.size = Pt(size or cfg.font_size_pt)
    if bold is not None:
        run.bold = bold
    if italic is not None:
        run.italic = italic
    if underline is not None:
        run.underline = underline


def _para(
    container,
    text: str,
    cfg: ReportConfig,
    *,
    align=None,
    size=None,
    bold=None,
    italic=None,
    underline=None,
    before: float = 0,
    after: float = 0,
    indent_first: float | None = None,
):
    from docx.shared import Cm, Pt

    p = container.add_paragraph()
    if text:
        _set_font(p.add_run(text), cfg, size, bold, italic, underline)
    fmt = p.paragraph_format
    fmt.space_before, fmt.space_after = Pt(before), Pt(after)
    if align is not None:
        p.alignment = align
    if indent_first is not None:
        fmt.first_line_indent = Cm(indent_first)
    return p


def _short_rule(paragraph, indent_cm: float) -> None:
    """A short horizontal line under the issuing body: a bottom border with both sides indented."""
    from docx.oxml.ns import qn
    from docx.shared import Cm

    p_pr = paragraph._p.get_or_add_pPr()
    borders = p_pr.makeelement(qn("w:pBdr"), {})
    bottom = borders.makeelement(qn("w:bottom"), {qn("w:val"): "single", qn("w:sz"): "6", qn("w:space"): "1", qn("w:color"): "000000"})
    borders.append(bottom)
    p_pr.append(borders)
    paragraph.paragraph_format.left_indent = Cm(indent_cm)
    paragraph.paragraph_format.right_indent = Cm(indent_cm)


def _no_borders(table) -> None:
    from docx.oxml.ns import qn

    tbl_pr = table._tbl.tblPr
    borders = tbl_pr.makeelement(qn("w:tblBorders"), {})
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        borders.append(borders.makeelement(qn(f"w:{edge}"), {qn("w:val"): "nil"}))
    tbl_pr.append(borders)


def _first_cell_paragraph(cell):
    return cell.paragraphs[0]


def write_docx(doc: Document, path: Path) -> None:
    import docx
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Mm, Pt

    cfg = doc.cfg
    d = docx.Document()
    section = d.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    m = cfg.margins_mm
    section.top_margin, section.bottom_margin = Mm(m["margin_top_mm"]), Mm(m["margin_bottom_mm"])
    section.left_margin, section.right_margin = Mm(m["margin_left_mm"]), Mm(m["margin_right_mm"])
    normal = d.styles["Normal"]
    normal.font.name = cfg.font
    normal.font.size = Pt(cfg.font_size_pt)
    from docx.oxml.ns import qn

    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), cfg.font)
    d.core_properties.title = f"BÁO CÁO {doc.subject}"
    d.core_properties.author = cfg.issuing_body
    text_width_mm = 210 - m["margin_left_mm"] - m["margin_right_mm"]
    centre = WD_ALIGN_PARAGRAPH.CENTER

    # Header table: issuing body left, national motto right; number and place-date below.
    header = d.add_table(rows=2, cols=2)
    header.alignment = WD_TABLE_ALIGNMENT.CENTER
    header.autofit = False
    _no_borders(header)
    left_w, right_w = Mm(text_width_mm * 0.40), Mm(text_width_mm * 0.60)
    header.columns[0].width, header.columns[1].width = left_w, right_w  # the grid LibreOffice lays out by
    for row in header.rows:
        row.cells[0].width, row.cells[1].width = left_w, right_w
    left, right = header.cell(0, 0), header.cell(0, 1)
    p = _first_cell_paragraph(left)
    p.alignment = centre
    _set_font(p.add_run(cfg.superior_body.upper()), cfg, 13)
    _para(left, cfg.issuing_body.upper(), cfg, align=centre, size=13, bold=True)
    _short_rule(_para(left, "", cfg, align=centre, size=6), indent_cm=text_width_mm * 0.40 / 10 * 0.32)
    p = _first_cell_paragraph(right)
    p.alignment = centre
    _set_font(p.add_run("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"), cfg, 12, bold=True)
    _para(right, "Độc lập - Tự do - Hạnh phúc", cfg, align=centre, size=13, bold=True, underline=True)
    p = _first_cell_paragraph(header.cell(1, 0))
    p.alignment = centre
    p.paragraph_format.space_before = Pt(6)
    _set_font(p.add_run(doc.number_line), cfg, 13)
    p = _first_cell_paragraph(header.cell(1, 1))
    p.alignment = centre
    p.paragraph_format.space_before = Pt(6)
    _set_font(p.add_run(doc.date_line), cfg, 14, italic=True)

    _para(d, "BÁO CÁO", cfg, align=centre, bold=True, before=18)
    _para(d, doc.subject, cfg, align=centre, bold=True, after=3)
    _short_rule(_para(d, "", cfg, align=centre, size=4, after=12), indent_cm=text_width_mm / 10 * 0.38)
    if doc.version > 1:
        _para(
            d,
            f"(Phiên bản {doc.version}: số liệu cập nhật sau khi nhận thêm báo cáo, thay thế phiên bản {doc.version - 1})",
            cfg,
            align=centre,
            italic=True,
            size=13,
            after=6,
        )

    justify = WD_ALIGN_PARAGRAPH.JUSTIFY
    for b in doc.blocks:
        if b.kind == "heading":
            _para(d, b.text, cfg, bold=True, before=10, after=4, align=justify)
        elif b.kind == "subheading":
            _para(d, b.text, cfg, bold=True, before=6, after=3, indent_first=1.0, align=justify)
        elif b.kind == "paragraph":
            _para(d, b.text, cfg, after=4, indent_first=1.0, align=justify)
        elif b.kind == "bullet":
            _para(d, "- " + b.text, cfg, after=3, indent_first=1.0, align=justify)
        elif b.kind == "quote":
            p = _para(d, f"“{b.text}”", cfg, italic=True, after=1, align=justify)
            p.paragraph_format.left_indent = Cm(1.0)
            q = _para(d, f"({b.attribution})", cfg, size=cfg.font_size_pt - 1, after=4, align=WD_ALIGN_PARAGRAPH.RIGHT)
            q.paragraph_format.right_indent = Cm(0.5)
        elif b.kind == "table":
            _docx_table(d, b.table, cfg, text_width_mm)
        elif b.kind == "chart":
            d.add_picture(io.BytesIO(b.chart.png), width=Mm(min(155, text_width_mm)))
            d.paragraphs[-1].alignment = centre
            _para(d, b.chart.title, cfg, align=centre, italic=True, size=12, after=6)

    # Recipients left, signature right.
    closing = d.add_table(rows=1, cols=2)
    closing.autofit = False
    _no_borders(closing)
    for column, cell in zip(closing.columns, closing.rows[0].cells, strict=True):
        column.width = cell.width = Mm(text_width_mm * 0.5)
    left, right = closing.cell(0, 0), closing.cell(0, 1)
    p = _first_cell_paragraph(left)
    p.paragraph_format.space_before = Pt(12)
    _set_font(p.add_run("Nơi nhận:"), cfg, 12, bold=True, italic=True)
    for n, rec in enumerate(cfg.recipients):
        end = "." if n == len(cfg.recipients) - 1 else ";"
        name = rec.name if rec.name.endswith((".", ";")) else rec.name + end
        _para(left, f"- {name}", cfg, size=11)
    p = _first_cell_paragraph(right)
    p.alignment = centre
    p.paragraph_format.space_before = Pt(12)
    if cfg.on_behalf:
        _set_font(p.add_run(cfg.on_behalf), cfg, 14, bold=True)
        _para(right, cfg.position, cfg, align=centre, bold=True)
    else:
        _set_font(p.add_run(cfg.position), cfg, 14, bold=True)
    for _ in range(3):
        _para(right, "", cfg)
    _para(right, cfg.signer, cfg, align=centre, bold=True)
    d.save(str(path))


def _docx_table(d, table: Table, cfg: ReportConfig, text_width_mm: float) -> None:
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    t = d.add_table(rows=1, cols=len(table.headers))
    t.style = "Table Grid"
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    t.autofit = False
    total = sum(table.widths)
    widths = [Mm(text_width_mm * w / total) for w in table.widths]
    size = 11 if len(table.headers) > 5 else 12
    for i, h in enumerate(table.headers):
        t.columns[i].width = widths[i]  # the grid LibreOffice lays out by
        cell = t.rows[0].cells[i]
        cell.width = widths[i]
        p = cell.paragraphs[0]
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _set_font(p.add_run(h), cfg, size, bold=True)
    tr_pr = t.rows[0]._tr.get_or_add_trPr()  # repeat the header row on every page
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    tr_pr.append(repeat)
    for row in table.rows:
        cells = t.add_row().cells
        for i, value in enumerate(row):
            cells[i].width = widths[i]
            p = cells[i].paragraphs[0]
            p.alignment = WD_ALIGN_PARAGRAPH.RIGHT if i in table.numeric else WD_ALIGN_PARAGRAPH.LEFT
            _set_font(p.add_run(value), cfg, size)
    d.add_paragraph().paragraph_format.space_after = Pt(2)


# -- HTML ------------------------------------------------------------------------------------------
def write_html(doc: Document, path: Path) -> None:
    cfg = doc.cfg
    e = html.escape
    m = cfg.margins_mm
    out = [
        "<!DOCTYPE html>",
        '<html lang="vi"><head><meta charset="utf-8">',
        f"<title>BÁO CÁO {e(doc.subject)}</title>",
        "<style>",
        f"@page {{ size: A4; margin: {m['margin_top_mm']}mm {m['margin_right_mm']}mm {m['margin_bottom_mm']}mm {m['margin_left_mm']}mm; }}",
        f"body {{ font-family: '{cfg.font}', 'Liberation Serif', serif; font-size: {cfg.font_size_pt}pt; max-width: 165mm; margin: 2em auto; }}",
        ".head { width: 100%; border-collapse: collapse; } .head td { text-align: center; vertical-align: top; font-size: 13pt; }",
        ".rule { width: 35%; margin: 2px auto; border-top: 1px solid #000; } .motto { font-weight: bold; text-decoration: underline; font-size: 14pt; }",
        ".date { font-style: italic; font-size: 14pt; } h1 { text-align: center; font-size: 14pt; margin: 1.2em 0 0; }",
        ".subject { text-align: center; font-weight: bold; } h2 { font-size: 14pt; } h3 { font-size: 14pt; text-indent: 1cm; }",
        "p { text-align: justify; text-indent: 1cm; margin: 0.3em 0; } blockquote { font-style: italic; margin: 0.3em 1cm; }",
        "blockquote cite { display: block; text-align: right; font-style: normal; font-size: 13pt; }",
        "table.data { border-collapse: collapse; width: 100%; margin: 0.5em 0 1em; font-size: 12pt; }",
        "table.data th, table.data td { border: 1px solid #000; padding: 2px 4px; } table.data td.num { text-align: right; }",
        "figure { text-align: center; margin: 0.8em 0; } figure img { max-width: 100%; } figcaption { font-style: italic; font-size: 12pt; }",
        ".closing { width: 100%; margin-top: 1.5em; } .closing td { vertical-align: top; width: 50%; }",
        ".recipients { font-size: 11pt; } .sign { text-align: center; font-weight: bold; }",
        "</style></head><body>",
        '<table class="head"><tr>',
        f'<td>{e(cfg.superior_body.upper())}<br><b>{e(cfg.issuing_body.upper())}</b><div class="rule"></div></td>',
        '<td><b>CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</b><br><span class="motto">Độc lập - Tự do - Hạnh phúc</span></td></tr>',
        f'<tr><td>{e(doc.number_line)}</td><td class="date">{e(doc.date_line)}</td></tr></table>',
        "<h1>BÁO CÁO</h1>",
        f'<div class="subject">{e(doc.subject)}</div><div class="rule"></div>',
    ]
    if doc.version > 1:
        out.append(
            f'<p style="text-align:center;font-style:italic">(Phiên bản {doc.version}: số liệu cập nhật sau khi nhận thêm '
            f"báo cáo, thay thế phiên bản {doc.version - 1})</p>"
        )
    for b in doc.blocks:
        if b.kind == "heading":
            out.append(f"<h2>{e(b.text)}</h2>")
        elif b.kind == "subheading":
            out.append(f"<h3>{e(b.text)}</h3>")
        elif b.kind == "paragraph":
            out.append(f"<p>{e(b.text)}</p>")
        elif b.kind == "bullet":
            out.append(f"<p>- {e(b.text)}</p>")
        elif b.kind == "quote":
            out.append(f"<blockquote>“{e(b.text)}”<cite>({e(b.attribution)})</cite></blockquote>")
        elif b.kind == "table":
            t = b.table
            out.append('<table class="data"><thead><tr>' + "".join(f"<th>{e(h)}</th>" for h in t.headers) + "</tr></thead><tbody>")
            num = ' class="num"'
            for row in t.rows:
                out.append("<tr>" + "".join(f"<td{num if i in t.numeric else ''}>{e(v)}</td>" for i, v in enumerate(row)) + "</tr>")
            out.append("</tbody></table>")
        elif b.kind == "chart":
            data = base64.b64encode(b.chart.png).decode("ascii")
            out.append(
                f'<figure><img alt="{e(b.chart.title)}" src="data:image/png;base64,{data}"><figcaption>{e(b.chart.title)}</figcaption></figure>'
            )
    recipients = "".join(f"<br>- {e(r.name)}" for r in cfg.recipients)
    sign = (f"{e(cfg.on_behalf)}<br>" if cfg.on_behalf else "") + f"{e(cfg.position)}<br><br><br><br>{e(cfg.signer)}"
    out.append(
        f'<table class="closing"><tr><td class="recipients"><b><i>Nơi nhận:</i></b>{recipients}</td>'
        f'<td class="sign">{sign}</td></tr></table>'
    )
    out.append("</body></html>")
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


# -- PDF -------------------------------------------------------------------------------------------
class ConverterMissing(ConfigError):
    """LibreOffice is not installed: the PDF cannot be made (never faked)."""


def soffice() -> str:
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    raise ConverterMissing(
        "PDF needs LibreOffice: install libreoffice-writer-nogui (Debian/Ubuntu: apt-get install -y libreoffice-writer-nogui "
        "fonts-liberation2, or run scripts/system-deps.sh), or drop pdf from --format"
    )


def write_pdf(docx_path: Path, path: Path, timeout: float = 240) -> None:
    """LibreOffice headless converts the DOCX; a private profile lets conversions run side by side."""
    exe = soffice()
    with tempfile.TemporaryDirectory(prefix="dlxh-soffice-") as tmp:
        profile = Path(tmp) / "profile"
        outdir = Path(tmp) / "out"
        outdir.mkdir()
        cmd = [
            exe,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            "--nolockcheck",
            "--convert-to",
            "pdf",
            "--outdir",
            str(outdir),
            str(docx_path),
        ]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            raise DlxhError(f"LibreOffice did not convert {docx_path.name} to PDF within {timeout:.0f} s") from None
        produced = outdir / (docx_path.stem + ".pdf")
        if proc.returncode != 0 or not produced.is_file() or produced.stat().st_size == 0:
            raise DlxhError(
                f"LibreOffice could not convert {docx_path.name} to PDF (exit {proc.returncode}): "
                f"{(proc.stderr or proc.stdout).strip()[:300]}"
            )
        shutil.move(str(produced), str(path))
