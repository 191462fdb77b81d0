"""Summaries of repeated measurements: median and spread."""

import numpy as np

__all__ = ["ratio", "summary"]


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
