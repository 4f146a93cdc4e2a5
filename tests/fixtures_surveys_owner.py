"""A survey as a provincial federation's survey officer really builds and exports it (test corpus).

The officer builds a KoboToolbox form in Excel: their own question names in Vietnamese without
diacritics, groups (`grp_a`, `grp_b`, `grp_c`), a `topic` column with the office's own codes
(`VIEC_LAM`, `TINH_GON`, `XUYEN_TAC`, one nobody mapped: `NHA_O_CN`) and a `reverse` column
marked `yes` / `x`; no warehouse (`dlxh_*`) columns at all. The unit question `don_vi` has the
registry's codes in lower case as choice names and the full names as labels (one choice named
by an abbreviation only, one "other union" that is no registry unit). The gender list's `nam`
is also the first word of a district ("Nậm Nhùn"): a trap for unit detection. Free text sits
under a typo'd type (`textarea`) and a `rank` question.

The federation's registry is its own spreadsheet: a title row, then `Mã ĐV` codes such as
`LDLD.TD` and `CDN-GD`, types written `LĐLĐ huyện` / `CĐ ngành`, parents by name, one district
federation dissolved on 1 July 2025. The config folder holds the federation's own taxonomy
(topics.csv) and the aliases of the form's codes (topic_aliases.csv).

Everything is generated from a seed; `Submission` keeps what each respondent answered so tests
compute the expected mart figures from these rows, not from the warehouse.
"""

from __future__ import annotations

import csv
import random
import uuid as uuidlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

FORM_ID = "khao_sat_viec_lam_2025"

TOPICS_CSV = """topic_code,parent_code,sort_order,name_vi,name_en,keywords
VL,,1,"Việc làm, thu nhập của người lao động",Jobs and income,việc làm;tiền lương;thu nhập
BM,,2,"Sắp xếp, tinh gọn tổ chức bộ máy",Streamlining the apparatus,tinh gọn;sắp xếp bộ máy
TT,,3,"Thông tin xấu độc, xuyên tạc",Distorting information,xuyên tạc;xấu độc
CD,,4,Hoạt động công đoàn,Union activity,hoạt động công đoàn
"""
# VIEC_LAM means VL in this survey; elsewhere (unscoped) the office uses it for union activity:
# the survey-scoped alias must win.
TOPIC_ALIASES_CSV = f"""alias,topic_code,scope,note
VIEC_LAM,VL,{FORM_ID},mã của bảng hỏi khảo sát việc làm
VIEC_LAM,CD,,mã cũ dùng chung
TINH_GON,BM,,
XUYEN_TAC,TT,{FORM_ID},
"""
TOPIC_OF = {"VIEC_LAM": "VL", "TINH_GON": "BM", "XUYEN_TAC": "TT"}

# (Mã ĐV, Tên đơn vị, Tên viết tắt, Loại đơn vị, Trực thuộc, Ngày thành lập, Ngày giải thể)
REGISTRY = [
    ("LDLD.TINH", "Liên đoàn Lao động tỉnh Lai Châu", "LĐLĐ tỉnh", "LĐLĐ tỉnh", "", "01/01/2004", ""),
    ("LDLD.TP", "Liên đoàn Lao động thành phố Lai Châu", "LĐLĐ TP. Lai Châu", "LĐLĐ thành phố", "LĐLĐ tỉnh", "01/01/2014", ""),
    ("LDLD.TD", "Liên đoàn Lao động huyện Tam Đường", "LĐLĐ Tam Đường", "LĐLĐ huyện", "LĐLĐ tỉnh", "01/01/2004", ""),
    ("LDLD.PT", "Liên đoàn Lao động huyện Phong Thổ", "LĐLĐ Phong Thổ", "LĐLĐ huyện", "LĐLĐ tỉnh", "01/01/2004", ""),
    ("LDLD.SH", "Liên đoàn Lao động huyện Sìn Hồ", "LĐLĐ Sìn Hồ", "LĐLĐ huyện", "LĐLĐ tỉnh", "01/01/2004", "01/07/2025"),
    ("LDLD.NN", "Liên đoàn Lao động huyện Nậm Nhùn", "LĐLĐ Nậm Nhùn", "LĐLĐ huyện", "LĐLĐ tỉnh", "01/01/2013", ""),
    ("CDN-GD", "Công đoàn ngành Giáo dục tỉnh Lai Châu", "CĐN Giáo dục", "CĐ ngành", "LĐLĐ tỉnh", "01/01/2004", ""),
    ("CDN-YT", "Công đoàn ngành Y tế tỉnh Lai Châu", "CĐN Y tế", "CĐ ngành", "LĐLĐ tỉnh", "01/01/2004", ""),
    ("CDVC", "Công đoàn Viên chức tỉnh Lai Châu", "CĐVC tỉnh", "CĐVC", "LĐLĐ tỉnh", "01/01/2010", ""),
]

