"""A corpus of unit reports written the way offices really produce them (outside in).

The invented province "Lâm Cao" has district federations, two sector unions and the
civil-servants' union (tests/corpus_reports.py REGISTRY; codes are the office's own choice).
Each report is first imagined as its office makes it, then rendered in that office's format:

* a district office types in Word with the two-column header table (DOCX table), another uses
  centre tab stops and no table, a third puts the header in two text boxes;
* a sector union exports PDF from Word: text extraction puts both header columns on one line
  (fpdf2 draws them at shared y positions; one office even puts the motto on the left);
* a far-away district scans the signed paper (image-only PDF) or photographs it (PNG, slightly
  rotated, speckled); the office then OCRs some scans elsewhere and sends the damaged text;
* the civil-servants' union exports "Unicode text" from its software (UTF-16LE, tabs, CRLF);
* an old Windows machine saves Windows-1258 text with combining tone marks;
* a correction "Số: 21a/BC-LĐLĐ" replaces an earlier report; ad-hoc reports (BÁO CÁO ĐỘT XUẤT)
  state their own deadlines among other dates;
* the office's register (sổ công văn đến) is an XLSX with title rows, "Ngày đến" date cells and
  "Giờ đến" time cells (some typed as text: "8h15", "16h48", "10 giờ 05"), abbreviated senders
  and rows that are not unit reports;
* the inbox also holds a chat export (JSON), a clerk's note and a photo with no text.

Every `CorpusReport` carries its truth (unit, month, type, number, received time, parts,
topics); `write_corpus(root)` writes everything and returns the truth.
"""

from __future__ import annotations

import json
import random
import textwrap
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

from dlxh.core.parsing import LOCAL
from tests.fixtures_reports import FONT, ocr_damage, to_cp1258

REGISTRY_HEADER = ["Mã đơn vị", "Tên đơn vị", "Loại đơn vị", "Đơn vị cấp trên", "Hiệu lực từ", "Hiệu lực đến", "Đơn vị kế thừa"]


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    unit_type: str
    issuer: str  # as the header writes it
    place: str  # as the place-date line writes it
    sender: str  # as the clerk writes it in «Nơi gửi»
    file_tag: str  # as people write it in file names


PROVINCE = Unit("LDLD_LAMCAO", "Liên đoàn Lao động tỉnh Lâm Cao", "province", "LĐLĐ TỈNH LÂM CAO", "Lâm Cao", "LĐLĐ tỉnh", "LDLD tinh")
UNITS = {
    u.code: u
    for u in (
        Unit("TP_LAMCAO", "Liên đoàn Lao động thành phố Lâm Cao", "district", "LĐLĐ THÀNH PHỐ LÂM CAO", "Lâm Cao", "LĐLĐ TP", "LDLD TP"),
        Unit(
            "DONG_XUAN",
            "Liên đoàn Lao động huyện Đồng Xuân",
            "district",
            "LĐLĐ HUYỆN ĐỒNG XUÂN",
            "Đồng Xuân",
            "LĐLĐ h. Đồng Xuân",
            "Dong Xuan",
        ),
        Unit("KHE_LIM", "Liên đoàn Lao động huyện Khe Lim", "district", "LĐLĐ HUYỆN KHE LIM", "Khe Lim", "LĐLĐ Khe Lim", "KheLim"),
        Unit("PAC_RAO", "Liên đoàn Lao động huyện Pác Rào", "district", "LĐLĐ HUYỆN PÁC RÀO", "Pác Rào", "LĐLĐ h.Pác Rào", "Pac Rao"),
        Unit("THAN_SON", "Liên đoàn Lao động huyện Than Sơn", "district", "LĐLĐ HUYỆN THAN SƠN", "Than Sơn", "LĐLĐ Than Sơn", "Than Son"),
        Unit("TAN_SON", "Liên đoàn Lao động huyện Tân Sơn", "district", "LĐLĐ HUYỆN TÂN SƠN", "Tân Sơn", "LĐLĐ h. Tân Sơn", "Tan Son"),
        Unit("NAM_LU", "Liên đoàn Lao động huyện Nậm Lư", "district", "LĐLĐ HUYỆN NẬM LƯ", "Nậm Lư", "LĐLĐ h. Nậm Lư", "Nam Lu"),
        Unit("CDN_GD", "Công đoàn ngành Giáo dục tỉnh Lâm Cao", "sector", "CÔNG ĐOÀN NGÀNH GIÁO DỤC", "Lâm Cao", "CĐ ngành GD", "CDN GD"),
        Unit("CDN_YT", "Công đoàn ngành Y tế tỉnh Lâm Cao", "sector", "CÔNG ĐOÀN NGÀNH Y TẾ", "Lâm Cao", "CĐN Y tế", "CDYT"),
        Unit("CDVC_LC", "Công đoàn Viên chức tỉnh Lâm Cao", "civil_servants", "CÔNG ĐOÀN VIÊN CHỨC TỈNH", "Lâm Cao", "CĐVC tỉnh", "CDVC"),
    )
}
REGISTRY = [[PROVINCE.code, PROVINCE.name, "province", "", "2000-01-01", "", ""]] + [
    [u.code, u.name, u.unit_type, PROVINCE.code, "2024-10-01", "", ""] for u in UNITS.values()
]
MOTTO = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")

