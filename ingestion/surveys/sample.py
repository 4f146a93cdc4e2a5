"""Generate the documented example questionnaire and realistic exports (examples, tests, benchmark).

`write_xlsform` writes the Vietnamese XLSForm `khao_sat_tu_tuong_2025.xlsx`; `kobo_export`,
`odk_central_export` and `google_forms_export` write exports in each platform's conventions.
Everything is deterministic for a given seed.
"""

from __future__ import annotations

import csv
import random
import uuid as uuidlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

FORM_ID = "khao_sat_tu_tuong_2025"
UNITS = [
    ("LDLD-TINH", "Liên đoàn Lao động tỉnh Lai Châu", "province", ""),
    ("LDLD-TP", "Liên đoàn Lao động thành phố Lai Châu", "district", "LDLD-TINH"),
    ("LDLD-TD", "Liên đoàn Lao động huyện Tam Đường", "district", "LDLD-TINH"),
    ("LDLD-PT", "Liên đoàn Lao động huyện Phong Thổ", "district", "LDLD-TINH"),
    ("LDLD-SH", "Liên đoàn Lao động huyện Sìn Hồ", "district", "LDLD-TINH"),
    ("LDLD-MT", "Liên đoàn Lao động huyện Mường Tè", "district", "LDLD-TINH"),
    ("CDN-GD", "Công đoàn ngành Giáo dục tỉnh Lai Châu", "sector", "LDLD-TINH"),
    ("CDN-YT", "Công đoàn ngành Y tế tỉnh Lai Châu", "sector", "LDLD-TINH"),
]
FORM_UNITS = [u for u in UNITS if u[2] != "province"]
LIKERT = [("1", "Rất không đồng ý"), ("2", "Không đồng ý"), ("3", "Phân vân"), ("4", "Đồng ý"), ("5", "Rất đồng ý")]
ISSUES = [
    ("tien_luong", "Tiền lương, thu nhập"),
    ("viec_lam", "Việc làm"),
    ("bhxh", "Bảo hiểm xã hội"),
    ("nha_o", "Nhà ở, nhà trọ"),
    ("giao_thong", "Trật tự an toàn giao thông"),
]

# (name, label, topic, reverse)
LIKERT_QUESTIONS = [
    ("hl_tien_luong", "Anh/chị hài lòng với tiền lương, thu nhập hiện nay", "T11", False),
    ("lo_mat_viec", "Anh/chị lo lắng sẽ mất việc làm trong năm tới", "T11", True),
    ("tin_tuong_tinh_gon", "Anh/chị tin tưởng chủ trương sắp xếp, tinh gọn tổ chức bộ máy", "T03", False),
    ("chinh_sach_bat_cap", "Chế độ, chính sách cho người chịu tác động của việc sắp xếp còn bất cập", "T03", True),
    ("dong_tinh_nd168", "Anh/chị đồng tình với mức xử phạt theo Nghị định 168/2024/NĐ-CP", "T07", False),
]
EXTRA_TOPICS = ["T01", "T04", "T06", "T09", "T11", "T12"]


@dataclass(frozen=True)
class FormShape:
    """How many Likert questions the form has (5 documented ones + `extra` generated ones)."""

    extra: int = 0

    def likert(self) -> list[tuple[str, str, str, bool]]:
        extra = [
            (f"muc_do_{i:02d}", f"Mức độ đồng tình với nhận định số {i}", EXTRA_TOPICS[i % len(EXTRA_TOPICS)], i % 4 == 0)
            for i in range(1, self.extra + 1)
        ]
        return LIKERT_QUESTIONS + extra


SURVEY_HEADER = [
    "type",
    "name",
    "label::Tiếng Việt (vi)",
    "required",
    "parameters",
    "dlxh_topic",
    "dlxh_scale_min",
    "dlxh_scale_max",
    "dlxh_reverse",
    "dlxh_identifying",
    "dlxh_unit",
    "hint::Tiếng Việt (vi)",
]


