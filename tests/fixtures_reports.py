"""Generators of unit-report fixtures in every format units send (no files from outside the repo).

A `ReportSpec` describes one report; the writers render it as DOCX, PDF with a text layer,
a page image (PNG/JPEG/TIFF), an image-only ("scanned") PDF, plain text in several encodings
and an OCR-damaged text, plus structured forms, a register and broken files.
"""

from __future__ import annotations

import csv
import io
import json
import os
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

REGISTRY_HEADER = ["Mã đơn vị", "Tên đơn vị", "Loại đơn vị", "Đơn vị cấp trên", "Hiệu lực từ", "Hiệu lực đến", "Đơn vị kế thừa"]
REGISTRY = [
    ["LDLD-TINH", "Liên đoàn Lao động tỉnh Lai Châu", "province", "", "2000-01-01", "", ""],
    ["LDLD-TD", "Liên đoàn Lao động huyện Tam Đường", "district", "LDLD-TINH", "2024-01-01", "", ""],
    ["LDLD-PT", "Liên đoàn Lao động huyện Phong Thổ", "district", "LDLD-TINH", "2024-01-01", "", ""],
    ["LDLD-TU", "Liên đoàn Lao động huyện Than Uyên", "district", "LDLD-TINH", "2024-01-01", "", ""],
    ["LDLD-TNU", "Liên đoàn Lao động huyện Tân Uyên", "district", "LDLD-TINH", "2024-01-01", "", ""],
    ["CDN-GD", "Công đoàn ngành Giáo dục tỉnh Lai Châu", "sector", "LDLD-TINH", "2024-01-01", "", ""],
    ["CDVC", "Công đoàn Viên chức tỉnh Lai Châu", "civil_servants", "LDLD-TINH", "2024-01-01", "", ""],
]

SITUATION = [
    "Người lao động tại một số doanh nghiệp phản ánh chậm lương, nợ đọng bảo hiểm xã hội; đây là điểm nóng cần theo dõi.",
    "Dư luận đồng tình với việc xử phạt vi phạm giao thông theo Nghị định 168/2024/NĐ-CP, song cho rằng mức phạt cao.",
]
CAUSES = ["Doanh nghiệp gặp khó khăn về đơn hàng, dòng tiền."]
FORECAST = ["Có nguy cơ phát sinh ngừng việc tập thể nếu không được giải quyết kịp thời."]
PROPOSALS = ["Đề nghị cơ quan chức năng kiểm tra, đôn đốc doanh nghiệp trả lương đúng hạn."]


@dataclass
class ReportSpec:
    issuer: str = "LĐLĐ HUYỆN TAM ĐƯỜNG"
    parent: str = "LĐLĐ TỈNH LAI CHÂU"
    doc_number: str = "15/BC-LĐLĐ"
    place: str = "Tam Đường"
    issued: tuple[int, int, int] = (18, 3, 2025)
    title_period: str = "tháng 3 năm 2025"
    ad_hoc: bool = False
    deadline_line: str | None = None
    situation: list[str] = field(default_factory=lambda: list(SITUATION))
    causes: list[str] = field(default_factory=lambda: list(CAUSES))
    forecast: list[str] = field(default_factory=lambda: list(FORECAST))
    proposals: list[str] = field(default_factory=lambda: list(PROPOSALS))
    headings: tuple[str, str, str, str] = (
        "I. TÌNH HÌNH TƯ TƯỞNG, DƯ LUẬN XÃ HỘI",
        "II. NGUYÊN NHÂN",
        "III. DỰ BÁO TÌNH HÌNH",
        "IV. ĐỀ XUẤT, KIẾN NGHỊ",
    )

    def header_lines(self) -> list[str]:
        d, m, y = self.issued
        return [
            self.parent,
            self.issuer,
            f"Số: {self.doc_number}",
            "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
            "Độc lập - Tự do - Hạnh phúc",
            f"{self.place}, ngày {d} tháng {m} năm {y}",
        ]

    def title_lines(self) -> list[str]:
        if self.ad_hoc:
            return ["BÁO CÁO ĐỘT XUẤT", f"Tình hình dư luận xã hội {self.title_period}"]
        return ["BÁO CÁO", f"Tình hình tư tưởng, dư luận xã hội {self.title_period}"]

    def body_lines(self) -> list[str]:
        lines = []
        if self.deadline_line:
            lines.append(self.deadline_line)
        for heading, texts in zip(self.headings, (self.situation, self.causes, self.forecast, self.proposals), strict=True):
            lines.append(heading)
            lines += texts
        return lines

    def footer_lines(self) -> list[str]:
        return ["Nơi nhận:", "- Ban Tuyên giáo LĐLĐ tỉnh;", "- Lưu: VT.", "TM. BAN THƯỜNG VỤ", "CHỦ TỊCH"]

    def lines(self) -> list[str]:
        return self.header_lines() + self.title_lines() + self.body_lines() + self.footer_lines()

    def text(self) -> str:
        return "\n".join(self.lines()) + "\n"