# -- what offices write about (one item per topic: an item title and two sentences) -------------
TOPIC_ITEMS: dict[str, tuple[str, str]] = {
    "T01": (
        "Về việc học tập, quán triệt nghị quyết",
        "Đoàn viên tích cực tham gia học tập, quán triệt nghị quyết đại hội Công đoàn các cấp và các văn bản của Hội nghị "
        "Trung ương 11 khóa XIII. Phong trào học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh được duy trì ở các "
        "công đoàn cơ sở.",
    ),
    "T02": (
        "Về công tác chuẩn bị đại hội đảng bộ các cấp",
        "Cán bộ, đoàn viên quan tâm công tác nhân sự chuẩn bị đại hội đảng bộ các cấp nhiệm kỳ 2025-2030. Đa số tin tưởng việc "
        "lựa chọn người có đức, có tài, gần dân vào cấp ủy.",
    ),
    "T03": (
        "Về việc sắp xếp tổ chức bộ máy",
        "Việc sáp nhập một số cơ quan chuyên môn theo Nghị quyết số 18-NQ/TW được đoàn viên đồng tình. Một bộ phận cán bộ băn "
        "khoăn về chế độ chính sách đối với cán bộ dôi dư và việc nghỉ hưu trước tuổi.",
    ),
    "T04": (
        "Về phát triển kinh tế - xã hội và chuyển đổi số",
        "Đoàn viên phấn khởi trước mục tiêu tăng trưởng trên 8% của năm 2025. Việc triển khai Nghị quyết số 57-NQ/TW về khoa học "
        "công nghệ, đổi mới sáng tạo và chuyển đổi số được các cơ quan hưởng ứng.",
    ),
    "T05": (
        "Về các ngày lễ lớn trong tháng",
        "Các hoạt động kỷ niệm 95 năm Ngày thành lập Đảng Cộng sản Việt Nam khơi dậy niềm tự hào trong đoàn viên. Công tác đối "
        "ngoại của tỉnh với các địa phương bạn được đánh giá tích cực.",
    ),
    "T06": (
        "Về thiên tai, dịch bệnh",
        "Đợt rét đậm kéo dài và mưa đá cuối tháng làm hư hỏng nhiều diện tích hoa màu của các hộ đoàn viên. Dịch bệnh trên đàn "
        "gia súc được khống chế kịp thời, nhiều hộ mong được hỗ trợ để sớm ổn định việc làm.",
    ),
    "T07": (
        "Về trật tự an toàn giao thông",
        "Dư luận đồng tình với việc xử phạt vi phạm nồng độ cồn theo Nghị định 168/2024/NĐ-CP. Một số ý kiến cho rằng mức phạt "
        "còn cao so với thu nhập của người lao động ở vùng cao.",
    ),
    "T08": (
        "Về chủ quyền biển, đảo và an ninh biên giới",
        "Đoàn viên theo dõi tình hình Biển Đông, ủng hộ chủ trương bảo vệ chủ quyền biển, đảo bằng biện pháp hòa bình. Tình "
        "hình an ninh trật tự khu vực biên giới ổn định.",
    ),
    "T09": (
        "Về khó khăn, vướng mắc trong thực hiện chính sách",
        "Một số đoàn viên phản ánh thủ tục hành chính khi giải quyết chế độ ốm đau còn rườm rà. Giá điện và giá xăng tăng ảnh "
        "hưởng đến chi tiêu của nhiều gia đình.",
    ),
    "T10": (
        "Về thực hiện Nghị quyết số 15-NQ/TU",
        "Tình trạng tảo hôn và tổ chức ma chay kéo dài ở một số bản đã giảm rõ rệt. Đồng bào tích cực xóa bỏ hủ tục, xây dựng "
        "nếp sống văn minh.",
    ),
    "T11": (
        "Về việc làm, thu nhập của người lao động",
        "Tại hai doanh nghiệp chế biến gỗ, người lao động bị chậm lương hai tháng và nợ đọng bảo hiểm xã hội; đây là điểm nóng "
        "cần theo dõi. Nhiều lao động mất việc do doanh nghiệp thiếu đơn hàng.",
    ),
    "T12": (
        "Về thông tin xấu độc trên không gian mạng",
        "Các thế lực thù địch tiếp tục lợi dụng mạng xã hội đăng tải tin giả, xuyên tạc chủ trương của Đảng. Đoàn viên đã tỉnh "
        "táo nhận diện và không chia sẻ.",
    ),
}
# Passing mentions that must not make a report "about" a topic.
PREAMBLE = (
    "Thực hiện Hướng dẫn số 02/HD-LĐLĐ ngày 10/01/2025 của Ban Thường vụ Liên đoàn Lao động tỉnh về “công tác nắm bắt tình "
    "hình tư tưởng và đấu tranh phản bác thông tin xấu độc, xuyên tạc”, Ban Thường vụ {who} báo cáo tình hình tư tưởng, dư "
    "luận xã hội trong đoàn viên, người lao động {period} như sau:"
)
CAUSES = (
    "Cấp ủy, chính quyền quan tâm lãnh đạo, chỉ đạo; công tác thông tin, tuyên truyền được thực hiện thường xuyên. Việc "
    "tuyên truyền theo Kế hoạch số 12/KH-LĐLĐ về “tăng cường phòng, chống tai nạn giao thông” chưa đến được các bản vùng sâu."
)
FORECAST = "Trong tháng tới, tư tưởng đoàn viên, người lao động cơ bản ổn định, tin tưởng vào sự lãnh đạo của Đảng."
PROPOSALS = "Đề nghị Liên đoàn Lao động tỉnh tiếp tục quan tâm hướng dẫn, hỗ trợ các công đoàn cơ sở trong thời gian tới."
RECIPIENTS = ["Nơi nhận:", "- Ban Thường vụ LĐLĐ tỉnh (b/c);", "- Ban An toàn giao thông huyện;", "- Lưu: VT."]
SIGNATURE = ["TM. BAN THƯỜNG VỤ", "CHỦ TỊCH", "", "Lò Văn Thành"]


