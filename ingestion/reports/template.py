"""Write the blank monthly report form units fill in: templates/mau_bao_cao_thang.xlsx and .csv.

Run `python -m ingestion.reports.template [OUT_DIR]` (default: templates/ at the project root).
The XLSX has the form as its first sheet (what the ingestion reads), drop-down lists for
sentiment, hot spot, report type and topic, and a second sheet with instructions and topics.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

from dlxh.core.settings import PROJECT_ROOT
from ingestion.reference.topics import load_topics
from ingestion.reports.form import LABELS

COLUMNS = (
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
)
EXAMPLE = (
    "LDLD-TD",
    "Liên đoàn Lao động huyện Tam Đường",
    "2025-03",
    "Tháng",
    "",
    "15/BC-LĐLĐ",
    "2025-03-18 09:30",
    "T11",
    "Người lao động phản ánh chậm lương, nợ đọng bảo hiểm xã hội.",
    "Tiêu cực",
    "Có",
    "Doanh nghiệp thiếu đơn hàng.",
    "Có nguy cơ ngừng việc tập thể.",
    "Đề nghị kiểm tra, đôn đốc doanh nghiệp trả lương.",
)
HELP = [
    ("Mỗi dòng là một luồng ý kiến (một chủ đề) của báo cáo; các dòng cùng đơn vị, kỳ, số văn bản là một báo cáo.",),
    ("Mã đơn vị hoặc Tên đơn vị: bắt buộc một trong hai (nên ghi mã, ví dụ LDLD-TD).",),
    ("Kỳ báo cáo: 2025-03, 03/2025 hoặc «tháng 3 năm 2025».",),
    ("Loại báo cáo: «Tháng» hoặc «Đột xuất» (đột xuất phải ghi Hạn nộp).",),
    ("Sắc thái: Tích cực / Trung lập / Tiêu cực. Điểm nóng: Có / Không.",),
    ("Thời gian nhận: để trống nếu gửi qua hộp thư; văn phòng ghi theo sổ công văn đến.",),
    ("Chủ đề: mã T01–T12 hoặc tên chủ đề (xem danh mục bên dưới).",),
]


def write_templates(out: Path) -> tuple[Path, Path]:
    import openpyxl
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation
    from openpyxl.worksheet.worksheet import Worksheet

    out.mkdir(parents=True, exist_ok=True)
    headers = [LABELS[c] for c in COLUMNS]
    csv_path = out / "mau_bao_cao_thang.csv"
    with csv_path.open("w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerow(headers)

    wb = openpyxl.Workbook()
    ws = wb.active
    assert isinstance(ws, Worksheet)  # a new workbook's one sheet
    ws.title = "Báo cáo"
    ws.append(headers)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for i, col in enumerate(COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = 40 if col in ("summary", "cause", "forecast", "proposal") else 16
    ws.freeze_panes = "A2"
    lists = {
        "report_type": '"Tháng,Đột xuất"',
        "sentiment": '"Tích cực,Trung lập,Tiêu cực"',
        "hot_spot": '"Có,Không"',
        "topic": '"' + ",".join(t.code for t in load_topics()) + '"',
    }
    for col, formula in lists.items():
        letter = get_column_letter(COLUMNS.index(col) + 1)
        dv = DataValidation(type="list", formula1=formula, allow_blank=True)
        dv.add(f"{letter}2:{letter}1000")
        ws.add_data_validation(dv)
    guide = wb.create_sheet("Hướng dẫn")
    guide.append(("Hướng dẫn điền mẫu báo cáo tình hình tư tưởng, dư luận xã hội hằng tháng",))
    for row in HELP:
        guide.append(row)
    guide.append(("Ví dụ một dòng:",))
    guide.append(headers)
    guide.append(EXAMPLE)
    guide.append(("Danh mục chủ đề:",))
    for t in load_topics():
        guide.append((t.code, t.name_vi))
    guide.column_dimensions["A"].width = 100
    xlsx_path = out / "mau_bao_cao_thang.xlsx"
    wb.save(xlsx_path)
    return xlsx_path, csv_path


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else PROJECT_ROOT / "templates"
    for p in write_templates(target):
        print(p)