def survey_rows(shape: FormShape) -> list[list[str]]:
    rows = [
        ["start", "start", "", "", "", "", "", "", "", "", "", ""],
        ["end", "end", "", "", "", "", "", "", "", "", "", ""],
        ["begin_group", "thong_tin", "Thông tin chung", "", "", "", "", "", "", "", "", ""],
        [
            "select_one don_vi",
            "don_vi",
            "Đơn vị (LĐLĐ huyện, thành phố, công đoàn ngành)",
            "yes",
            "",
            "",
            "",
            "",
            "",
            "",
            "yes",
            "Đơn vị tổ chức khảo sát",
        ],
        ["text", "ho_ten", "Họ và tên", "no", "", "", "", "", "", "key", "", "Chỉ dùng để tránh trùng phiếu; được ẩn danh"],
        ["text", "so_dien_thoai", "Số điện thoại", "no", "", "", "", "", "", "key", "", "Cùng với họ tên, phân biệt hai người trùng tên"],
        ["select_one gioi_tinh", "gioi_tinh", "Giới tính", "no", "", "", "", "", "", "", "", ""],
        ["integer", "tuoi", "Tuổi", "no", "", "", "", "", "", "", "", ""],
        ["end_group", "", "", "", "", "", "", "", "", "", "", ""],
        ["begin_group", "danh_gia", "Đánh giá của anh/chị", "", "", "", "", "", "", "", "", ""],
    ]
    for name, label, topic, reverse in shape.likert():
        rows.append(["select_one likert5", name, label, "yes", "", topic, "1", "5", "yes" if reverse else "", "", "", ""])
    rows += [
        [
            "range",
            "an_toan_lao_dong",
            "Mức độ an toàn nơi làm việc (1 = rất kém, 10 = rất tốt)",
            "no",
            "start=1 end=10 step=1",
            "T11",
            "1",
            "10",
            "",
            "",
            "",
            "",
        ],
        ["select_multiple van_de", "van_de", "Những vấn đề anh/chị quan tâm nhất", "no", "", "T11", "", "", "", "", "", ""],
        [
            "select_one co_khong",
            "tin_xau",
            "Anh/chị có gặp thông tin xấu độc, xuyên tạc trên mạng xã hội không?",
            "no",
            "",
            "T12",
            "",
            "",
            "",
            "",
            "",
            "",
        ],
        ["end_group", "", "", "", "", "", "", "", "", "", "", ""],
        ["text", "y_kien", "Ý kiến, kiến nghị khác của anh/chị", "no", "", "", "", "", "", "", "", ""],
    ]
    return rows


def choice_rows() -> list[list[str]]:
    rows = [["don_vi", code, name] for code, name, _, _ in FORM_UNITS]
    rows += [["likert5", c, lbl] for c, lbl in LIKERT]
    rows += [["gioi_tinh", "nam", "Nam"], ["gioi_tinh", "nu", "Nữ"], ["gioi_tinh", "khac", "Khác"]]
    rows += [["van_de", c, lbl] for c, lbl in ISSUES]
    rows += [["co_khong", "co", "Có"], ["co_khong", "khong", "Không"]]
    return rows


def write_xlsform(path: Path, shape: FormShape = FormShape()) -> Path:
    import openpyxl
    from openpyxl.worksheet.worksheet import Worksheet

    wb = openpyxl.Workbook()
    ws = wb.active
    assert isinstance(ws, Worksheet)  # a new workbook's one sheet
    ws.title = "survey"
    ws.append(SURVEY_HEADER)
    for r in survey_rows(shape):
        ws.append(r)
    ch = wb.create_sheet("choices")
    ch.append(["list_name", "name", "label::Tiếng Việt (vi)"])
    for r in choice_rows():
        ch.append(r)
    st = wb.create_sheet("settings")
    st.append(["form_title", "form_id", "version", "default_language", "dlxh_unit"])
    st.append(["Khảo sát tình hình tư tưởng đoàn viên, người lao động năm 2025", FORM_ID, "2025031801", "Tiếng Việt (vi)", ""])
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def write_units(path: Path) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["Mã đơn vị", "Tên đơn vị", "Loại đơn vị", "Đơn vị cấp trên", "Hiệu lực từ"])
        for code, name, utype, parent in UNITS:
            w.writerow([code, name, utype, parent, "2020-01-01"])
    return path


FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Lò", "Tòng", "Vàng", "Lường", "Đèo"]
GIVEN = ["Văn An", "Thị Bình", "Văn Cường", "Thị Dung", "Văn Hải", "Thị Hoa", "Minh Tuấn", "Thị Lan"]


