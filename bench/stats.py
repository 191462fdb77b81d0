"""Summaries of repeated measurements: median and spread."""

import numpy as np

__all__ = ["ratio", "summary", "tail"]


def summary(samples, scale: float = 1.0) -> dict:
    """{"median", "p25", "p75", "min", "n"} of the samples, each multiplied by ``scale``."""
    values = np.asarray(samples, dtype=np.float64) * scale
    p25, median, p75 = np.percentile(values, [25, 50, 75])
    return {
        "median": float(median),
        "p25": float(p25),
        "p75": float(p75),
        "min": float(values.min()),
        "n": int(values.size),
    }


def ratio(ours: dict, reference: dict) -> float:
    """Median over median."""
    return ours["median"] / reference["median"]


def tail(samples) -> dict:
    """{"p50", "p95", "max", "n"} of the samples: the typical value and the slow ones."""
    values = np.asarray(samples, dtype=np.float64)
    p50, p95 = np.percentile(values, [50, 95])
    return {"p50": float(p50), "p95": float(p95), "max": float(values.max()), "n": int(values.size)}
