"""`dlxh config check | show | init`: what the config folder holds, what is in force, and a starting copy."""

from __future__ import annotations

import shutil
from pathlib import Path

from dlxh.core.config import DEFAULTS_DIR, SPECS, Loaded, check, config_dir, reporting_start_month
from dlxh.core.settings import Settings, load_settings


def _origin(loaded: Loaded) -> str:
    return "default" if DEFAULTS_DIR in loaded.path.parents else "deployment"


def describe(tables: dict[str, Loaded], settings: Settings | None = None) -> str:
    """What is in force, file by file (the deployment's or the shipped default), with a short content summary."""
    lines = [f"config folder: {config_dir(settings)} (DLXH_CONFIG_DIR)"]
    for name, loaded in tables.items():
        lines.append(f"  {SPECS[name].file_name:<20} {len(loaded.rows):>4} rows  {_origin(loaded):<10} {loaded.path}")
        rows = loaded.rows
        if name == "unit_types":
            owing = [r["unit_type"] for r in rows if r["owes_reports"]]
            lines.append(
                f"      owe reports: {', '.join(owing)}; others: {', '.join(r['unit_type'] for r in rows if not r['owes_reports']) or '-'}"
            )
        elif name == "topics":
            lines.append(f"      codes: {', '.join(r['topic_code'] for r in rows)}")
        elif name == "report_types":
            lines.append(
                "      "
                + "; ".join(
                    f"{r['report_type']}: due day {r['due_day']} {r['due_time_local']:%H:%M}"
                    if r["is_periodic"]
                    else f"{r['report_type']}: per request"
                    for r in rows
                )
            )
    return "\n".join(lines)


def _describe_monthly_report(settings: Settings) -> str:
    """Validate monthly_report.toml in force (raises ConfigError naming the file and field) and summarise it."""
    from dlxh.core.config import config_path
    from dlxh.monthly_report.config import FILE_NAME, load_report_config

    cfg = load_report_config(config_path(FILE_NAME, settings))
    origin = "default" if DEFAULTS_DIR in cfg.path.parents else "deployment"
    return (
        f"  {FILE_NAME:<20} {len(cfg.recipients):>4} recipients {origin:<10} {cfg.path}\n"
        f"      issuer: {cfg.issuing_body} ({cfg.document_symbol}); signer: {cfg.position} {cfg.signer}; "
        f"mail to: {', '.join(cfg.mail_to) or '-'}; font: {cfg.font} {cfg.font_size_pt:g} pt"
    )


def check_text(settings: Settings | None = None) -> str:
    """Validate everything (raises ConfigError) and describe what is in force."""
    settings = settings or load_settings()
    tables = check(settings)
    start = reporting_start_month(settings)
    lines = [describe(tables, settings)]
    from dlxh.core.config.hot_spots import describe as describe_scenarios
    from dlxh.core.config.hot_spots import load_library

    lines.append(describe_scenarios(load_library(settings)))
    lines.append(_describe_monthly_report(settings))
    lines.append(
        f"  reporting starts: {start:%Y-%m} (DLXH_REPORTING_START_MONTH)"
        if start
        else "  reporting starts: the first month with a received periodic report (DLXH_REPORTING_START_MONTH unset)"
    )
    return "config OK\n" + "\n".join(lines)


def init(settings: Settings | None = None, force: bool = False) -> list[Path]:
    """Copy the shipped defaults into the config folder as a starting point; existing files stay unless `force`."""
    target = config_dir(settings)
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for spec in SPECS.values():
        dest = target / spec.file_name
        if dest.exists() and not force:
            continue
        shutil.copyfile(DEFAULTS_DIR / spec.file_name, dest)
        written.append(dest)
    from dlxh.core.config.hot_spots import FILE_NAME as SCENARIOS
    from dlxh.monthly_report.config import FILE_NAME as MONTHLY_REPORT

    for file_name in (SCENARIOS, MONTHLY_REPORT):
        if force or not (target / file_name).exists():
            shutil.copyfile(DEFAULTS_DIR / file_name, target / file_name)
            written.append(target / file_name)
    return written
