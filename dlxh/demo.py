"""Demo inputs for the Lai Châu federation: unit registry, monthly report forms, a worker
survey (Kobo export with its XLSForm), media scans from two monitoring tools and the collaborator
network (a province-wide roster and contribution forms).

Deterministic for a seed and an as-of day: the last `months` reporting months whose deadline
has passed, with most reports on time, some late, some missing, one unit renamed and one
unit dissolved mid-way (it owes nothing after its valid_to).
"""

from __future__ import annotations

import csv
import os
import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from dlxh.core.calendar import LOCAL, add_months, monthly_due_at
from dlxh.core.tabular import export_cell

REGISTRY_HEADER = [
    "Mã đơn vị",
    "Tên đơn vị",
    "Loại đơn vị",
    "Đơn vị cấp trên",
    "Hiệu lực từ",
    "Hiệu lực đến",
    "Đơn vị kế thừa",
    "Người liên hệ",
    "Email liên hệ",
    "Webhook",
]
FORM_HEADER = [
    "Mã đơn vị",
    "Tên đơn vị",
    "Kỳ báo cáo",
    "Loại báo cáo",
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

DISTRICTS = [
    ("LDLD-TP", "Liên đoàn Lao động thành phố Lai Châu", "thanhpho"),
    ("LDLD-TD", "Liên đoàn Lao động huyện Tam Đường", "tamduong"),
    ("LDLD-PT", "Liên đoàn Lao động huyện Phong Thổ", "phongtho"),
    ("LDLD-SH", "Liên đoàn Lao động huyện Sìn Hồ", "sinho"),
    ("LDLD-MT", "Liên đoàn Lao động huyện Mường Tè", "muongte"),
    ("LDLD-NN", "Liên đoàn Lao động huyện Nậm Nhùn", "namnhun"),
    ("LDLD-TU", "Liên đoàn Lao động huyện Than Uyên", "thanuyen"),
    ("LDLD-TNU", "Liên đoàn Lao động huyện Tân Uyên", "tanuyen"),
]
SECTORS = [
    ("CDN-GD", "Công đoàn ngành Giáo dục tỉnh Lai Châu", "sector", "giaoduc"),
    ("CDN-YT", "Công đoàn ngành Y tế tỉnh Lai Châu", "sector", "yte"),
    ("CDVC", "Công đoàn Viên chức tỉnh Lai Châu", "civil_servants", "vienchuc"),
]

ITEMS = {
    "T03": (
        "Đoàn viên quan tâm việc sắp xếp, tinh gọn tổ chức bộ máy theo Nghị quyết 18-NQ/TW và chế độ chính sách đối với cán bộ dôi dư.",
        "Chưa có hướng dẫn chi tiết về chính sách hỗ trợ.",
        "Tâm lý lo lắng có thể tăng khi triển khai sáp nhập.",
        "Đề nghị sớm ban hành hướng dẫn chế độ, chính sách.",
    ),
    "T11": (
        "Người lao động tại một số doanh nghiệp phản ánh chậm lương, nợ đọng bảo hiểm xã hội.",
        "Doanh nghiệp gặp khó khăn về đơn hàng.",
        "Có nguy cơ phát sinh tranh chấp lao động, ngừng việc tập thể.",
        "Đề nghị cơ quan chức năng kiểm tra, đôn đốc doanh nghiệp trả lương đúng hạn.",
    ),
    "T07": (
        "Dư luận đồng tình với việc xử phạt vi phạm giao thông theo Nghị định 168/2024/NĐ-CP, song một bộ phận cho rằng mức phạt cao.",
        "Mức phạt tăng mạnh so với trước.",
        "Ý thức chấp hành luật giao thông sẽ chuyển biến tích cực.",
        "Tăng cường tuyên truyền Luật Trật tự, an toàn giao thông đường bộ.",
    ),
    "T06": (
        "Mưa lớn gây sạt lở, lũ quét tại một số xã; cán bộ, đoàn viên tích cực ủng hộ đồng bào bị thiệt hại.",
        "Thời tiết cực đoan, địa hình đồi núi dốc.",
        "Nguy cơ sạt lở tiếp diễn trong mùa mưa.",
        "Đề nghị hỗ trợ kịp thời cho đoàn viên, người lao động bị ảnh hưởng.",
    ),
    "T04": (
        "Cán bộ, đoàn viên phấn khởi trước kết quả tăng trưởng kinh tế, quan tâm Nghị quyết 57-NQ/TW về chuyển đổi số.",
        "Kinh tế tỉnh tiếp tục phục hồi.",
        "Dư luận tiếp tục ổn định, tích cực.",
        "Đẩy mạnh chuyển đổi số trong hoạt động công đoàn.",
    ),
    "T12": (
        "Xuất hiện một số thông tin xấu độc, xuyên tạc về công tác nhân sự đại hội trên mạng xã hội.",
        "Các thế lực thù địch lợi dụng mạng xã hội.",
        "Có thể gia tăng trước thềm đại hội.",
        "Tăng cường đấu tranh, phản bác thông tin sai trái.",
    ),
    "T10": (
        "Đồng bào dân tộc thiểu số đồng tình thực hiện Nghị quyết 15-NQ/TU về xóa bỏ hủ tục lạc hậu, còn tình trạng tảo hôn ở vùng sâu.",
        "Nhận thức của một bộ phận người dân còn hạn chế.",
        "Chuyển biến chậm nhưng tích cực.",
        "Tiếp tục vận động, tuyên truyền tại thôn, bản.",
    ),
}
SENTIMENT_OF = {
    "T03": "Tiêu cực",
    "T11": "Tiêu cực",
    "T07": "Trung lập",
    "T06": "Tiêu cực",
    "T04": "Tích cực",
    "T12": "Tiêu cực",
    "T10": "Trung lập",
}


def demo_months(as_of: date, months: int) -> list[date]:
    """The last `months` report months whose deadline passed before the as-of day."""
    as_of_local = datetime(as_of.year, as_of.month, as_of.day, tzinfo=LOCAL)
    last = date(as_of.year, as_of.month, 1)
    if monthly_due_at(last) > as_of_local:
        last = add_months(last, -1)
    return [add_months(last, -i) for i in reversed(range(months))]


def _write_csv(path: Path, header: list[str], rows: list[list[str]], mtime: datetime | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows([export_cell(c) for c in row] for row in rows)
    if mtime is not None:
        ts = mtime.timestamp()
        os.utime(path, (ts, ts))
    return path


def write_demo(out: Path, as_of: date, months: int = 6, seed: int = 2025) -> dict[str, list[Path]]:
    rng = random.Random(seed)
    periods = demo_months(as_of, months)
    first = periods[0]
    dissolve_after = periods[len(periods) // 2 - 1] if len(periods) >= 2 else None
    rename_from = periods[len(periods) // 2] if len(periods) >= 2 else None

    registry: list[list[str]] = [
        [
            "LDLD-TINH",
            "Liên đoàn Lao động tỉnh Lai Châu",
            "province",
            "",
            "2000-01-01",
            "",
            "",
            "Ban Tuyên giáo",
            "bantuyengiao@ldld-laichau.example.vn",
            "",
        ]
    ]
    owing: list[tuple[str, str, date, date | None]] = []  # code, name, valid_from, valid_to
    for code, name, slug in DISTRICTS:
        valid_to = None
        successor = ""
        if code == "LDLD-NN" and dissolve_after is not None:
            valid_to = add_months(dissolve_after, 1) - timedelta(days=1)  # last day of that month
            successor = "LDLD-MT"
        registry.append(
            [
                code,
                name,
                "district",
                "LDLD-TINH",
                first.isoformat(),
                valid_to.isoformat() if valid_to else "",
                successor,
                f"Văn phòng {name}",
                f"{slug}@ldld-laichau.example.vn",
                "",
            ]
        )
        owing.append((code, name, first, valid_to))
    for code, name, utype, slug in SECTORS:
        if code == "CDN-GD" and rename_from is not None:
            registry.append(
                [
                    code,
                    name,
                    utype,
                    "LDLD-TINH",
                    first.isoformat(),
                    (rename_from - timedelta(days=1)).isoformat(),
                    "",
                    "Văn phòng công đoàn ngành",
                    f"{slug}@ldld-laichau.example.vn",
                    "",
                ]
            )
            new_name = "Công đoàn ngành Giáo dục và Đào tạo tỉnh Lai Châu"
            registry.append(
                [
                    code,
                    new_name,
                    utype,
                    "LDLD-TINH",
                    rename_from.isoformat(),
                    "",
                    "",
                    "Văn phòng công đoàn ngành",
                    f"{slug}@ldld-laichau.example.vn",
                    "",
                ]
            )
            owing.append((code, name, first, rename_from - timedelta(days=1)))
            owing.append((code, new_name, rename_from, None))
        else:
            registry.append([code, name, utype, "LDLD-TINH", first.isoformat(), "", "", "Văn phòng", f"{slug}@ldld-laichau.example.vn", ""])
            owing.append((code, name, first, None))

    written: dict[str, list[Path]] = {"units": [], "reports": [], "config": []}
    written["units"].append(_write_csv(out / "units" / "danh_muc_don_vi.csv", REGISTRY_HEADER, registry))
    places = write_demo_places()
    if places is not None:
        written["config"].append(places)
    areas = demo_areas()
    rules = write_demo_rules(areas)
    if rules is not None:
        written["config"].append(rules)

    as_of_end = datetime(as_of.year, as_of.month, as_of.day, 23, 59, tzinfo=LOCAL)
    forced = {periods[-1]: ["LDLD-SH", "CDVC"]}  # the latest month always shows a late and a missing unit
    for period in periods:
        due = monthly_due_at(period)
        for code, name, valid_from, valid_to in owing:
            if valid_from > period or (valid_to is not None and valid_to < due.date() - timedelta(days=1)):
                continue
            roll = rng.random()
            if period in forced and code == forced[period][1]:
                roll = 0.99  # missing
            elif period in forced and code == forced[period][0]:
                roll = 0.85  # late
            if roll >= 0.92:
                continue  # missing: no report this month
            if roll >= 0.78:
                received = due + timedelta(days=rng.randint(1, 6), hours=rng.randint(8, 16), minutes=rng.randint(0, 59))
            else:
                received = due - timedelta(days=rng.randint(1, 9), hours=rng.randint(0, 8), minutes=rng.randint(0, 59))
            if received > as_of_end:
                continue
            topics = rng.sample(sorted(ITEMS), k=rng.randint(2, 4))
            doc_no = f"{rng.randint(5, 60)}/BC-{'LĐLĐ' if code.startswith('LDLD') else 'CĐ'}"
            rows = []
            for t in topics:
                situation, cause, forecast, proposal = ITEMS[t]
                hot = "Có" if t == "T11" and rng.random() < 0.5 else "Không"
                rows.append(
                    [
                        code,
                        name,
                        f"{period:%Y-%m}",
                        "Tháng",
                        doc_no,
                        received.strftime("%Y-%m-%d %H:%M"),
                        t,
                        situation,
                        SENTIMENT_OF[t],
                        hot,
                        cause,
                        forecast,
                        proposal,
                    ]
                )
            path = out / "reports" / f"{period:%Y-%m}" / f"BC_{code}_{period:%Y-%m}.csv"
            written["reports"].append(_write_csv(path, FORM_HEADER, rows, mtime=received))
    # Surveys and scans only cover whole months before the as-of day: nothing dated in the future.
    complete = [p for p in periods if add_months(p, 1) <= date(as_of.year, as_of.month, 1)]
    roster = demo_roster(owing, first, seed, areas)
    written["collaborators"] = write_demo_collaborators(out, roster, complete, seed)
    written["surveys"] = write_demo_surveys(out, complete, roster)
    written["scans"] = write_demo_scans(out, complete, seed)
    return written


# -- the collaborator network ------------------------------------------------------------------
SURNAMES = ["Nguyễn", "Lò", "Giàng", "Tẩn", "Hoàng", "Lê", "Vàng", "Đèo", "Phạm", "Sùng"]
MIDDLE = {"Nữ": ["Thị"], "Nam": ["Văn", "A", "Đức"]}
GIVEN = {"Nữ": ["Hoa", "Mai", "Dung", "Lan", "Thu", "Xuân"], "Nam": ["Pành", "Sử", "Minh", "Hải", "Tú", "Chiến"]}
ETHNICITIES = ["Kinh", "Thái", "H'Mông", "Dao", "Kinh", "Thái", "Giáy"]
NETWORK_SECTORS = ["Giáo dục", "Y tế", "Doanh nghiệp"]
ROSTER_HEADER = [
    "STT",
    "Mã CTV",
    "Họ và tên",
    "Đơn vị",
    "Giới tính",
    "Dân tộc",
    "Chức vụ",
    "Địa bàn",
    "Lĩnh vực/Đoàn thể",
    "Số điện thoại",
    "Email",
    "Số quyết định",
    "Ngày quyết định",
    "Ngày thôi",
    "Lý do thôi",
]


def demo_areas(per_unit: int = 3) -> dict[str, list[str]]:
    """The areas (địa bàn) each demo unit's network must cover: the first wards and communes the
    gazetteer in force (config places.csv) lists for the unit."""
    from dlxh.core.config import config_path

    out: dict[str, list[str]] = {}
    with config_path("places.csv").open(encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            if row.get("place_type") in ("ward", "commune", "town") and len(out.setdefault(row["unit_code"], [])) < per_unit:
                out[row["unit_code"]].append(row["place_name"])
    return out


def write_demo_rules(areas: dict[str, list[str]]) -> Path | None:
    """The demo's collaborator_rules.csv in the config folder: the shipped rules per unit type, plus one
    row per unit of the gazetteer listing the areas its network must cover (demo_areas). A rules file
    already in the config folder is the deployment's own and is left alone (returns None)."""
    from dlxh.core.config import DEFAULTS_DIR, config_dir

    target = config_dir() / "collaborator_rules.csv"
    if target.exists():
        return None
    with (DEFAULTS_DIR / "collaborator_rules.csv").open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        header = list(reader.fieldnames or [])
        rows = [r for r in reader if not (r.get("unit_code") or "").strip()]
    for unit, places in sorted(areas.items()):
        rows.append(
            {
                **dict.fromkeys(header, ""),
                "unit_code": unit,
                "required_areas": ";".join(places),
                "note": "Demo: the unit's first wards and communes in the gazetteer (places.csv).",
            }
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=header)
        w.writeheader()
        w.writerows(rows)
    return target


def demo_roster(
    owing: list[tuple[str, str, date, date | None]], first: date, seed: int, areas: dict[str, list[str]] | None = None
) -> list[dict[str, str]]:
    """Collaborators of the reporting units: districts keep 3 to 6 (5 required), sector unions 2 to 4
    (3 required); one per unit was replaced before the first demo month; the last ones of a unit never
    collect anything (inactive). A unit's collaborators take its required areas (demo_areas) in turn."""
    rng = random.Random(seed + 7)
    roster: list[dict[str, str]] = []
    units = {code: name for code, name, _, _ in owing}
    for code in units:
        n = rng.randint(3, 6) if code.startswith("LDLD") else rng.randint(2, 4)
        for i in range(1, n + 1):
            gender = "Nữ" if rng.random() < 0.45 else "Nam"
            name = f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE[gender])} {rng.choice(GIVEN[gender])}"
            appointed = date(first.year - 1, rng.randint(1, 12), rng.randint(1, 28))
            row = {
                "code": f"CTV-{code}-{i:02d}",
                "name": name,
                "unit": code,
                "gender": gender,
                "ethnicity": rng.choice(ETHNICITIES),
                "sector": NETWORK_SECTORS[(i - 1) % len(NETWORK_SECTORS)],
                "area": places[(i - 1) % len(places)] if (places := (areas or {}).get(code)) else "",
                "appointed": f"{appointed:%d/%m/%Y}",
                "ended": "",
                "reason": "",
                "phone": f"09{rng.randint(10000000, 99999999)}" if i % 4 else "",
            }
            roster.append(row)
        if n >= 4:  # the first one was replaced two months before the demo starts
            roster[-n]["ended"] = f"{add_months(first, -2) - timedelta(days=1):%d/%m/%Y}"
            roster[-n]["reason"] = "Thay thế"
    return roster


def _active_members(roster: list[dict[str, str]], unit: str) -> list[dict[str, str]]:
    """Who collects for a unit in the demo: its collaborators still serving, all but the last (inactive)."""
    serving = [r for r in roster if r["unit"] == unit and not r["ended"]]
    return serving[:-1] if len(serving) > 1 else serving


def write_demo_collaborators(out: Path, roster: list[dict[str, str]], periods: list[date], seed: int) -> list[Path]:
    """The province-wide roster (an XLSX as offices keep it: title rows, «Phạm vi: toàn tỉnh») and one
    contribution form (phiếu tổng hợp ý kiến của CTV) per unit and month."""
    import openpyxl

    folder = out / "collaborators"
    folder.mkdir(parents=True, exist_ok=True)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["LIÊN ĐOÀN LAO ĐỘNG TỈNH LAI CHÂU"])
    ws.append(["DANH SÁCH CỘNG TÁC VIÊN DƯ LUẬN XÃ HỘI"])
    ws.append(["Phạm vi: toàn tỉnh"])
    ws.append(ROSTER_HEADER)
    for i, r in enumerate(roster, start=1):
        ws.append(
            [
                i,
                r["code"],
                r["name"],
                r["unit"],
                r["gender"],
                r["ethnicity"],
                "Đoàn viên",
                r.get("area", ""),
                r["sector"],
                r["phone"],
                "",
                "05/QĐ-LĐLĐ",
                r["appointed"],
                r["ended"],
                r["reason"],
            ]
        )
    roster_path = folder / "danh_sach_ctv_toan_tinh.xlsx"
    wb.save(roster_path)
    written = [roster_path]
    rng = random.Random(seed + 11)
    topics = ["Tiền lương, thu nhập", "Sắp xếp tổ chức bộ máy", "Việc làm", "Trật tự an toàn giao thông"]
    for period in periods[-3:]:
        for unit in sorted({r["unit"] for r in roster}):
            members = _active_members(roster, unit)[:2]
            rows = [
                [
                    str(i),
                    m["name"],
                    f"{rng.randint(1, 27):02d}/{period:%m/%Y}",
                    rng.choice(topics),
                    "Đoàn viên, người lao động quan tâm, đề nghị công đoàn nắm bắt và phản ánh kịp thời.",
                ]
                for i, m in enumerate(members, start=1)
            ]
            if rows:
                path = folder / f"{period:%Y-%m}" / f"phieu_y_kien_CTV_{unit}_{period:%Y-%m}.csv"
                path.parent.mkdir(parents=True, exist_ok=True)
                with path.open("w", encoding="utf-8-sig", newline="") as fh:
                    w = csv.writer(fh)
                    w.writerow(["PHIẾU TỔNG HỢP Ý KIẾN CỦA CỘNG TÁC VIÊN"])
                    w.writerow([f"Đơn vị: {unit}"])
                    w.writerow(["STT", "Họ và tên CTV", "Ngày", "Chủ đề", "Tóm tắt ý kiến"])
                    w.writerows([export_cell(c) for c in row] for row in rows)
                written.append(path)
    return written


# -- places ------------------------------------------------------------------------------------
DEMO_PLACES = Path(__file__).resolve().parent / "demo_config" / "places.csv"


def write_demo_places() -> Path | None:
    """The demo's wards and communes as the config folder's places.csv, as a deployment would add
    them (district, city and province names come from the registry's unit names). A places.csv
    already in the config folder is the deployment's own and is left alone (returns None)."""
    from dlxh.core.config import config_dir

    target = config_dir() / "places.csv"
    if target.exists():
        return None
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(DEMO_PLACES.read_bytes())
    return target


# -- surveys and scans -------------------------------------------------------------------------
SCAN_POSTS = [
    ("Công nhân tại {place} phản ánh doanh nghiệp chậm lương hai tháng, nợ đọng bảo hiểm xã hội.", "Tiêu cực", 20),
    ("Người dân {place} đồng tình với việc xử phạt vi phạm nồng độ cồn theo Nghị định 168/2024/NĐ-CP.", "Tích cực", 80),
    ("Mưa lớn gây sạt lở, lũ quét tại {place}, nhiều hộ dân phải di dời khẩn cấp.", "Tiêu cực", 25),
    ("Cán bộ {place} bàn về sắp xếp, tinh gọn tổ chức bộ máy và chế độ cho người nghỉ hưu trước tuổi.", "Trung tính", 50),
    ("Xuất hiện thông tin xấu độc, xuyên tạc về công tác nhân sự đại hội trên mạng xã hội ở {place}.", "Tiêu cực", 10),
    ("{place} đẩy mạnh chuyển đổi số theo Nghị quyết 57-NQ/TW, đoàn viên phấn khởi.", "Tích cực", 85),
]
SCAN_PLACES = ["Tam Đường", "Phong Thổ", "Sìn Hồ", "Mường Tè", "Than Uyên", "Tân Uyên", "thành phố Lai Châu"]
REPUTA_HEADER = [
    "Đường dẫn",
    "Nền tảng",
    "Thời gian đăng",
    "Thời gian quét",
    "Tiêu đề",
    "Nội dung",
    "Tài khoản",
    "Lượt thích",
    "Lượt chia sẻ",
    "Bình luận",
    "Lượt xem",
    "Sắc thái",
    "Chủ đề",
    "Địa bàn",
]


def write_demo_surveys(out: Path, periods: list[date], roster: list[dict[str, str]] | None = None, per_month: int = 60) -> list[Path]:
    """A Kobo survey (the documented example XLSForm) with exports for the last two demo months; the
    collector Kobo records (`_submitted_by`) is a collaborator of the submission's unit, as an account
    named like the collaborator's code (a unit without collaborators keeps the shared account)."""
    from ingestion.surveys import sample

    folder = out / "surveys" / sample.FORM_ID
    folder.mkdir(parents=True, exist_ok=True)
    written = [sample.write_xlsform(folder / "form.xlsx")]
    for n, period in enumerate(periods[-2:]):
        answers = list(sample.generate(per_month, (period.year, period.month), start=n * per_month))
        path = sample.kobo_export(folder / f"kobo_{period:%Y-%m}.csv", answers)
        if roster:
            _set_collectors(path, roster)
        written.append(path)
    return written


def _set_collectors(path: Path, roster: list[dict[str, str]]) -> None:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh, delimiter=";"))
    header = rows[0]
    unit_col, collector_col = header.index("thong_tin/don_vi"), header.index("_submitted_by")
    for i, row in enumerate(rows[1:]):
        members = _active_members(roster, row[unit_col])
        if members:
            row[collector_col] = members[i % len(members)]["code"].lower().replace("-", "_")
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, delimiter=";").writerows(rows)