@dataclass
class Answer:
    """One generated submission, platform-neutral."""

    uuid: str
    submitted_utc: datetime
    unit: str
    name: str
    phone: str
    gender: str
    age: int
    likert: dict[str, int]
    safety: int
    issues: list[str]
    bad_news: str
    comment: str


def generate(n: int, month: tuple[int, int], seed: int = 7, shape: FormShape = FormShape(), start: int = 0) -> Iterator[Answer]:
    rnd = random.Random(f"{seed}-{month}")
    first = datetime(month[0], month[1], 1, tzinfo=UTC) - timedelta(hours=7)
    questions = shape.likert()
    for i in range(start, start + n):
        unit = FORM_UNITS[i % len(FORM_UNITS)][0]
        yield Answer(
            uuid=str(uuidlib.uuid5(uuidlib.NAMESPACE_URL, f"dlxh-survey-{seed}-{i}")),
            submitted_utc=first + timedelta(seconds=rnd.randrange(27 * 86400)),
            unit=unit,
            name=f"{rnd.choice(FAMILY)} {rnd.choice(GIVEN)}",
            phone=f"09{rnd.randrange(10**8):08d}",
            gender=rnd.choice(["nam", "nu"]),
            age=rnd.randrange(20, 60),
            likert={q[0]: rnd.randint(1, 5) for q in questions},
            safety=rnd.randint(1, 10),
            issues=rnd.sample([c for c, _ in ISSUES], rnd.randint(0, 3)),
            bad_news=rnd.choice(["co", "khong", "khong"]),
            comment=rnd.choice(["", "", "Đề nghị tăng lương tối thiểu vùng", "Cần hỗ trợ nhà trọ cho công nhân", "Không có ý kiến"]),
        )


def kobo_header(shape: FormShape, labels: bool = False) -> list[str]:
    if labels:
        lk = [lbl for _, lbl, _, _ in shape.likert()]
        return [
            "start",
            "end",
            "Đơn vị (LĐLĐ huyện, thành phố, công đoàn ngành)",
            "Họ và tên",
            "Số điện thoại",
            "Giới tính",
            "Tuổi",
            *lk,
            "Mức độ an toàn nơi làm việc (1 = rất kém, 10 = rất tốt)",
            "Những vấn đề anh/chị quan tâm nhất",
            *[f"Những vấn đề anh/chị quan tâm nhất/{lbl}" for _, lbl in ISSUES],
            "Anh/chị có gặp thông tin xấu độc, xuyên tạc trên mạng xã hội không?",
            "Ý kiến, kiến nghị khác của anh/chị",
            "_id",
            "_uuid",
            "_submission_time",
            "_validation_status",
            "_notes",
            "_status",
            "_submitted_by",
            "__version__",
            "_tags",
            "_index",
        ]
    return [
        "start",
        "end",
        "thong_tin/don_vi",
        "thong_tin/ho_ten",
        "thong_tin/so_dien_thoai",
        "thong_tin/gioi_tinh",
        "thong_tin/tuoi",
        *[f"danh_gia/{q[0]}" for q in shape.likert()],
        "danh_gia/an_toan_lao_dong",
        "danh_gia/van_de",
        *[f"danh_gia/van_de/{c}" for c, _ in ISSUES],
        "danh_gia/tin_xau",
        "y_kien",
        "_id",
        "_uuid",
        "_submission_time",
        "_validation_status",
        "_notes",
        "_status",
        "_submitted_by",
        "__version__",
        "_tags",
        "_index",
    ]