@dataclass
class CorpusReport:
    file_name: str
    fmt: str  # docx_table | docx_tabs | docx_textbox | pdf_flat | pdf_flat_swapped | pdf_scan | png | ocr_txt | utf16 | cp1258
    unit: str
    month: date
    doc_number: str
    issued: date
    received: datetime  # what the register says
    topics: tuple[str, ...]
    report_type: str = "monthly"
    parts: tuple[str, ...] = ("situation", "causes", "forecast", "proposals")
    replaces: str | None = None
    adhoc_title: str | None = None
    adhoc_text: tuple[str, ...] = ()
    due_at: datetime | None = None  # the ad-hoc report's own deadline
    typed_time: str | None = None  # the clerk typed «Giờ đến» as text
    extra: dict = field(default_factory=dict)

    @property
    def u(self) -> Unit:
        return UNITS[self.unit]

    # -- the document as a person reads it ----------------------------------------------------
    def header_columns(self) -> tuple[list[str], list[str]]:
        """(left column, right column) of the header block."""
        d = self.issued
        left = [PROVINCE.issuer, self.u.issuer, f"Số: {self.doc_number}"]
        right = [MOTTO[0], MOTTO[1], f"{self.u.place}, ngày {d.day:02d} tháng {d.month} năm {d.year}"]
        return left, right

    def title_lines(self) -> list[str]:
        if self.report_type == "ad_hoc":
            return ["BÁO CÁO ĐỘT XUẤT", self.adhoc_title or ""]
        return [
            "BÁO CÁO",
            f"Tình hình tư tưởng, dư luận xã hội trong đoàn viên, người lao động tháng {self.month.month} năm {self.month.year}",
        ]

    def body_lines(self) -> list[str]:
        who = self.u.name
        lines: list[str] = []
        if self.replaces:
            lines.append(f"(Báo cáo này thay thế Báo cáo số {self.replaces} ngày {self.extra['replaces_date']})")
        if self.report_type == "ad_hoc":
            lines += list(self.adhoc_text)
        else:
            lines.append(PREAMBLE.format(who=who, period=f"tháng {self.month.month} năm {self.month.year}"))
        roman = iter(["I", "II", "III", "IV"])
        if "situation" in self.parts:
            lines.append(f"{next(roman)}. {'DIỄN BIẾN VỤ VIỆC' if self.report_type == 'ad_hoc' else 'TÌNH HÌNH TƯ TƯỞNG, DƯ LUẬN XÃ HỘI'}")
            if self.report_type != "ad_hoc":
                for n, code in enumerate(self.topics, start=1):
                    title, text = TOPIC_ITEMS[code]
                    lines += [f"{n}. {title}", text]
            else:
                lines += list(self.extra.get("situation", ()))
        if "causes" in self.parts:
            lines += [f"{next(roman)}. NGUYÊN NHÂN", self.extra.get("causes", CAUSES)]
        if "forecast" in self.parts:
            lines += [f"{next(roman)}. DỰ BÁO TÌNH HÌNH", FORECAST]
        if "proposals" in self.parts:
            lines += [f"{next(roman)}. ĐỀ XUẤT, KIẾN NGHỊ", self.extra.get("proposals", PROPOSALS)]
        lines.append(f"Trên đây là báo cáo của Ban Thường vụ {who}./.")
        return lines

    def footer_lines(self) -> list[str]:
        return RECIPIENTS + SIGNATURE

    def flat_lines(self, sep: str = "   ", swap: bool = False) -> list[str]:
        """Header columns flattened onto shared lines (as text extraction, OCR or an export does)."""
        left, right = self.header_columns()
        head = [(f"{r}{sep}{le}" if swap else f"{le}{sep}{r}") for le, r in zip(left, right, strict=True)]
        return head + [""] + self.title_lines() + [""] + self.body_lines() + self.footer_lines()


