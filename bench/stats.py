"""Percentiles, medians and number formatting (no numpy)."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) by the nearest-rank method; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return float(ordered[min(rank, len(ordered)) - 1])


def percentiles_sorted(ordered: Sequence[float], *qs: float) -> list[float]:
    if not ordered:
        return [math.nan for _ in qs]
    out = []
    for q in qs:
        rank = max(1, math.ceil(q / 100 * len(ordered)))
        out.append(float(ordered[min(rank, len(ordered)) - 1]))
    return out


def median(values: Sequence[float]) -> float:
    clean = [v for v in values if not math.isnan(v)]
    return statistics.median(clean) if clean else math.nan


def fmt(value: float, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if digits == 0:
        return f"{value:,.0f}"
    return f"{value:,.{digits}f}"


def ms(value_s: float) -> str:
    """Seconds as milliseconds with sensible precision."""
    if math.isnan(value_s):
        return "n/a"
    v = value_s * 1000
    return f"{v:.2f} ms" if v < 10 else f"{v:.1f} ms"
