"""Sentiment scales of monitoring tools, normalised to -1 (negative) .. 1 (positive)."""

from __future__ import annotations

from dataclasses import dataclass, field

from dlxh.core.text import fold


class SentimentError(ValueError):
    def __init__(self, reason_code: str, message: str):
        super().__init__(message)
        self.reason_code = reason_code


@dataclass(frozen=True)
class SentimentScale:
    """Either labels ({"Tích cực": 1, "Tiêu cực": -1, ...}) or a numeric range ([0, 100])."""

    low: float
    high: float
    labels: dict[str, float] = field(default_factory=dict)  # folded label -> value on [low, high]

    @classmethod
    def from_spec(cls, spec: dict) -> SentimentScale:
        labels = spec.get("labels") or {}
        rng = spec.get("range")
        if not labels and not rng:
            raise ValueError("sentiment: give `labels` or `range` = [low, high]")
        folded = {fold(str(k)): float(v) for k, v in labels.items()}
        if rng:
            low, high = (float(x) for x in rng)
        else:
            low, high = min(folded.values()), max(folded.values())
        if not high > low:
            raise ValueError(f"sentiment: range must have low < high, got [{low}, {high}]")
        for label, v in folded.items():
            if not low <= v <= high:
                raise ValueError(f"sentiment: label {label!r} = {v} lies outside [{low}, {high}]")
        return cls(low, high, folded)

    def normalise(self, value: str) -> float:
        """-1..1 from a label or a number on the declared scale; SentimentError otherwise."""
        text = value.strip()
        if self.labels:
            key = fold(text)
            if key in self.labels:
                return self._scale(self.labels[key])
        try:
            number = float(text.replace(",", "."))
        except ValueError:
            if self.labels:
                known = ", ".join(sorted(self.labels))
                raise SentimentError(
                    "unknown_sentiment", f"nhãn sắc thái «{value}» không có trong bảng nhãn của công cụ ({known})"
                ) from None
            raise SentimentError("bad_sentiment", f"điểm sắc thái «{value}» không phải là số") from None
        if number != number or not self.low <= number <= self.high:
            raise SentimentError(
                "sentiment_out_of_scale",
                f"điểm sắc thái {value} nằm ngoài thang điểm khai báo [{_fmt(self.low)}, {_fmt(self.high)}]",
            )
        return self._scale(number)

    def _scale(self, x: float) -> float:
        return round(2 * (x - self.low) / (self.high - self.low) - 1, 6)


def _fmt(x: float) -> str:
    return str(int(x)) if x == int(x) else str(x)