def set_mtime(path: Path, when: datetime) -> Path:
    os.utime(path, (when.timestamp(), when.timestamp()))
    return path


# -- documents -------------------------------------------------------------------------------
def write_docx(spec: ReportSpec, path: Path, body_table: bool = True) -> Path:
    """Header as the usual two-column table (issuer | motto); the situation items as a table."""
    import docx

    document = docx.Document()
    h = spec.header_lines()
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = f"{h[0]}\n{h[1]}"
    table.cell(0, 1).text = f"{h[3]}\n{h[4]}"
    table.cell(1, 0).text = h[2]
    table.cell(1, 1).text = h[5]
    for line in spec.title_lines():
        document.add_paragraph(line)
    if spec.deadline_line:
        document.add_paragraph(spec.deadline_line)
    parts = (spec.situation, spec.causes, spec.forecast, spec.proposals)
    for n, (heading, texts) in enumerate(zip(spec.headings, parts, strict=True)):
        document.add_paragraph(heading)
        if n == 0 and body_table:
            t = document.add_table(rows=len(texts), cols=2)
            for i, text in enumerate(texts):
                t.cell(i, 0).text = str(i + 1)
                t.cell(i, 1).text = text
        else:
            for text in texts:
                document.add_paragraph(text)
    for line in spec.footer_lines():
        document.add_paragraph(line)
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(path))
    return path


def write_pdf_text(spec: ReportSpec, path: Path, encrypt_with: str | None = None) -> Path:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.add_font("DejaVu", fname=FONT)
    pdf.set_font("DejaVu", size=11)
    for line in spec.lines():
        pdf.multi_cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    if encrypt_with:
        pdf.set_encryption(owner_password="owner", user_password=encrypt_with)
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(path))
    return path


def render_page(spec: ReportSpec, width: int = 1700):
    """The report as a clean page image (what a scanner or phone produces), black on white."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(FONT, 30)
    wrapped: list[str] = []
    for line in spec.lines():
        words, current = line.split(), ""
        for w in words:
            trial = f"{current} {w}".strip()
            if font.getlength(trial) > width - 120 and current:
                wrapped.append(current)
                current = w
            else:
                current = trial
        wrapped.append(current)
    img = Image.new("L", (width, 80 + 46 * len(wrapped)), 255)
    draw = ImageDraw.Draw(img)
    for i, line in enumerate(wrapped):
        draw.text((60, 40 + 46 * i), line, font=font, fill=0)
    return img


def write_image(spec: ReportSpec, path: Path) -> Path:
    img = render_page(spec)
    path.parent.mkdir(parents=True, exist_ok=True)
    fmt = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".tif": "TIFF", ".tiff": "TIFF"}[path.suffix.lower()]
    img.save(path, format=fmt, **({"quality": 92} if fmt == "JPEG" else {}))
    return path


def write_scanned_pdf(spec: ReportSpec, path: Path) -> Path:
    """An image-only PDF (no text layer), as a scanner writes it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    render_page(spec).convert("RGB").save(path, format="PDF", resolution=150)
    return path


def to_cp1258(text: str) -> bytes:
    """Windows-1258 as Vietnamese Windows writes it: base letters (with â ê ô ă ơ ư đ) + combining tone marks."""
    tones = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
    out: list[str] = []
    cluster_base, shapes, cluster_tones = "", "", ""

    def flush() -> None:
        if cluster_base:
            out.append(unicodedata.normalize("NFC", cluster_base + shapes) + cluster_tones)

    for ch in unicodedata.normalize("NFD", text):
        if unicodedata.combining(ch):
            if ch in tones:
                cluster_tones += ch
            else:
                shapes += ch
            continue
        flush()
        cluster_base, shapes, cluster_tones = ch, "", ""
    flush()
    return "".join(out).encode("cp1258")


_OCR_DAMAGE = str.maketrans(
    {
        "Đ": "P",
        "đ": "d",
        "ư": "u",
        "ơ": "o",
        "ê": "é",
        "ă": "a",
        "â": "a",
        "ô": "o",
        "ờ": "o",
        "ở": "o",
        "ớ": "é",
        "ợ": "o",
        "ữ": "ii",
        "ừ": "u",
        "ứ": "ú",
        "ự": "y",
        "ử": "u",
        "ạ": "a",
        "ậ": "a",
        "ầ": "a",
        "ấ": "a",
        "ẩ": "a",
        "ệ": "é",
        "ề": "é",
        "ế": "é",
        "ể": "é",
        "ồ": "o",
        "ố": "é",
        "ổ": "o",
        "ộ": "o",
        "ị": "i",
        "ọ": "o",
        "ụ": "u",
        "ằ": "a",
        "ắ": "a",
        "ặ": "a",
        "ẳ": "a",
        "ỏ": "o",
        "ủ": "u",
        "ỉ": "i",
        "ì": "i",
        "ò": "o",
        "ù": "u",
        "ỳ": "y",
    }
)