# -- writers per format ------------------------------------------------------------------------
def _docx_common(document, spec: CorpusReport) -> None:
    for line in spec.title_lines():
        document.add_paragraph(line)
    for line in spec.body_lines():
        document.add_paragraph(line)
    table = document.add_table(rows=1, cols=2)  # Nơi nhận | signature, side by side
    table.cell(0, 0).text = "\n".join(RECIPIENTS)
    table.cell(0, 1).text = "\n".join(SIGNATURE)


def write_docx_table(spec: CorpusReport, path: Path) -> None:
    import docx

    document = docx.Document()
    left, right = spec.header_columns()
    t = document.add_table(rows=2, cols=2)
    t.cell(0, 0).text = f"{left[0]}\n{left[1]}\n_______________"
    t.cell(0, 1).text = f"{right[0]}\n{right[1]}\n_________________________"
    t.cell(1, 0).text = left[2]
    t.cell(1, 1).text = right[2]
    _docx_common(document, spec)
    document.save(str(path))


def write_docx_tabs(spec: CorpusReport, path: Path) -> None:
    """Header typed as paragraphs with a centre tab stop for each column (no table)."""
    import docx
    from docx.enum.text import WD_TAB_ALIGNMENT
    from docx.shared import Cm

    document = docx.Document()
    left, right = spec.header_columns()
    for le, r in zip(left, right, strict=True):
        p = document.add_paragraph(f"\t{le}\t{r}")
        p.paragraph_format.tab_stops.add_tab_stop(Cm(3.5), WD_TAB_ALIGNMENT.CENTER)
        p.paragraph_format.tab_stops.add_tab_stop(Cm(11.5), WD_TAB_ALIGNMENT.CENTER)
    _docx_common(document, spec)
    document.save(str(path))


_TXBX = """<w:r xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"
 xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"
 xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape"
 xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
 xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"
 xmlns:v="urn:schemas-microsoft-com:vml"><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing>
<wp:anchor distT="0" distB="0" distL="0" distR="0" simplePos="0" relativeHeight="1" behindDoc="0" locked="0" layoutInCell="1"
 allowOverlap="1"><wp:simplePos x="0" y="0"/><wp:positionH relativeFrom="column"><wp:posOffset>{x}</wp:posOffset></wp:positionH>
<wp:positionV relativeFrom="paragraph"><wp:posOffset>0</wp:posOffset></wp:positionV><wp:extent cx="2700000" cy="900000"/>
<wp:wrapNone/><wp:docPr id="{id}" name="Text Box {id}"/><a:graphic><a:graphicData
 uri="http://schemas.microsoft.com/office/word/2010/wordprocessingShape"><wps:wsp><wps:cNvSpPr txBox="1"/><wps:spPr>
<a:xfrm><a:off x="0" y="0"/><a:ext cx="2700000" cy="900000"/></a:xfrm><a:prstGeom prst="rect"><a:avLst/></a:prstGeom></wps:spPr>
<wps:txbx><w:txbxContent>{paras}</w:txbxContent></wps:txbx><wps:bodyPr/></wps:wsp></a:graphicData></a:graphic></wp:anchor>
</w:drawing></mc:Choice><mc:Fallback><w:pict><v:shape style="width:212pt;height:70pt"><v:textbox><w:txbxContent>{paras}
</w:txbxContent></v:textbox></v:shape></w:pict></mc:Fallback></mc:AlternateContent></w:r>"""


def write_docx_textbox(spec: CorpusReport, path: Path) -> None:
    """Header in two floating text boxes (left: issuer + number, right: motto + place-date), as
    some offices lay out their letterhead; Word also stores a VML fallback copy of each box."""
    from xml.sax.saxutils import escape

    import docx
    from lxml import etree

    document = docx.Document()
    left, right = spec.header_columns()
    anchor = document.add_paragraph()
    for n, (col, x) in enumerate(((left, 0), (right, 3000000)), start=1):
        paras = "".join(f"<w:p><w:r><w:t>{escape(t)}</w:t></w:r></w:p>" for t in col)
        anchor._p.append(etree.fromstring(_TXBX.format(x=x, id=n, paras=paras)))
    for _ in range(3):
        document.add_paragraph("")
    _docx_common(document, spec)
    document.save(str(path))