# The unit question's choices: (name, label, registry code or None). The officer typed the codes in
# lower case with Kobo's underscores; the education union's choice is named by its abbreviation.
UNIT_CHOICES = [
    ("ldld_tp", "Liên đoàn Lao động thành phố Lai Châu", "LDLD.TP"),
    ("ldld_td", "Liên đoàn Lao động huyện Tam Đường", "LDLD.TD"),
    ("ldld_pt", "Liên đoàn Lao động huyện Phong Thổ", "LDLD.PT"),
    ("ldld_sh", "Liên đoàn Lao động huyện Sìn Hồ", "LDLD.SH"),
    ("ldld_nn", "Liên đoàn Lao động huyện Nậm Nhùn", "LDLD.NN"),
    ("gd", "CĐN Giáo dục", "CDN-GD"),
    ("cdn_yt", "Công đoàn ngành Y tế tỉnh Lai Châu", "CDN-YT"),
    ("cdvc", "Công đoàn Viên chức tỉnh Lai Châu", "CDVC"),
    ("cd_khac", "Công đoàn khác", None),
]
LIKERT = [("1", "Rất không đồng ý"), ("2", "Không đồng ý"), ("3", "Phân vân"), ("4", "Đồng ý"), ("5", "Rất đồng ý")]
# Scale questions: (group, name, label, owner's topic code, reverse mark)
SCALE_QUESTIONS = [
    ("grp_b", "q1", "Anh/chị yên tâm về việc làm hiện nay", "VIEC_LAM", ""),
    ("grp_b", "q2", "Anh/chị lo bị cắt giảm khi sắp xếp, tinh gọn bộ máy", "TINH_GON", "yes"),
    ("grp_b", "q3", "Thu nhập hiện nay đủ trang trải cuộc sống", "VIEC_LAM", ""),
    ("grp_b", "q4", "Anh/chị tin tưởng chủ trương tinh gọn bộ máy", "TINH_GON", ""),
    ("grp_c", "q6", "Thông tin xuyên tạc trên mạng khiến anh/chị hoang mang", "XUYEN_TAC", "x"),
    ("grp_c", "q7", "Anh/chị hài lòng với chỗ ở, nhà trọ công nhân", "NHA_O_CN", ""),
]
GROUP_LABELS = {"grp_a": "Thông tin chung", "grp_b": "Việc làm, thu nhập và sắp xếp bộ máy", "grp_c": "Thông tin trên mạng"}
PRIORITIES = [("luong", "Tiền lương"), ("viec_lam", "Việc làm"), ("nha_tro", "Nhà trọ")]
COLLECTORS = ["ctv_tamduong", "ctv_phongtho", "ctv_gd"]
COMMENTS = ["", "", "Đề nghị tăng lương cho giáo viên hợp đồng", "Lo lắng khi sáp nhập xã", "Cần nhà trọ giá rẻ gần khu công nghiệp"]


def write_config(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "topics.csv").write_text(TOPICS_CSV, encoding="utf-8")
    (folder / "topic_aliases.csv").write_text(TOPIC_ALIASES_CSV, encoding="utf-8")
    return folder


def write_registry(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["DANH MỤC ĐƠN VỊ TRỰC THUỘC LĐLĐ TỈNH LAI CHÂU (cập nhật 07/2025)"])
        w.writerow([])
        w.writerow(["STT", "Mã ĐV", "Tên đơn vị", "Tên viết tắt", "Loại đơn vị", "Trực thuộc", "Ngày thành lập", "Ngày giải thể"])
        for n, row in enumerate(REGISTRY, start=1):
            w.writerow([n, *row])
    return path


