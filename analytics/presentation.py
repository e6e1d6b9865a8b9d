"""How figures are written on screen and in exports (metrics.md: one decimal, half away from zero; "–" for none)."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

DASH = "–"


def round_half_away(value: float, places: int = 1) -> float:
    q = Decimal(1).scaleb(-places)
    return float(Decimal(repr(value)).quantize(q, rounding=ROUND_HALF_UP))


def format_pct(value: float | None, places: int = 1) -> str:
    """A percentage for display: 55.12690 -> '55.1%'; None -> '–'."""
    if value is None:
        return DASH
    return f"{round_half_away(value, places):.{places}f}%"
