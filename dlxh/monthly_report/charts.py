"""Charts of the monthly report (matplotlib, Agg, 200 dpi PNG). Labels in Vietnamese; DejaVu Sans
(bundled with matplotlib) has every Vietnamese diacritic. A chart with no data is not drawn."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

DPI = 200
SOURCE_LABELS = {"report": "Báo cáo đơn vị", "survey": "Khảo sát", "scan": "Rà quét trực tuyến"}


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    png: bytes


def _month_label(month: str) -> str:
    year, m = month.split("-")
    return f"{int(m)}/{year}"


def _short(text: str, width: int = 38) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight", metadata={"Software": None})
    import matplotlib.pyplot as plt

    plt.close(fig)
    return buf.getvalue()


def _figure(height: float):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"font.family": "DejaVu Sans", "font.size": 9, "svg.hashsalt": "dlxh"})
    return plt.subplots(figsize=(7.0, height))


def on_time_chart(history: list[dict[str, Any]]) -> Chart | None:
    points = [h for h in history if h["on_time_rate"] is not None]
    if not points:
        return None
    fig, ax = _figure(3.0)
    labels = [_month_label(h["month"]) for h in points]
    values = [100 * h["on_time_rate"] for h in points]
    bars = ax.bar(labels, values, color="#2f5d8a")
    bars[-1].set_color("#c0392b")
    for bar, v in zip(bars, values, strict=True):
        ax.annotate(f"{v:.1f}%".replace(".", ","), (bar.get_x() + bar.get_width() / 2, v), ha="center", va="bottom", fontsize=8)
    ax.set_ylim(0, 110)
    ax.set_ylabel("Tỷ lệ đúng hạn (%)")
    ax.set_xlabel("Tháng báo cáo")
    title = "Tỷ lệ đơn vị báo cáo đúng hạn theo tháng"
    ax.set_title(title)
    ax.spines[["top", "right"]].set_visible(False)
    return Chart("on_time", title, _png(fig))


def topics_chart(topics: list[dict[str, Any]]) -> Chart | None:
    rows = [t for t in topics if t["units"] or t["units_previous"]][:12]
    if not rows:
        return None
    rows = rows[::-1]
    fig, ax = _figure(0.45 * len(rows) + 1.2)
    y = range(len(rows))
    ax.barh([i + 0.2 for i in y], [t["units"] for t in rows], height=0.4, color="#2f5d8a", label="Tháng này")
    ax.barh([i - 0.2 for i in y], [t["units_previous"] for t in rows], height=0.4, color="#a9c4de", label="Tháng trước")
    ax.set_yticks(list(y), [_short(t["topic_name"]) for t in rows])
    ax.set_xlabel("Số đơn vị đề cập")
    title = "Chủ đề theo số đơn vị đề cập trong báo cáo"
    ax.set_title(title)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.legend(loc="lower right", fontsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    return Chart("topics", title, _png(fig))


def sentiment_chart(sentiment: list[dict[str, Any]]) -> Chart | None:
    if not sentiment:
        return None
    topics: dict[str, str] = {}
    for s in sentiment:
        topics.setdefault(s["topic_code"], s["topic_name"])
    codes = list(topics)[::-1]
    sources = [s for s in SOURCE_LABELS if any(r["source"] == s for r in sentiment)]
    value = {(r["topic_code"], r["source"]): r["mean_sentiment"] for r in sentiment}
    fig, ax = _figure(0.5 * len(codes) + 1.4)
    height = 0.8 / max(1, len(sources))
    colours = {"report": "#2f5d8a", "survey": "#27ae60", "scan": "#e67e22"}
    for n, source in enumerate(sources):
        ys = [i + (n - (len(sources) - 1) / 2) * height for i in range(len(codes))]
        ax.barh(ys, [value.get((c, source)) or 0 for c in codes], height=height, color=colours[source], label=SOURCE_LABELS[source])
    ax.axvline(0, color="#555555", linewidth=0.8)
    ax.set_xlim(-1, 1)
    ax.set_yticks(range(len(codes)), [_short(topics[c]) for c in codes])
    ax.set_xlabel("Sắc thái bình quân (−1 tiêu cực … +1 tích cực)")
    title = "Sắc thái dư luận theo chủ đề và nguồn"
    ax.set_title(title)
    ax.legend(loc="lower right", fontsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    return Chart("sentiment", title, _png(fig))


def hot_spots_chart(hot_spots: list[dict[str, Any]]) -> Chart | None:
    if not hot_spots:
        return None
    rows = hot_spots[:15]
    fig, ax = _figure(0.32 * len(rows) + 0.9)
    ax.axis("off")
    cells = [
        [
            _short(h["unit_name"], 34),
            _short(h["topic_name"], 34),
            str(h["negative_signals"]),
            f"{h['baseline_negative_signals']:.1f}".replace(".", ","),
        ]
        for h in rows
    ]
    table = ax.table(
        cellText=cells,
        colLabels=["Đơn vị", "Chủ đề", "Tín hiệu tiêu cực", "Mức nền 6 tháng"],
        loc="center",
        cellLoc="left",
        colLoc="left",
        colWidths=[0.36, 0.36, 0.14, 0.14],
    )
    table.auto_set_font_size(False)
    table.set_fontsize(8)
    table.scale(1, 1.3)
    for (r, _c), cell in table.get_celld().items():
        if r == 0:
            cell.set_text_props(weight="bold")
            cell.set_facecolor("#dfe7f0")
    title = "Điểm nóng phát hiện trong tháng"
    ax.set_title(title)
    return Chart("hot_spots", title, _png(fig))


def draw_all(data: dict[str, Any]) -> dict[str, Chart]:
    charts = [
        on_time_chart(data["history"]),
        topics_chart(data["topics"]),
        sentiment_chart(data["sentiment"]),
        hot_spots_chart(data["hot_spots"]),
    ]
    return {c.key: c for c in charts if c is not None}
