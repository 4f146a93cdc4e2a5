"""Kept for imports: the unit resolver lives in `ingestion.reference.units` (one for every source)."""

from ingestion.reference.units import Resolution, UnitRegistry, UnitVersion, name_core

__all__ = ["Resolution", "UnitRegistry", "UnitVersion", "name_core"]