def survey_sheet() -> list[list[str]]:
    """The survey sheet as the officer wrote it: type, name, label, required, topic, reverse, hint."""
    rows = [
        ["type", "name", "label", "required", "topic", "reverse", "hint"],
        ["start", "start", "", "", "", "", ""],
        ["end", "end", "", "", "", "", ""],
        ["begin_group", "grp_a", GROUP_LABELS["grp_a"], "", "", "", ""],
        ["select_one don_vi", "don_vi", "Anh/chị là đoàn viên công đoàn nào?", "yes", "", "", ""],
        ["select_one gioi_tinh", "gioi_tinh", "Giới tính", "no", "", "", ""],
        ["integer", "tuoi", "Tuổi", "no", "", "", ""],
        ["end_group", "", "", "", "", "", ""],
        ["begin_group", "grp_b", GROUP_LABELS["grp_b"], "", "", "", ""],
    ]
    for group, name, label, topic, reverse in SCALE_QUESTIONS:
        if group == "grp_c" and rows[-1][1] in ("q4",):
            rows += [
                ["end_group", "", "", "", "", "", ""],
                ["begin_group", "grp_c", GROUP_LABELS["grp_c"], "", "", "", ""],
                ["select_one co_khong", "q5", "Anh/chị có gặp thông tin xuyên tạc về sắp xếp bộ máy không?", "no", "XUYEN_TAC", "", ""],
            ]
        rows.append(["select_one likert5", name, label, "yes", topic, reverse, ""])
    rows += [
        ["rank uu_tien", "uu_tien", "Xếp thứ tự các vấn đề anh/chị quan tâm", "no", "", "", ""],
        ["textarea", "y_kien", "Ý kiến, kiến nghị khác", "no", "", "", "Ghi rõ"],
        ["end_group", "", "", "", "", "", ""],
    ]
    return rows


