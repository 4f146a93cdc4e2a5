"""The figures of the monthly report, computed in SQL over the marts.

Everything the report says comes from here, as plain JSON-able data; the fingerprint of a version
is the sha256 of this data as canonical JSON (the build's as-of instant is left out: a rebuild
that changes no figure makes no new version).

Sources, marts only: fct_report_submission, mart_report_compliance, mart_unit_topic_month,
mart_hot_spots, fct_opinion_signal, dim_topic, dim_unit, fct_report_evidence (the text units
wrote, for the current version of each report), dim_scan_item (a scanned item's platform, URL and
title), fct_hot_spot_case and fct_hot_spot_case_step (each hot spot's case, its scenario, status,
owner and steps). Author handles and restricted.* (raw post text, free-text survey answers) are
never read.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from dlxh.core.calendar import LOCAL, add_months

REPORT_TYPE = "monthly"
STATUSES = ("on_time", "late", "missing", "pending")


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return round(float(value), 4)
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _rows(cur, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    cur.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [{n: _plain(v) for n, v in zip(names, row, strict=True)} for row in cur.fetchall()]


# Unit names: the version in effect at the end of the month, else the latest.
UNIT_NAMES = """
    unit_names as (
        select distinct on (unit_code) unit_code, unit_name
        from marts.dim_unit
        order by unit_code, (valid_from <= %(month_end)s) desc, valid_from desc
    )"""
TOPIC_NAMES = "topic_names as (select topic_code, name_vi, sort_order from marts.dim_topic)"


def _submissions(cur, p) -> list[dict[str, Any]]:
    return _rows(
        cur,
        """
        select s.unit_code, s.unit_name, s.unit_type, s.status,
               to_char(s.received_at at time zone 'Asia/Ho_Chi_Minh', 'DD/MM/YYYY HH24:MI') as received_local,
               s.days_late, s.is_complete, s.has_situation, s.has_causes, s.has_forecast, s.has_proposals, s.version_count
        from marts.fct_report_submission s
        where s.period_month = %(month)s and s.report_type = %(report_type)s
        order by s.unit_name, s.unit_code""",
        p,
    )


def _history(cur, p) -> list[dict[str, Any]]:
    return _rows(
        cur,
        """
        select to_char(period_start, 'YYYY-MM') as month, expected, received, on_time, late, missing, pending, on_time_rate
        from marts.mart_report_compliance
        where grain = 'province_month' and report_type = %(report_type)s
          and period_start between %(history_start)s and %(month)s
        order by period_start""",
        p,
    )


def _topics(cur, p) -> list[dict[str, Any]]:
    return _rows(
        cur,
        f"""
        with {TOPIC_NAMES},
        cells as (
            select topic_code, period_month, unit_code, report_mentions, report_negative_mentions
            from marts.mart_unit_topic_month
            where period_month in (%(month)s, %(previous)s) and report_mentions > 0
              and unit_code is not null and topic_code is not null
        ),
        hot as (
            select topic_code, count(*) as hot_spots from marts.mart_hot_spots
            where period_month = %(month)s and topic_code is not null group by topic_code
        ),
        per_topic as (
            select topic_code,
                   count(distinct unit_code) filter (where period_month = %(month)s) as units,
                   count(distinct unit_code) filter (where period_month = %(previous)s) as units_previous,
                   coalesce(sum(report_mentions) filter (where period_month = %(month)s), 0) as mentions,
                   coalesce(sum(report_negative_mentions) filter (where period_month = %(month)s), 0) as negative_mentions
            from cells group by topic_code
        )
        select per_topic.topic_code, coalesce(topic_names.name_vi, per_topic.topic_code) as topic_name,
               per_topic.units, per_topic.units_previous, per_topic.units - per_topic.units_previous as units_change,
               per_topic.mentions, per_topic.negative_mentions, coalesce(hot.hot_spots, 0) as hot_spots
        from per_topic
        left join topic_names on topic_names.topic_code = per_topic.topic_code
        left join hot on hot.topic_code = per_topic.topic_code
        where per_topic.units > 0 or per_topic.units_previous > 0
        order by per_topic.units desc, topic_names.sort_order, per_topic.topic_code""",
        p,
    )


def _quotes(cur, p) -> list[dict[str, Any]]:
    """Short quotes of what units wrote, per topic: hot spots and negative items first; the same
    text from several units is one quote naming them all."""
    return _rows(
        cur,
        """
        with current_reports as (
            select unit_code, unit_name, current_report_key as report_key
            from marts.fct_report_submission
            where period_month = %(month)s and report_type = %(report_type)s and current_report_key is not null
        ),
        texts as (
            select e.topic_code, r.unit_name, e.evidence_text as text, e.sentiment_score, e.is_hot_spot
            from current_reports r join marts.fct_report_evidence e on e.report_key = r.report_key
            where e.evidence_kind in ('item', 'topic') and e.evidence_text is not null and e.topic_code is not null
        ),
        grouped as (
            select topic_code, trim(text) as text, bool_or(is_hot_spot) as is_hot_spot, min(sentiment_score) as sentiment,
                   array_agg(distinct unit_name order by unit_name) as units
            from texts group by topic_code, trim(text)
        ),
        ranked as (
            select grouped.*, row_number() over (
                partition by topic_code order by is_hot_spot desc, sentiment asc nulls last, cardinality(units) desc, text
            ) as rank
            from grouped
        )
        select topic_code, text, units, is_hot_spot from ranked
        where rank <= %(quotes_per_topic)s order by topic_code, rank""",
        p,
    )


def _survey(cur, p) -> list[dict[str, Any]]:
    return _rows(
        cur,
        f"""
        with {UNIT_NAMES}, {TOPIC_NAMES}
        select m.topic_code, coalesce(topic_names.name_vi, m.topic_code, 'Chưa xác định chủ đề') as topic_name,
               m.unit_code, coalesce(unit_names.unit_name, m.unit_code, 'Chưa xác định đơn vị') as unit_name,
               case when m.survey_is_suppressed then null else m.survey_respondents end as respondents,
               case when m.survey_is_suppressed then null else m.survey_mean_score end as mean_score,
               m.survey_is_suppressed as suppressed
        from marts.mart_unit_topic_month m
        left join unit_names on unit_names.unit_code = m.unit_code
        left join topic_names on topic_names.topic_code = m.topic_code
        where m.period_month = %(month)s and (m.survey_respondents is not null or m.survey_is_suppressed)
        order by topic_names.sort_order nulls last, m.topic_code, unit_name""",
        p,
    )


def _survey_by_topic(cur, p) -> list[dict[str, Any]]:
    return _rows(
        cur,
        f"""
        with {TOPIC_NAMES}
        select m.topic_code, coalesce(topic_names.name_vi, m.topic_code, 'Chưa xác định chủ đề') as topic_name,
               coalesce(sum(m.survey_respondents) filter (where not m.survey_is_suppressed), 0) as respondents,
               round(sum(m.survey_mean_score * m.survey_respondents) filter (where not m.survey_is_suppressed)
                     / nullif(sum(m.survey_respondents) filter (where not m.survey_is_suppressed), 0), 4) as mean_score,
               count(*) filter (where not m.survey_is_suppressed) as cells,
               count(*) filter (where m.survey_is_suppressed) as suppressed_cells
        from marts.mart_unit_topic_month m
        left join topic_names on topic_names.topic_code = m.topic_code
        where m.period_month = %(month)s and (m.survey_respondents is not null or m.survey_is_suppressed)
        group by m.topic_code, topic_names.name_vi, topic_names.sort_order
        order by topic_names.sort_order nulls last, m.topic_code""",
        p,
    )


SCAN_ITEMS = """
    scan as (
        select f.signal_group_key, f.topic_code, f.unit_code, f.sentiment, f.is_negative, f.engagement,
               coalesce(s.url, f.evidence_ref) as url, s.platform, s.title, s.item_key
        from marts.fct_opinion_signal f
        left join marts.dim_scan_item s on f.signal_group_key = s.signal_group_key
        where f.source = 'scan' and f.period_month = %(month)s
    )"""


def _scans(cur, p) -> dict[str, Any]:
    totals = _rows(
        cur,
        f"""
        with {SCAN_ITEMS}
        select count(distinct signal_group_key) as items,
               count(distinct signal_group_key) filter (where sentiment is not null) as with_sentiment,
               count(distinct signal_group_key) filter (where is_negative) as negative,
               round(count(distinct signal_group_key) filter (where is_negative)::numeric
                     / nullif(count(distinct signal_group_key) filter (where sentiment is not null), 0), 4) as negative_share
        from scan""",
        p,
    )[0]

    def breakdown(expr: str, label: str, order: str) -> list[dict[str, Any]]:
        return _rows(
            cur,
            f"""
            with {SCAN_ITEMS}, {UNIT_NAMES}, {TOPIC_NAMES},
            labelled as (
                select scan.*, {label} as label, {order} as sort_key
                from scan
                left join unit_names on unit_names.unit_code = scan.unit_code
                left join topic_names on topic_names.topic_code = scan.topic_code
            )
            select {expr} as key, label, count(distinct signal_group_key) as items,
                   count(distinct signal_group_key) filter (where is_negative) as negative,
                   round(count(distinct signal_group_key) filter (where is_negative)::numeric
                         / nullif(count(distinct signal_group_key) filter (where sentiment is not null), 0), 4) as negative_share
            from labelled group by {expr}, label, sort_key
            order by items desc, sort_key nulls last, label""",
            p,
        )

    by_platform = breakdown("platform", "coalesce(platform, 'Không rõ nền tảng')", "platform")
    by_topic = breakdown("topic_code", "coalesce(topic_names.name_vi, scan.topic_code, 'Chưa xác định chủ đề')", "topic_names.sort_order")
    by_unit = breakdown("unit_code", "coalesce(unit_names.unit_name, scan.unit_code, 'Chưa xác định địa bàn')", "unit_names.unit_name")
    top = _rows(
        cur,
        f"""
        with {SCAN_ITEMS}, {TOPIC_NAMES},
        items as (
            select scan.signal_group_key, max(scan.title) as title, max(scan.url) as url,
                   max(scan.platform) as platform, max(scan.engagement) as engagement, bool_or(scan.is_negative) as is_negative,
                   array_agg(distinct coalesce(topic_names.name_vi, scan.topic_code)) filter (where scan.topic_code is not null) as topics
            from scan left join topic_names on topic_names.topic_code = scan.topic_code
            group by scan.signal_group_key
        )
        select items.title, items.url, items.platform, items.engagement, items.is_negative,
               coalesce(items.topics, '{{}}') as topics
        from items
        order by items.engagement desc nulls last, items.url
        limit %(top_scan_items)s""",
        p,
    )
    return {**totals, "by_platform": by_platform, "by_topic": by_topic, "by_unit": by_unit, "top": top}


def _hot_spots(cur, p) -> list[dict[str, Any]]:
    """The month's hot spots, each with its case (if one was opened): scenario, status, owner and the
    steps of the case's current cycle (marts.fct_hot_spot_case, fct_hot_spot_case_step)."""
    cases = _exists(cur, "marts.fct_hot_spot_case") and _exists(cur, "marts.fct_hot_spot_case_step")
    case_cols = (
        "c.case_id, c.status as case_status, c.status_vi as case_status_vi, c.scenario_code, c.severity, c.owner_name"
        if cases
        else "null::bigint as case_id, null as case_status, null as case_status_vi, null as scenario_code, "
        "null as severity, null as owner_name"
    )
    case_join = (
        "left join lateral (select * from marts.fct_hot_spot_case c where h.hot_spot_key = any(c.hot_spot_keys) "
        "order by c.case_id limit 1) c on true"
        if cases
        else ""
    )
    rows = _rows(
        cur,
        f"""
        with {UNIT_NAMES}, {TOPIC_NAMES}
        select h.unit_code, coalesce(unit_names.unit_name, h.unit_code, 'Chưa xác định đơn vị') as unit_name,
               h.topic_code, coalesce(topic_names.name_vi, h.topic_code, 'Chưa xác định chủ đề') as topic_name,
               h.rules, h.is_flagged_by_unit, h.is_negative_spike, h.negative_signals, h.baseline_negative_signals,
               h.evidence_count, {case_cols}
        from marts.mart_hot_spots h
        left join unit_names on unit_names.unit_code = h.unit_code
        left join topic_names on topic_names.topic_code = h.topic_code
        {case_join}
        where h.period_month = %(month)s
        order by h.negative_signals desc, topic_names.sort_order nulls last, unit_name""",
        p,
    )
    ids = sorted({r["case_id"] for r in rows if r["case_id"] is not None})
    steps: dict[int, list[dict[str, Any]]] = {}
    if ids:
        for step in _rows(
            cur,
            """
                select case_id, step_no, what, lead_body, coordinating,
                       to_char(due_at at time zone 'Asia/Ho_Chi_Minh', 'HH24:MI DD/MM/YYYY') as due_local, is_done,
                       escalated_at is not null as escalated
                from marts.fct_hot_spot_case_step
                where is_current_cycle and case_id = any(%(ids)s)
                order by case_id, step_no""",
            {**p, "ids": ids},
        ):
            steps.setdefault(step.pop("case_id"), []).append(step)
    for r in rows:
        r["steps"] = steps.get(r["case_id"], []) if r["case_id"] is not None else []
    return rows