def kobo_row(a: Answer, index: int, shape: FormShape, labels: bool = False) -> list[str]:
    local = a.submitted_utc + timedelta(hours=7)
    start = (local - timedelta(minutes=9)).strftime("%Y-%m-%dT%H:%M:%S.000+07:00")
    end = (local - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%S.000+07:00")
    unit_names = {c: n for c, n, _, _ in FORM_UNITS}
    likert_labels = dict(LIKERT)
    issue_labels = dict(ISSUES)
    if labels:
        cells = [
            start,
            end,
            unit_names[a.unit],
            a.name,
            a.phone,
            {"nam": "Nam", "nu": "Nữ"}[a.gender],
            str(a.age),
            *[likert_labels[str(a.likert[q[0]])] for q in shape.likert()],
            str(a.safety),
            " ".join(issue_labels[c] for c in a.issues),
            *["1" if c in a.issues else "0" for c, _ in ISSUES],
            {"co": "Có", "khong": "Không"}[a.bad_news],
            a.comment,
        ]
    else:
        cells = [
            start,
            end,
            a.unit,
            a.name,
            a.phone,
            a.gender,
            str(a.age),
            *[str(a.likert[q[0]]) for q in shape.likert()],
            str(a.safety),
            " ".join(a.issues),
            *["1" if c in a.issues else "0" for c, _ in ISSUES],
            a.bad_news,
            a.comment,
        ]
    return cells + [
        str(100000 + index),
        a.uuid,
        a.submitted_utc.strftime("%Y-%m-%dT%H:%M:%S"),
        "",
        "",
        "submitted_via_web",
        "dtv_laichau",
        "vGx7ab2025",
        "",
        str(index),
    ]


def write_csv(path: Path, header: list[str], rows, delimiter: str = ";") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, delimiter=delimiter)
        w.writerow(header)
        w.writerows(rows)
    return path


def kobo_export(path: Path, answers: list[Answer], shape: FormShape = FormShape(), labels: bool = False) -> Path:
    rows = [kobo_row(a, i, shape, labels) for i, a in enumerate(answers, start=1)]
    if path.suffix == ".xlsx":
        import openpyxl
        from openpyxl.worksheet.worksheet import Worksheet

        wb = openpyxl.Workbook()
        ws = wb.active
        assert isinstance(ws, Worksheet)  # a new workbook's one sheet
        ws.append(kobo_header(shape, labels))
        for r in rows:
            ws.append(r)
        wb.save(path)
        return path
    return write_csv(path, kobo_header(shape, labels), rows)


