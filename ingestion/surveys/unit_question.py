"""Which question of a form names the submission's unit, and which registry unit each of its choices is.

A question annotated as the unit question (``dlxh_unit``, ``role = unit``, or the mapping file)
is it. Otherwise the unit question is found from the choice lists: the ``select_one`` question
whose choices (by name: a registry code in any case or spelling; or by label: a full name, a
short name, an abbreviation) resolve through the one unit resolver
(`ingestion.reference.units.UnitRegistry.resolve`) to registry units for at least
`MAJORITY` of its choices, naming at least two different units. Two questions that qualify
equally are an ambiguity: none is taken and the import summary says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ingestion.surveys.questionnaire import Choice, Question, Questionnaire

MAJORITY = 0.8  # share of a question's choices that must resolve to registry units


@dataclass(frozen=True)
class ChoiceUnit:
    """A choice of the unit question and what it resolved to."""

    name: str
    label: str | None
    code: str | None
    rule: str | None
    candidates: tuple[str, ...] = ()
    ended_on: date | None = None  # the unit exists in the registry but ended before today


@dataclass
class UnitQuestion:
    question: Question | None
    how: str | None  # annotation | mapping | choices | None
    choices: list[ChoiceUnit] = field(default_factory=list)
    competing: list[str] = field(default_factory=list)  # questions that qualified equally (none taken)

    def code_of(self, choice_name: str) -> str | None:
        return next((c.code for c in self.choices if c.name == choice_name), None)

    def unresolved(self) -> list[ChoiceUnit]:
        return [c for c in self.choices if c.code is None]

    def ended(self) -> list[ChoiceUnit]:
        return [c for c in self.choices if c.code and c.ended_on]


def resolve_choice(registry: Any, choice: Choice, today: date | None = None) -> ChoiceUnit:
    """A choice by its name, else (or when the label matches more strongly) by its label."""
    by_name = registry.resolve(choice.name)
    # A name that is a registry code (score 1.0) is never beaten by its label: no fuzzy match of
    # the label then (against a national registry that costs ~0.2 s a choice).
    by_label = registry.resolve(choice.label) if choice.label and by_name.rule != "code" else None
    best = by_name
    if by_label is not None and by_label.code and (not by_name.code or by_label.score > by_name.score):
        best = by_label
    elif not best.code and by_label is not None and by_label.candidates and not best.candidates:
        best = by_label
    ended = None
    if best.code:
        versions = [v for v in registry.versions if v.unit_code == best.code]
        ends = [v.valid_to for v in versions]
        if versions and None not in ends and max(ends) < (today or date.today()):
            ended = max(ends)
    return ChoiceUnit(choice.name, choice.label, best.code, best.rule, tuple(best.candidates), ended)


def find_unit_question(form: Questionnaire, registry: Any) -> UnitQuestion:
    """The unit question of `form` against `registry`; marks it (`is_unit`, `unit_from='choices'`) when
    found from its choices. Detection from an earlier registry is undone first."""
    for q in form.questions:
        if q.unit_from == "choices":
            q.is_unit, q.unit_from = False, None
    annotated = next((q for q in form.questions if q.is_unit), None)
    if annotated is not None:
        return UnitQuestion(
            annotated, annotated.unit_from or "annotation", [resolve_choice(registry, c) for c in annotated.choices.values()]
        )
    if not registry.codes:
        return UnitQuestion(None, None)
    qualified: list[tuple[float, int, Question, list[ChoiceUnit]]] = []
    for q in form.questions:
        if q.qtype != "select_one" or len(q.choices) < 2 or q.is_identifying or q.is_collector:
            continue
        resolved = [resolve_choice(registry, c) for c in q.choices.values()]
        codes = {r.code for r in resolved if r.code}
        hits = sum(1 for r in resolved if r.code)
        if len(codes) >= 2 and hits / len(resolved) >= MAJORITY:
            qualified.append((hits / len(resolved), hits, q, resolved))
    if not qualified:
        return UnitQuestion(None, None)
    qualified.sort(key=lambda t: (-t[0], -t[1]))
    share, hits, best, resolved = qualified[0]
    competing = [q.name for s, h, q, _ in qualified[1:] if (s, h) == (share, hits)]
    if competing:
        return UnitQuestion(None, None, competing=[best.name, *competing])
    best.is_unit, best.unit_from = True, "choices"
    return UnitQuestion(best, "choices", resolved)