def _exists(cur, relation: str) -> bool:
    cur.execute("select to_regclass(%s) is not null", (relation,))
    return bool(cur.fetchone()[0])


def _sentiment(cur, p) -> list[dict[str, Any]]:
    return _rows(
        cur,
        f"""
        with {TOPIC_NAMES}
        select f.topic_code, coalesce(topic_names.name_vi, f.topic_code) as topic_name, f.source,
               round(sum(f.sentiment * f.weight) / nullif(sum(f.weight), 0), 4) as mean_sentiment,
               count(*) as signals
        from marts.fct_opinion_signal f
        left join topic_names on topic_names.topic_code = f.topic_code
        where f.period_month = %(month)s and f.topic_code is not null
          and f.sentiment is not null and f.weight > 0 and not f.is_suppressed
        group by f.topic_code, topic_names.name_vi, topic_names.sort_order, f.source
        order by topic_names.sort_order nulls last, f.topic_code, f.source""",
        p,
    )


def _outlook(cur, p) -> list[dict[str, Any]]:
    """The units' own forecast and proposal parts of their current report, by topic, attributed."""
    return _rows(
        cur,
        f"""
        with {TOPIC_NAMES},
        current_reports as (
            select unit_name, current_report_key as report_key
            from marts.fct_report_submission
            where period_month = %(month)s and report_type = %(report_type)s and current_report_key is not null
        ),
        evidence as (
            select e.evidence_kind, e.topic_code, e.forecast, e.proposals, r.unit_name
            from current_reports r join marts.fct_report_evidence e on e.report_key = r.report_key
            where e.evidence_kind in ('item', 'report')
        ),
        parts as (
            select topic_code, 'forecast' as kind, forecast as text, unit_name from evidence
            union all
            select topic_code, 'proposal', proposals, unit_name from evidence
        ),
        cleaned as (
            select topic_code, kind, trim(text) as text, unit_name from parts where nullif(trim(text), '') is not null
        ),
        -- the report-level part only for a report without item-level parts of that kind (a form's
        -- report-level part is its items' parts joined: said once, by topic)
        deduped as (
            select * from cleaned c
            where c.topic_code is not null or not exists (
                select 1 from cleaned o where o.topic_code is not null and o.kind = c.kind and o.unit_name = c.unit_name
            )
        )
        select d.kind, d.topic_code, coalesce(topic_names.name_vi, 'Nội dung chung') as topic_name, d.text,
               array_agg(distinct d.unit_name order by d.unit_name) as units
        from deduped d left join topic_names on topic_names.topic_code = d.topic_code
        group by d.kind, d.topic_code, topic_names.name_vi, topic_names.sort_order, d.text
        order by d.kind, topic_names.sort_order nulls last, d.topic_code, count(*) desc, d.text""",
        p,
    )