def odk_central_export(path: Path, answers: list[Answer], shape: FormShape = FormShape()) -> Path:
    header = [
        "SubmissionDate",
        "start",
        "end",
        "thong_tin-don_vi",
        "thong_tin-ho_ten",
        "thong_tin-so_dien_thoai",
        "thong_tin-gioi_tinh",
        "thong_tin-tuoi",
        *[f"danh_gia-{q[0]}" for q in shape.likert()],
        "danh_gia-an_toan_lao_dong",
        "danh_gia-van_de",
        "danh_gia-tin_xau",
        "y_kien",
        "meta-instanceID",
        "KEY",
        "SubmitterID",
        "SubmitterName",
        "AttachmentsPresent",
        "AttachmentsExpected",
        "Status",
        "ReviewState",
        "DeviceID",
        "Edits",
        "FormVersion",
    ]
    rows = []
    for a in answers:
        local = a.submitted_utc + timedelta(hours=7)
        rows.append(
            [
                a.submitted_utc.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                (local - timedelta(minutes=9)).strftime("%Y-%m-%dT%H:%M:%S.000+07:00"),
                (local - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%S.000+07:00"),
                a.unit,
                a.name,
                a.phone,
                a.gender,
                str(a.age),
                *[str(a.likert[q[0]]) for q in shape.likert()],
                str(a.safety),
                " ".join(a.issues),
                a.bad_news,
                a.comment,
                f"uuid:{a.uuid}",
                f"uuid:{a.uuid}",
                "7",
                "Điều tra viên Tam Đường",
                "0",
                "0",
                "",
                "approved",
                "collect:Xyz123AbC",
                "0",
                "2025031801",
            ]
        )
    return write_csv(path, header, rows, delimiter=",")


GOOGLE_QUESTIONS = [
    ("Đơn vị của anh/chị", "don_vi"),
    ("Anh/chị hài lòng với tiền lương, thu nhập hiện nay", "hl_tien_luong"),
    ("Anh/chị lo lắng sẽ mất việc làm trong năm tới", "lo_mat_viec"),
    ("Những vấn đề anh/chị quan tâm nhất", "van_de"),
    ("Ý kiến khác", "y_kien"),
]


def google_forms_mapping() -> str:
    units = "\n".join(f"      {code}: {name}" for code, name, _, _ in FORM_UNITS)
    issues = "\n".join(f"      {c}: {lbl}" for c, lbl in ISSUES)
    return f"""# Mapping of a Google Forms survey to the warehouse (see docs/surveys.md).
form_id: khao_sat_nhanh_google_2025
title: Khảo sát nhanh ý kiến người lao động (Google Forms)
version: "1"
# date_order: dmy   # Timestamp format of the form's locale; inferred when omitted
questions:
  - header: Đơn vị của anh/chị
    name: don_vi
    type: select_one
    unit: yes
    choices:
{units}
  - header: Anh/chị hài lòng với tiền lương, thu nhập hiện nay
    name: hl_tien_luong
    type: scale
    topic: T11
    scale_min: 1
    scale_max: 5
  - header: Anh/chị lo lắng sẽ mất việc làm trong năm tới
    name: lo_mat_viec
    type: scale
    topic: T11
    scale_min: 1
    scale_max: 5
    reverse: yes
  - header: Những vấn đề anh/chị quan tâm nhất
    name: van_de
    type: select_multiple
    topic: T11
    choices:
{issues}
  - header: Ý kiến khác
    name: y_kien
    type: text
"""


def google_forms_export(path: Path, answers: list[Answer], vietnamese_locale: bool = False) -> Path:
    unit_names = {c: n for c, n, _, _ in FORM_UNITS}
    issue_labels = dict(ISSUES)
    header = [
        "Dấu thời gian" if vietnamese_locale else "Timestamp",
        "Địa chỉ email" if vietnamese_locale else "Email Address",
        *[q for q, _ in GOOGLE_QUESTIONS],
    ]
    rows = []
    for a in answers:
        local = a.submitted_utc + timedelta(hours=7)
        if vietnamese_locale:
            stamp = local.strftime("%d/%m/%Y %H:%M:%S")
        else:
            h12 = local.hour % 12 or 12
            stamp = f"{local:%Y/%m/%d} {h12}:{local:%M:%S} {'PM' if local.hour >= 12 else 'AM'} GMT+7"
        email = f"nld{int(a.uuid[:4], 16)}@example.vn"
        rows.append(
            [
                stamp,
                email,
                unit_names[a.unit],
                str(a.likert["hl_tien_luong"]),
                str(a.likert["lo_mat_viec"]),
                ", ".join(issue_labels[c] for c in a.issues),
                a.comment,
            ]
        )
    return write_csv(path, header, rows, delimiter=",")


def write_examples(out: Path) -> dict[str, Path]:
    """The documented examples (examples/surveys/): form, registry and one export per platform."""
    out.mkdir(parents=True, exist_ok=True)
    shape = FormShape()
    header = kobo_header(shape)
    march = list(generate(12, (2025, 3)))
    april = list(generate(6, (2025, 4), start=12))
    files = {
        "form": write_xlsform(out / f"{FORM_ID}.xlsx"),
        "units": write_units(out / "don_vi.csv"),
        "kobo_march": kobo_export(out / "kobo_2025-03.csv", march),
    }
    # April: Kobo users re-export the whole form, so March is in it again, one submission edited.
    march[0].likert["hl_tien_luong"] = 5 if march[0].likert["hl_tien_luong"] != 5 else 4
    rows = [kobo_row(a, i, shape) for i, a in enumerate(march + april, start=1)]
    broken = [kobo_row(a, 90 + i, shape) for i, a in enumerate(generate(3, (2025, 4), start=90))]
    broken[0][header.index("_uuid")] = ""  # missing uuid
    broken[1][header.index("danh_gia/hl_tien_luong")] = "7"  # outside the 1–5 scale
    broken[2][header.index("thong_tin/don_vi")] = "LDLD-XX"  # not in the unit registry
    files["kobo_april"] = write_csv(out / "kobo_2025-04_reexport.csv", header, rows + broken)
    files["kobo_labels"] = kobo_export(out / "kobo_2025-04_labels.xlsx", april, labels=True)
    files["odk"] = odk_central_export(out / "odk_central_2025-04.csv", list(generate(5, (2025, 4), seed=11)))
    files["google_mapping"] = out / "google_forms_mapping.yaml"
    files["google_mapping"].write_text(google_forms_mapping(), encoding="utf-8")
    files["google"] = google_forms_export(out / "google_forms_2025-03.csv", list(generate(6, (2025, 3), seed=13)))
    return files
