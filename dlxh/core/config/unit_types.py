"""Unit types in force (unit_types.csv): which owe reports, their level, and how registries write them."""

from __future__ import annotations

from dataclasses import dataclass

from dlxh.core.config import load
from dlxh.core.names import org_key
from dlxh.core.settings import Settings


@dataclass(frozen=True)
class UnitType:
    unit_type: str
    name_vi: str
    level: str
    owes_reports: bool
    is_territorial: bool
    aliases: tuple[str, ...]


def unit_types(settings: Settings | None = None) -> tuple[UnitType, ...]:
    return tuple(UnitType(**row) for row in load("unit_types", settings).rows)


def owing_unit_types(settings: Settings | None = None) -> tuple[str, ...]:
    """The unit types that owe the monthly report (and, unless a request says otherwise, ad-hoc ones)."""
    return tuple(t.unit_type for t in unit_types(settings) if t.owes_reports)


def resolve_unit_type(value: str | None, settings: Settings | None = None) -> str | None:
    """The unit type a registry cell names ('CĐ ngành', 'cd_nganh', 'LĐLĐ huyện', 'sector'), or None."""
    key = org_key(value)
    if not key:
        return None
    for t in unit_types(settings):
        if key in {org_key(a) for a in (t.unit_type, t.name_vi, *t.aliases)}:
            return t.unit_type
    return None


def describe_unit_types(settings: Settings | None = None) -> str:
    """'province (tỉnh, LĐLĐ tỉnh, …), district (…)' for messages that list what is accepted."""
    return "; ".join(f"{t.unit_type} ({', '.join(t.aliases[:4]) or t.name_vi})" for t in unit_types(settings))