def write_pdf_flat(spec: CorpusReport, path: Path, swap: bool = False) -> None:
    """Word's PDF export: the header columns drawn at shared y positions (text extraction then
    merges them onto one line); `swap` puts the motto column on the left."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    pdf.add_font("DejaVu", fname=FONT)
    pdf.set_font("DejaVu", size=10)
    left, right = spec.header_columns()
    if swap:
        left, right = right, left
    y = 15.0
    for le, r in zip(left, right, strict=True):
        pdf.set_xy(10, y)
        pdf.cell(85, 6, le, align="C")
        pdf.set_xy(100, y)
        pdf.cell(100, 6, r, align="C")
        y += 6
    pdf.set_xy(10, y + 6)
    pdf.set_font("DejaVu", size=11)
    for line in spec.title_lines() + spec.body_lines() + spec.footer_lines():
        pdf.multi_cell(0, 6, line or " ", new_x="LMARGIN", new_y="NEXT", align="C" if line in spec.title_lines() else "L")
    pdf.output(str(path))


def render_scan(spec: CorpusReport, seed: int, width: int = 1654):
    """A page as a scanner or a phone sees it: two-column header at shared heights, 0.5° rotation, speckles."""
    from PIL import Image, ImageDraw, ImageFilter, ImageFont

    font = ImageFont.truetype(FONT, 26)
    left, right = spec.header_columns()
    body: list[str] = []
    for line in spec.title_lines() + spec.body_lines() + spec.footer_lines():
        body += textwrap.wrap(line, 95) or [""]
    img = Image.new("L", (width, 140 + 40 * (len(left) + len(body) + 2)), 255)
    draw = ImageDraw.Draw(img)
    y = 60
    for le, r in zip(left, right, strict=True):
        draw.text((70, y), le, font=font, fill=0)
        draw.text((width // 2 + 20, y), r, font=font, fill=0)
        y += 40
    y += 40
    for line in body:
        draw.text((70, y), line, font=font, fill=0)
        y += 40
    rng = random.Random(seed)
    for _ in range(1500):
        img.putpixel((rng.randrange(img.width), rng.randrange(img.height)), rng.choice((0, 90, 160)))
    img = img.rotate(0.5, expand=True, fillcolor=255, resample=Image.BICUBIC)
    return img.filter(ImageFilter.GaussianBlur(0.4))


def write_ocr_txt(spec: CorpusReport, path: Path) -> None:
    """Text OCR'd elsewhere: diacritics damaged, "Số:" read as "S6:", "II." as "Il.", columns
    merged with spaces, lines re-wrapped at about 85 characters, a trailing form feed."""
    out: list[str] = []
    for line in spec.flat_lines(sep="   "):
        damaged = ocr_damage(line.replace("Số:", "S6:"))
        if damaged.startswith("II."):
            damaged = "Il." + damaged[3:]
        out += textwrap.wrap(damaged, 85) if len(damaged) > 85 else [damaged]
    path.write_text("\n".join(out) + "\n\f", encoding="utf-8")


def write_utf16(spec: CorpusReport, path: Path) -> None:
    """'Unicode text' from the union's office software: UTF-16LE with BOM, tabs, CRLF; the header
    columns interleaved line by line."""
    text = "\r\n".join(spec.flat_lines(sep="\t")) + "\r\n"
    path.write_bytes(b"\xff\xfe" + text.encode("utf-16-le"))


def write_cp1258(spec: CorpusReport, path: Path) -> None:
    """Windows-1258 with combining tone marks; the columns separated by a single space."""
    text = "\r\n".join(spec.flat_lines(sep=" ")) + "\r\n"
    path.write_bytes(to_cp1258(unicodedata.normalize("NFC", text)))


def write_report(spec: CorpusReport, folder: Path, seed: int) -> Path:
    path = folder / spec.file_name
    if spec.fmt == "docx_table":
        write_docx_table(spec, path)
    elif spec.fmt == "docx_tabs":
        write_docx_tabs(spec, path)
    elif spec.fmt == "docx_textbox":
        write_docx_textbox(spec, path)
    elif spec.fmt in ("pdf_flat", "pdf_flat_swapped"):
        write_pdf_flat(spec, path, swap=spec.fmt == "pdf_flat_swapped")
    elif spec.fmt == "pdf_scan":
        render_scan(spec, seed).convert("RGB").save(path, format="PDF", resolution=150)
    elif spec.fmt == "png":
        render_scan(spec, seed).save(path, format="PNG")
    elif spec.fmt == "ocr_txt":
        write_ocr_txt(spec, path)
    elif spec.fmt == "utf16":
        write_utf16(spec, path)
    elif spec.fmt == "cp1258":
        write_cp1258(spec, path)
    else:
        raise ValueError(spec.fmt)
    return path


# -- the corpus ----------------------------------------------------------------------------------
def _t(day: date, hh: int, mm: int) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=LOCAL)


MARCH, FEBRUARY, JANUARY = date(2025, 3, 1), date(2025, 2, 1), date(2025, 1, 1)
ADHOC_THAN_SON = ("Ban Thường vụ LĐLĐ huyện Than Sơn báo cáo nhanh vụ việc người lao động Công ty TNHH Gỗ Hưng Thịnh ngừng việc tập thể.",)
ADHOC_THAN_SON_SITUATION = (
    "Khoảng 7 giờ 30 phút ngày 06/3/2025, 37 người lao động của Công ty TNHH Gỗ Hưng Thịnh đồng loạt ngừng việc, yêu cầu Công ty "
    "trả tiền lương còn nợ các tháng 12/2024 và 01/2025. Sau đối thoại, Công ty cam kết trả 50% số tiền nợ lương trước ngày "
    "15/3/2025 và trả hết số còn lại trước ngày 30/4/2025; người lao động đã trở lại làm việc.",
)
ADHOC_CDN_YT_SITUATION = (
    "Từ ngày 10/3/2025, tại Trung tâm Y tế huyện Khe Lim ghi nhận 46 ca sốt xuất huyết; nhân viên y tế phải tăng ca liên tục, "
    "một số người lo ngại về chế độ phụ cấp chống dịch chậm chi trả. Dịch bệnh có nguy cơ lan rộng trong mùa mưa.",
)


def corpus() -> list[CorpusReport]:
    m, f, j = MARCH, FEBRUARY, JANUARY
    reports = [
        # March 2025: due 20/3 00:00. DONG_XUAN on time at 23:50 on the 19th, KHE_LIM late at 08:15 on the 20th,
        # PAC_RAO incomplete (no forecast), NAM_LU missing.
        CorpusReport(
            "BC tu tuong T3-2025 Dong Xuan.docx",
            "docx_table",
            "DONG_XUAN",
            m,
            "14/BC-LĐLĐ",
            date(2025, 3, 19),
            _t(date(2025, 3, 19), 23, 50),
            ("T02", "T06", "T11"),
        ),
        CorpusReport(
            "BC thang 3 KheLim.docx",
            "docx_tabs",
            "KHE_LIM",
            m,
            "09/BC-LĐLĐ",
            date(2025, 3, 19),
            _t(date(2025, 3, 20), 8, 15),
            ("T03", "T09"),
            typed_time="8h15",
        ),
        CorpusReport(
            "BC DLXH T3.2025 - Pac Rao.docx",
            "docx_textbox",
            "PAC_RAO",
            m,
            "11/BC-LĐLĐ",
            date(2025, 3, 17),
            _t(date(2025, 3, 18), 16, 48),
            ("T10", "T06"),
            parts=("situation", "causes", "proposals"),
            typed_time="16h48",
        ),
        CorpusReport(
            "BC T3-2025 LDLD Than Son.pdf",
            "pdf_flat",
            "THAN_SON",
            m,
            "17/BC-LĐLĐ",
            date(2025, 3, 14),
            _t(date(2025, 3, 17), 10, 5),
            ("T11", "T07", "T04"),
            typed_time="10 giờ 05",
        ),
        CorpusReport(
            "BC thang 3 nam 2025 Tan Son.pdf",
            "pdf_flat_swapped",
            "TAN_SON",
            m,
            "08/BC-LĐLĐ",
            date(2025, 3, 13),
            _t(date(2025, 3, 14), 8, 47),
            ("T08", "T12"),
            typed_time="08:47",
        ),
        CorpusReport(
            "21.BC tinh hinh tu tuong T3-2025 LDLD TP.pdf",
            "pdf_flat",
            "TP_LAMCAO",
            m,
            "21/BC-LĐLĐ",
            date(2025, 3, 11),
            _t(date(2025, 3, 11), 16, 20),
            ("T03", "T07", "T11"),
        ),
        CorpusReport(
            "21a.BC tinh hinh tu tuong T3-2025 LDLD TP (ban sua).docx",
            "docx_table",
            "TP_LAMCAO",
            m,
            "21a/BC-LĐLĐ",
            date(2025, 3, 13),
            _t(date(2025, 3, 13), 9, 5),
            ("T03", "T07", "T11"),
            replaces="21/BC-LĐLĐ",
            extra={"replaces_date": "11/3/2025"},
        ),
        CorpusReport(
            "BC T3-2025 CDN GD scan.png", "png", "CDN_GD", m, "05/BC-CĐN", date(2025, 3, 14), _t(date(2025, 3, 15), 9, 10), ("T05", "T09")
        ),
        CorpusReport(
            "BC tu tuong T3-2025 CDYT (OCR).txt",
            "ocr_txt",
            "CDN_YT",
            m,
            "07/BC-CĐN",
            date(2025, 3, 16),
            _t(date(2025, 3, 16), 15, 35),
            ("T06", "T12"),
        ),
        CorpusReport(
            "BC T3 2025 CDVC (xuat tu phan mem).txt",
            "utf16",
            "CDVC_LC",
            m,
            "04/BC-CĐVC",
            date(2025, 3, 17),
            _t(date(2025, 3, 17), 10, 47),
            ("T01", "T03", "T04"),
        ),
        # Ad-hoc reports with their own deadlines, among other dates ("Than Sơn, ngày ...": "hạn" inside a place name).
        CorpusReport(
            "BC dot xuat vu viec Cty Hung Thinh no luong - Than Son.pdf",
            "pdf_flat",
            "THAN_SON",
            m,
            "18/BC-LĐLĐ",
            date(2025, 3, 8),
            _t(date(2025, 3, 8), 16, 10),
            ("T11",),
            report_type="ad_hoc",
            parts=("situation", "causes", "proposals"),
            adhoc_title="Vụ việc người lao động Công ty TNHH Gỗ Hưng Thịnh ngừng việc tập thể do bị nợ lương",
            adhoc_text=ADHOC_THAN_SON,
            due_at=_t(date(2025, 3, 28), 0, 0),
            extra={
                "situation": ADHOC_THAN_SON_SITUATION,
                "causes": "Công ty gặp khó khăn về dòng tiền do chủ đầu tư chậm thanh toán, dẫn đến nợ lương kéo dài.",
                "proposals": "Đề nghị LĐLĐ tỉnh phối hợp Sở Nội vụ đôn đốc Công ty trả lương. Hạn báo cáo kết quả: "
                "LĐLĐ huyện sẽ báo cáo kết quả giải quyết về Ban Thường vụ LĐLĐ tỉnh trước ngày "
                "28/3/2025.",
            },
        ),
        CorpusReport(
            "BC dot xuat dich sot xuat huyet - CDYT.docx",
            "docx_tabs",
            "CDN_YT",
            m,
            "08/BC-CĐN",
            date(2025, 3, 24),
            _t(date(2025, 3, 26), 14, 0),
            ("T06",),
            report_type="ad_hoc",
            adhoc_title="Tình hình dịch sốt xuất huyết và tư tưởng của nhân viên y tế",
            adhoc_text=(
                "Thực hiện Công văn số 31/LĐLĐ-TG của Ban Thường vụ LĐLĐ tỉnh đề nghị báo cáo đột xuất, thời hạn "
                "báo cáo chậm nhất ngày 25/3/2025, Công đoàn ngành Y tế báo cáo như sau:",
            ),
            due_at=_t(date(2025, 3, 25), 0, 0),
            extra={"situation": ADHOC_CDN_YT_SITUATION},
        ),
    ]
    # February and January: every unit on time, in the formats each office usually sends.
    feb = [
        ("DONG_XUAN", "docx_textbox", ("T01", "T05")),
        ("KHE_LIM", "cp1258", ("T11", "T06")),
        ("PAC_RAO", "pdf_flat", ("T10", "T08")),
        ("THAN_SON", "docx_table", ("T04", "T11")),
        ("TAN_SON", "ocr_txt", ("T07", "T02")),
        ("TP_LAMCAO", "pdf_scan", ("T03", "T12")),
        ("CDN_GD", "docx_table", ("T09", "T05")),
        ("CDN_YT", "pdf_flat_swapped", ("T06", "T12")),
        ("CDVC_LC", "utf16", ("T03", "T01")),
        ("NAM_LU", "docx_tabs", ("T10", "T11")),
    ]
    for n, (code, fmt, topics) in enumerate(feb, start=1):
        ext = {
            "docx_table": "docx",
            "docx_tabs": "docx",
            "docx_textbox": "docx",
            "pdf_flat": "pdf",
            "pdf_flat_swapped": "pdf",
            "pdf_scan": "pdf",
            "ocr_txt": "txt",
            "utf16": "txt",
            "cp1258": "txt",
            "png": "png",
        }[fmt]
        kind = UNITS[code].unit_type
        number = f"{n + 2:02d}/BC-LĐLĐ" if kind == "district" else "02/BC-CĐVC" if kind == "civil_servants" else f"{n:02d}/BC-CĐN"
        reports.append(
            CorpusReport(
                f"BC T2-2025 {UNITS[code].file_tag}.{ext}",
                fmt,
                code,
                f,
                number,
                date(2025, 2, 12 + n % 5),
                _t(date(2025, 2, 13 + n % 5), 8 + n, 10 + n),
                topics,
            )
        )
    reports.append(
        CorpusReport(
            "BC thang 1 Dong Xuan.txt",
            "cp1258",
            "DONG_XUAN",
            j,
            "03/BC-LĐLĐ",
            date(2025, 1, 15),
            _t(date(2025, 1, 16), 9, 30),
            ("T05", "T11"),
        )
    )
    reports.append(
        CorpusReport(
            "BC T1-2025 Pac Rao.docx",
            "docx_tabs",
            "PAC_RAO",
            j,
            "02/BC-LĐLĐ",
            date(2025, 1, 16),
            _t(date(2025, 1, 17), 14, 40),
            ("T06", "T10"),
        )
    )
    return reports


# -- the register and the stray files ------------------------------------------------------------
def write_register(path: Path, reports: list[CorpusReport]) -> Path:
    """The office's XLSX register: title rows, then Số đến | Ngày đến | Giờ đến | Nơi gửi | Số, ký hiệu VB | Ngày VB |
    Trích yếu | File đính kèm | Ghi chú; dates as date cells, times as time cells or typed text."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Q1-2025"
    ws.append(["SỔ ĐĂNG KÝ CÔNG VĂN ĐẾN - LIÊN ĐOÀN LAO ĐỘNG TỈNH LÂM CAO"])
    ws.append(["Quý I năm 2025"])
    ws.append([])
    ws.append(["Số đến", "Ngày đến", "Giờ đến", "Nơi gửi", "Số, ký hiệu VB", "Ngày VB", "Trích yếu", "File đính kèm", "Ghi chú"])
    rows = []
    for r in reports:
        summary = (
            ("BC đột xuất " + (r.adhoc_title or ""))
            if r.report_type == "ad_hoc"
            else (f"BC tình hình tư tưởng, DLXH tháng {r.month.month}/{r.month.year}")
        )
        if r.replaces:
            summary += f" (thay thế BC số {r.replaces} ngày {r.extra['replaces_date']})"
        rows.append((r.received, UNITS[r.unit].sender, r.doc_number, r.issued, summary, r.file_name, r.typed_time))
    others = [
        (
            _t(date(2025, 3, 3), 8, 30),
            "Tỉnh ủy LC",
            "1102-CV/TU",
            date(2025, 2, 28),
            "V/v tổ chức các hoạt động kỷ niệm ngày 8/3",
            "1102-CV_TU.pdf",
            None,
        ),
        (
            _t(date(2025, 3, 5), 14, 30),
            "Sở Nội vụ",
            "GM 41/GM-SNV",
            date(2025, 3, 4),
            "Giấy mời dự hội nghị triển khai Tháng Công nhân",
            None,
            None,
        ),
        (
            _t(date(2025, 3, 10), 9, 40),
            "LĐLĐ h. Nậm Lư",
            "05/TTr-LĐLĐ",
            date(2025, 3, 9),
            "Tờ trình đề nghị hỗ trợ đoàn viên bị thiệt hại do mưa đá",
            "TTr 05 Nam Lu.pdf",
            None,
        ),
        (
            _t(date(2025, 3, 18), 10, 5),
            "LĐLĐ h. Nậm Lư",
            "06/BC-LĐLĐ",
            date(2025, 3, 17),
            "BC kết quả tổ chức Tháng hành động về an toàn, vệ sinh lao động",
            None,
            None,
        ),
        (
            _t(date(2025, 3, 19), 14, 15),
            "CĐCS Cty CP Thủy điện Suối Mây",
            "03/BC-CĐCS",
            date(2025, 3, 18),
            "BC kết quả thương lượng tập thể năm 2025",
            None,
            None,
        ),
    ]
    for n, (received, sender, number, issued, summary, attachment, typed) in enumerate(
        sorted(rows + others, key=lambda x: x[0]), start=101
    ):
        note = "Nhận qua thư điện tử" if attachment else "Bản giấy"
        ws.append(
            [
                n,
                datetime.combine(received.date(), time(0)),
                typed or received.time().replace(tzinfo=None),
                sender,
                number,
                issued.strftime("%d/%m/%Y"),
                summary,
                attachment,
                note,
            ]
        )
        ws.cell(ws.max_row, 2).number_format = "dd/mm/yyyy"
        if not typed:
            ws.cell(ws.max_row, 3).number_format = "hh:mm"
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def write_strays(folder: Path) -> list[Path]:
    """What else lands in the inbox: the office group's chat export, a clerk's note, a photo of a
    signature page corner with no readable text."""
    from PIL import Image, ImageDraw

    chat = folder / "Zalo_nhom_VP_xuat_21-03-2025.json"
    chat.write_text(
        json.dumps(
            {
                "conversation": "VP LĐLĐ tỉnh",
                "exported_at": "2025-03-21T08:00:00+07:00",
                "messages": [
                    {"sender": "Văn thư", "time": "2025-03-19T23:52:00+07:00", "text": "LĐLĐ Đồng Xuân vừa gửi báo cáo tháng 3 lúc 23h50."},
                    {"sender": "Văn thư", "time": "2025-03-20T08:20:00+07:00", "text": "Khe Lim gửi BC tháng 3 lúc 8h15, trễ hạn."},
                    {"sender": "Phó Ban", "time": "2025-03-20T09:00:00+07:00", "text": "Nhắc LĐLĐ Nậm Lư nộp báo cáo tháng 3 ngay."},
                ],
            },
            ensure_ascii=False,
            indent=1,
        ),
        encoding="utf-8",
    )
    note = folder / "ghi chu don doc thang 3.txt"
    note.write_text(
        "Ghi chú văn thư 20/3:\n- Đã gọi điện nhắc LĐLĐ huyện Nậm Lư, hẹn gửi trong tuần.\n- TP gửi bản sửa 21a ngày 13/3.\n"
        "- Than Sơn có báo cáo đột xuất vụ Hưng Thịnh nợ lương.\n",
        encoding="utf-8",
    )
    photo = folder / "anh chup trang ky.jpg"
    img = Image.new("RGB", (900, 700), (214, 204, 186))
    draw = ImageDraw.Draw(img)
    rng = random.Random(7)
    for _ in range(60):
        x, y = rng.randrange(900), rng.randrange(700)
        draw.ellipse((x, y, x + rng.randrange(5, 40), y + rng.randrange(5, 40)), fill=(rng.randrange(150, 200),) * 3)
    draw.arc((300, 250, 600, 450), 10, 160, fill=(40, 40, 160), width=5)  # a pen stroke, no letters
    img.save(photo, format="JPEG", quality=80)
    return [chat, note, photo]


def write_registry(path: Path) -> Path:
    import csv

    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(REGISTRY_HEADER)
        w.writerows(REGISTRY)
    return path


def write_corpus(root: Path) -> dict:
    """Write the registry, the reports, the register and the stray files under `root`."""
    reports = corpus()
    folder = root / "bao_cao"
    folder.mkdir(parents=True, exist_ok=True)
    for n, r in enumerate(reports):
        write_report(r, folder, seed=n)
    strays = write_strays(folder)
    return {
        "registry": write_registry(root / "danh_muc_don_vi.csv"),
        "register": write_register(root / "so_cong_van_den_Q1-2025.xlsx", reports),
        "folder": folder,
        "reports": reports,
        "strays": strays,
    }
