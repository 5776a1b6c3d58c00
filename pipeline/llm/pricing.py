"""Cost of a call from the configured price table (USD per million tokens)."""

from __future__ import annotations

from pipeline.config import Price


def call_cost(prices: dict[str, Price], model: str, prompt: int, cached: int, completion: int) -> float:
    """USD for one call; a model missing from the table costs 0 (local models do)."""
    price = prices.get(model)
    if price is None:
        return 0.0
    cached_rate = price.cached_input if price.cached_input is not None else price.input
    fresh = max(prompt - cached, 0)
    total = fresh * price.input + cached * cached_rate + completion * price.output
    return round(total / 1_000_000, 8)