def write_form(path: Path, owner_columns: bool = True) -> Path:
    """The XLSForm; without `owner_columns` it has no topic/reverse columns (a mapping file says them)."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "survey"
    for r in survey_sheet():
        ws.append(r if owner_columns else r[:4] + r[6:])
    ch = wb.create_sheet("choices")
    ch.append(["list_name", "name", "label"])
    for name, label, _ in UNIT_CHOICES:
        ch.append(["don_vi", name, label])
    for name, label in (("nam", "Nam"), ("nu", "Nữ")):
        ch.append(["gioi_tinh", name, label])
    for name, label in LIKERT:
        ch.append(["likert5", name, label])
    for name, label in (("co", "Có"), ("khong", "Không")):
        ch.append(["co_khong", name, label])
    for name, label in PRIORITIES:
        ch.append(["uu_tien", name, label])
    st = wb.create_sheet("settings")
    st.append(["form_title", "form_id", "version"])
    st.append(["Khảo sát việc làm, thu nhập và tâm trạng đoàn viên năm 2025", FORM_ID, "2025050101"])
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


@dataclass
class Submission:
    uuid: str
    submitted_utc: datetime
    unit_choice: str  # the choice name picked ('' = left empty)
    gender: str
    age: int
    scale: dict[str, int | None]  # question name -> 1..5 (None = not answered)
    met_news: str
    priorities: list[str]
    comment: str
    collector: str
    problem: str | None = None  # what the warehouse must quarantine it for
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def unit_code(self) -> str | None:
        return next((code for name, _, code in UNIT_CHOICES if name == self.unit_choice), None)


def generate(per_unit: dict[str, int], month: tuple[int, int], seed: int) -> list[Submission]:
    rnd = random.Random(f"{seed}-{month}")
    first_local = datetime(month[0], month[1], 1, 7, 0, tzinfo=UTC) - timedelta(hours=7)
    out = []
    n = 0
    for choice, count in per_unit.items():
        for _ in range(count):
            n += 1
            scale = {q[1]: rnd.randint(1, 5) for q in SCALE_QUESTIONS}
            for q in ("q3", "q6", "q7"):  # optional questions some respondents skip
                if rnd.random() < 0.2:
                    scale[q] = None
            out.append(
                Submission(
                    uuid=str(uuidlib.uuid5(uuidlib.NAMESPACE_URL, f"owner-form-{seed}-{month}-{n}")),
                    submitted_utc=first_local + timedelta(seconds=rnd.randrange(26 * 86400)),
                    unit_choice=choice,
                    gender=rnd.choice(["nam", "nu"]),
                    age=rnd.randrange(22, 58),
                    scale=scale,
                    met_news=rnd.choice(["co", "khong"]),
                    priorities=rnd.sample([c for c, _ in PRIORITIES], 3),
                    comment=rnd.choice(COMMENTS),
                    collector=rnd.choice(COLLECTORS),
                )
            )
    rnd.shuffle(out)
    return out


KOBO_META = [
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


def _path(group: str, name: str) -> str:
    return f"{group}/{name}"


def kobo_xml_header() -> list[str]:
    """Kobo "XML values and headers" export, groups in headers (`grp_b/q1`)."""
    cols = ["start", "end", "grp_a/don_vi", "grp_a/gioi_tinh", "grp_a/tuoi"]
    cols += [_path(g, n) for g, n, *_ in SCALE_QUESTIONS if g == "grp_b"]
    cols += ["grp_c/q5"] + [_path(g, n) for g, n, *_ in SCALE_QUESTIONS if g == "grp_c"]
    return cols + ["grp_c/uu_tien", "grp_c/y_kien", "meta/instanceID", *KOBO_META]


def kobo_label_header() -> list[str]:
    """Kobo "Labels" export without group names: question labels as headers."""
    labels = {n: lbl for _, n, lbl, *_ in SCALE_QUESTIONS}
    cols = ["start", "end", "Anh/chị là đoàn viên công đoàn nào?", "Giới tính", "Tuổi"]
    cols += [labels[n] for g, n, *_ in SCALE_QUESTIONS if g == "grp_b"]
    cols += ["Anh/chị có gặp thông tin xuyên tạc về sắp xếp bộ máy không?"]
    cols += [labels[n] for g, n, *_ in SCALE_QUESTIONS if g == "grp_c"]
    return cols + ["Xếp thứ tự các vấn đề anh/chị quan tâm", "Ý kiến, kiến nghị khác", "meta/instanceID", *KOBO_META]


def kobo_row(s: Submission, index: int, labels: bool = False) -> list[str]:
    local = s.submitted_utc + timedelta(hours=7)
    unit_labels = {n: lbl for n, lbl, _ in UNIT_CHOICES}
    likert = dict(LIKERT)

    def scale(q: str) -> str:
        v = s.scale[q]
        if v is None:
            return ""
        if s.extra.get(q):
            return s.extra[q]
        return likert[str(v)] if labels else str(v)

    unit = (unit_labels.get(s.unit_choice, s.unit_choice) if labels else s.unit_choice) if s.unit_choice else ""
    cells = [
        (local - timedelta(minutes=12)).strftime("%Y-%m-%dT%H:%M:%S.000+07:00"),
        (local - timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M:%S.000+07:00"),
        unit,
        ({"nam": "Nam", "nu": "Nữ"}[s.gender] if labels else s.gender),
        str(s.age),
        *[scale(n) for g, n, *_ in SCALE_QUESTIONS if g == "grp_b"],
        ({"co": "Có", "khong": "Không"}[s.met_news] if labels else s.met_news),
        *[scale(n) for g, n, *_ in SCALE_QUESTIONS if g == "grp_c"],
        " ".join(s.priorities),
        s.comment,
        f"uuid:{s.uuid}",
    ]
    return cells + [
        str(300000 + index),
        s.uuid,
        s.submitted_utc.strftime("%Y-%m-%dT%H:%M:%S"),
        "",
        "",
        "submitted_via_web",
        s.collector,
        "vKw8Tg2025",
        "",
        str(index),
    ]


def write_kobo_csv(path: Path, subs: list[Submission]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, delimiter=";")
        w.writerow(kobo_xml_header())
        for i, s in enumerate(subs, start=1):
            w.writerow(kobo_row(s, i))
    return path


def write_kobo_labels_xlsx(path: Path, subs: list[Submission]) -> Path:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(kobo_label_header())
    for i, s in enumerate(subs, start=1):
        ws.append(kobo_row(s, i, labels=True))
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def expected_cells(subs: list[Submission]) -> dict[tuple[str, str, str], tuple[int, float]]:
    """(unit code, topic code, 'YYYY-MM') -> (respondents, mean score on -1..1), from the generated rows.

    Each loaded submission is one respondent (the form has no identifying questions). Its score
    on a topic is the mean of its answered scale questions on that topic, each mapped from 1..5 to
    -1..1 after reversing negatively worded ones (6 - answer); a cell's score is the mean over its
    respondents. Questions whose topic code maps to no topic contribute nothing.
    """
    per: dict[tuple[str, str, str], list[float]] = {}
    for s in subs:
        if s.problem or s.unit_code is None:
            continue
        local = s.submitted_utc + timedelta(hours=7)
        month = f"{local:%Y-%m}"
        by_topic: dict[str, list[float]] = {}
        for _, name, _, owner_topic, reverse in SCALE_QUESTIONS:
            value = s.scale[name]
            topic = TOPIC_OF.get(owner_topic)
            if value is None or topic is None:
                continue
            score = 6 - value if reverse else value
            by_topic.setdefault(topic, []).append((score - 1) / 2 - 1)
        for topic, scores in by_topic.items():
            per.setdefault((s.unit_code, topic, month), []).append(sum(scores) / len(scores))
    return {k: (len(v), sum(v) / len(v)) for k, v in per.items()}