def write_demo_scans(out: Path, periods: list[date], seed: int, per_month: int = 40) -> list[Path]:
    """Exports of two monitoring tools (reputa CSV, newsmon JSONL) that overlap by about a third."""
    import json

    rng = random.Random(seed + 1)
    written: list[Path] = []
    for period in periods[-3:]:
        items = []
        for i in range(per_month):
            text, label, score = SCAN_POSTS[rng.randrange(len(SCAN_POSTS))]
            place = SCAN_PLACES[rng.randrange(len(SCAN_PLACES))]
            published = datetime(period.year, period.month, rng.randint(1, 27), rng.randint(6, 22), rng.randint(0, 59), tzinfo=LOCAL)
            items.append(
                {
                    "url": f"https://www.facebook.com/groups/laichau{rng.randint(1, 9)}/posts/{period:%Y%m}{i:04d}",
                    "text": text.format(place=place),
                    "label": label,
                    "score": score,
                    "published": published,
                    "handle": f"taikhoan_{rng.randint(1, 300)}",
                    "likes": rng.randint(0, 500),
                    "shares": rng.randint(0, 80),
                }
            )
        reputa_rows, newsmon_lines = [], []
        for i, it in enumerate(items):
            captured = it["published"] + timedelta(hours=rng.randint(1, 30))
            if i % 3 != 2:  # two thirds seen by reputa
                reputa_rows.append(
                    [
                        it["url"] + "?utm_source=reputa&fbclid=demo",
                        "Facebook",
                        it["published"].strftime("%d/%m/%Y %H:%M"),
                        captured.strftime("%d/%m/%Y %H:%M"),
                        "",
                        it["text"],
                        "@" + it["handle"],
                        it["likes"],
                        it["shares"],
                        rng.randint(0, 40),
                        it["likes"] * 10,
                        it["label"],
                        "",
                        "",
                    ]
                )
            if i % 3 != 0:  # two thirds seen by newsmon: a third of all items by both tools
                later = captured + timedelta(hours=6)
                newsmon_lines.append(
                    json.dumps(
                        {
                            "link": it["url"].replace("www.facebook.com", "m.facebook.com"),
                            "published": it["published"].astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                            "crawled_at": later.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                            "body": it["text"],
                            "source": {"type": "fb", "handle": it["handle"]},
                            "engagement": {"likes": it["likes"] + 5, "shares": it["shares"], "comments": 3, "views": it["likes"] * 12},
                            "sentiment_score": it["score"],
                        },
                        ensure_ascii=False,
                    )
                )
        written.append(_write_csv(out / "scans" / "reputa" / f"reputa_{period:%Y-%m}.csv", REPUTA_HEADER, reputa_rows))
        path = out / "scans" / "newsmon" / f"newsmon_{period:%Y-%m}.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(newsmon_lines) + "\n", encoding="utf-8")
        written.append(path)
    return written