for _k, _v in list(_OCR_DAMAGE.items()):
    _OCR_DAMAGE.setdefault(ord(chr(_k).upper()), _v.upper())


def ocr_damage(text: str) -> str:
    """Damage as in the 2025 guidance's OCR: Đ read as P, ư as u, ơ as o, ê as é, most tones lost."""
    damaged = unicodedata.normalize("NFC", text).translate(_OCR_DAMAGE)
    return damaged.replace("Hướng dẫn", "Huéng dan")


def write_text(spec: ReportSpec, path: Path, encoding: str = "utf-8", damage: bool = False) -> Path:
    text = ocr_damage(spec.text()) if damage else spec.text()
    if encoding == "cp1258":
        data = to_cp1258(text)
    elif encoding == "nfd":
        data = unicodedata.normalize("NFD", text).encode("utf-8")
    elif encoding == "utf-8-sig":
        data = text.encode("utf-8-sig")
    elif encoding == "utf-16":
        data = text.encode("utf-16")
    else:
        data = text.encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


# -- structured forms and register -------------------------------------------------------------
FORM_HEADER = [
    "Mã đơn vị",
    "Tên đơn vị",
    "Kỳ báo cáo",
    "Loại báo cáo",
    "Hạn nộp",
    "Số văn bản",
    "Thời gian nhận",
    "Chủ đề",
    "Tình hình",
    "Sắc thái",
    "Điểm nóng",
    "Nguyên nhân",
    "Dự báo",
    "Đề xuất, kiến nghị",
]
FORM_HEADER_ASCII = [
    "Ma don vi",
    "Ten don vi",
    "Ky bao cao",
    "Loai bao cao",
    "Han nop",
    "So van ban",
    "Thoi gian nhan",
    "Chu de",
    "Tinh hinh",
    "Sac thai",
    "Diem nong",
    "Nguyen nhan",
    "Du bao",
    "De xuat, kien nghi",
]
FORM_HEADER_EN = [
    "unit_code",
    "unit_name",
    "period",
    "report_type",
    "due_at",
    "doc_number",
    "received_at",
    "topic",
    "summary",
    "sentiment",
    "hot_spot",
    "cause",
    "forecast",
    "proposal",
]


def form_rows(unit_code: str, unit_name: str, period: str, received: str, doc_number: str = "20/BC-LĐLĐ") -> list[list[str]]:
    return [
        [
            unit_code,
            unit_name,
            period,
            "Tháng",
            "",
            doc_number,
            received,
            "T11",
            SITUATION[0],
            "Tiêu cực",
            "Có",
            CAUSES[0],
            FORECAST[0],
            PROPOSALS[0],
        ],
        [
            unit_code,
            unit_name,
            period,
            "Tháng",
            "",
            doc_number,
            received,
            "T07",
            SITUATION[1],
            "Trung lập",
            "Không",
            "Mức phạt tăng mạnh.",
            "Ý thức chấp hành sẽ chuyển biến.",
            "Tăng cường tuyên truyền.",
        ],
    ]


def write_form_csv(path: Path, rows: list[list[str]], header: list[str] = FORM_HEADER, encoding: str = "utf-8-sig") -> Path:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header)
    w.writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = buf.getvalue()
    path.write_bytes(to_cp1258(text) if encoding == "cp1258" else text.encode(encoding))
    return path


def write_form_xlsx(path: Path, rows: list[list[str]], header: list[str] = FORM_HEADER) -> Path:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(header)
    for r in rows:
        ws.append(r)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def write_form_json(path: Path, rows: list[list[str]], nested: bool = True) -> Path:
    """An online-form export: the report's fields once, its opinion items as a list."""
    records = [dict(zip(FORM_HEADER_EN, r, strict=True)) for r in rows]
    if nested:
        head = {k: records[0][k] for k in ("unit_code", "unit_name", "period", "report_type", "doc_number", "received_at")}
        items = [{k: r[k] for k in ("topic", "summary", "sentiment", "hot_spot", "cause", "forecast", "proposal")} for r in records]
        doc = {**head, "items": items}
    else:
        doc = records
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


REGISTER_HEADER = ["Thời gian nhận", "Nơi gửi", "Số, ký hiệu văn bản", "Tên tệp đính kèm"]


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def write_registry(path: Path) -> Path:
    return write_csv(path, REGISTRY_HEADER, REGISTRY)


# -- broken files ---------------------------------------------------------------------------
def encrypted_office_bytes() -> bytes:
    """The signature of a password-protected DOCX/XLSX: an OLE compound file holding an EncryptedPackage stream."""
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    directory = "EncryptedPackage".encode("utf-16-le") + b"\x00" * 94 + "EncryptionInfo".encode("utf-16-le")
    return header + directory + b"\x00" * 1024


def truncated(path: Path) -> bytes:
    data = path.read_bytes()
    return data[: len(data) // 2]
