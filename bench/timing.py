"""Per-question latency that a shared machine's noise does not decide.

Each question is matched ``passes`` times; its latency is the median of those. A single
pass on a shared VM mixes in other tenants' pauses, so the p99 of the worst single
pass is returned too.
"""

import math
import statistics
import time
from typing import Callable

PASSES = 5


def percentile(ordered: list[float], share: float) -> float:
    """Nearest-rank percentile of a sorted list."""
    return ordered[max(math.ceil(len(ordered) * share) - 1, 0)]


def latencies(match: Callable[[str], object], questions: list[str],
              passes: int = PASSES) -> dict[str, float]:
    """p50, p99 and mean in ms over questions of each question's median latency, and
    the worst single pass's p99."""
    runs = []
    for _ in range(passes):
        times = []
        for q in questions:
            t = time.perf_counter()
            match(q)
            times.append(time.perf_counter() - t)
        runs.append(times)
    medians = sorted(statistics.median(ts) for ts in zip(*runs))
    return {"p50_ms": 1000 * statistics.median(medians),
            "p99_ms": 1000 * percentile(medians, 0.99),
            "mean_ms": 1000 * statistics.fmean(medians),
            "p99_worst_pass_ms": 1000 * max(percentile(sorted(ts), 0.99) for ts in runs)}