@dataclass(frozen=True)
class Figures:
    month: date
    data: dict[str, Any]

    @property
    def fingerprint(self) -> str:
        canonical = json.dumps(self.data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def month_exists(cur, month: date) -> bool:
    cur.execute("select 1 from marts.dim_month where period_month = %s", (month,))
    return cur.fetchone() is not None


def collect(conn, month: date, months_of_history: int = 6, quotes_per_topic: int = 2, top_scan_items: int = 5) -> Figures:
    p = {
        "month": month,
        "previous": add_months(month, -1),
        "month_end": add_months(month, 1),
        "history_start": add_months(month, -(months_of_history - 1)),
        "report_type": REPORT_TYPE,
        "quotes_per_topic": quotes_per_topic,
        "top_scan_items": top_scan_items,
    }
    with conn.cursor() as cur:
        cur.execute("select due_at from marts.dim_month where period_month = %(month)s", p)
        row = cur.fetchone()
        due_at = row[0].astimezone(LOCAL).strftime("%d/%m/%Y %H:%M") if row and row[0] else None
        units = _submissions(cur, p)
        counts = {s: sum(1 for u in units if u["status"] == s) for s in STATUSES}
        counts["expected"] = len(units)
        counts["received"] = counts["on_time"] + counts["late"]
        counts["incomplete"] = sum(1 for u in units if u["status"] in ("on_time", "late") and not u["is_complete"])
        decided = counts["expected"] - counts["pending"]
        counts["on_time_rate"] = round(counts["on_time"] / decided, 4) if decided else None
        data = {
            "month": month.strftime("%Y-%m"),
            "due_at": due_at,
            "units": units,
            "counts": counts,
            "history": _history(cur, p),
            "topics": _topics(cur, p),
            "quotes": _quotes(cur, p),
            "survey_cells": _survey(cur, p),
            "survey_topics": _survey_by_topic(cur, p),
            "scans": _scans(cur, p),
            "hot_spots": _hot_spots(cur, p),
            "sentiment": _sentiment(cur, p),
            "outlook": _outlook(cur, p),
        }
    if not conn.autocommit:
        conn.rollback()  # read-only: end the transaction the queries opened
    return Figures(month, data)
