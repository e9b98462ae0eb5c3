"""Matcher latency and build on a shared machine: CPU time, best of N.

bench/scale.py times wall clock (a question's median over 5 passes), which on a 2-core VM
shared with other sessions measures the neighbours as much as the matcher. This times the
same work (the 10,000-entry index of bench/scale.py, the eval questions, ``uncached``) in
CPU time of this process, and keeps each question's best of ``--passes``: the cost of the
question itself, which other processes can only add to. Build: wall time (best and median
of ``--builds``) and the CPU time of the parent and of the forked child; RSS growth of the
first build. Run it alternately on two checkouts to compare them in the same minutes.

    python bench/cpu_latency.py [--size 10000] [--passes 9] [--builds 5]
"""

import argparse
import gc
import math
import os
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bot import knowledge as kb  # noqa: E402
from bot.matcher import Matcher  # noqa: E402
from machine import describe  # noqa: E402
from scale import questions, rss_mb, synthetic  # noqa: E402
from timing import percentile  # noqa: E402


def cpu(usage: resource.struct_rusage) -> float:
    return usage.ru_utime + usage.ru_stime


def builds(knowledge, count: int) -> tuple[Matcher, dict[str, float]]:
    """The matcher, and its build's wall and CPU times (parent, child) and RSS growth."""
    gc.collect()
    before = rss_mb()
    walls, parents, children, matcher, growth = [], [], [], None, 0.0
    for n in range(count):
        matcher = None
        own, child = resource.getrusage(resource.RUSAGE_SELF), \
            resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        matcher = Matcher(knowledge)
        walls.append(time.perf_counter() - start)
        parents.append(cpu(resource.getrusage(resource.RUSAGE_SELF)) - cpu(own))
        children.append(cpu(resource.getrusage(resource.RUSAGE_CHILDREN)) - cpu(child))
        if n == 0:
            growth = max(rss_mb() - before, 0.0)
    return matcher, {"build_best_s": min(walls), "build_median_s": statistics.median(walls),
                     "parent_cpu_s": statistics.median(parents),
                     "child_cpu_s": statistics.median(children), "rss_growth_mb": growth}


def question_times(matcher: Matcher, qs: list[str], passes: int) -> dict[str, float]:
    """p50, p99 and mean (ms) over questions of each question's best CPU time, and the
    p99 of each question's median wall time (what bench/scale.py reports)."""
    cpu_runs, wall_runs = [], []
    for _ in range(passes):
        cpus, walls = [], []
        for q in qs:
            c, w = time.process_time(), time.perf_counter()
            matcher.uncached(q)
            cpus.append(time.process_time() - c)
            walls.append(time.perf_counter() - w)
        cpu_runs.append(cpus)
        wall_runs.append(walls)
    best = sorted(min(ts) for ts in zip(*cpu_runs))
    medians = sorted(statistics.median(ts) for ts in zip(*wall_runs))
    return {"cpu_p50_ms": 1000 * statistics.median(best),
            "cpu_p99_ms": 1000 * percentile(best, 0.99),
            "cpu_mean_ms": 1000 * statistics.fmean(best),
            "wall_p99_ms": 1000 * percentile(medians, 0.99)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=10000)
    parser.add_argument("--passes", type=int, default=9)
    parser.add_argument("--builds", type=int, default=5)
    args = parser.parse_args()
    knowledge = synthetic(kb.load(), args.size)
    qs = questions()
    matcher, build = builds(knowledge, args.builds)
    timing = question_times(matcher, qs, args.passes)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else math.nan
    print(f"machine: {describe()}")
    print(f"{len(knowledge.entries)} entries, {len(qs)} questions (tests/data/eval.tsv), "
          f"{args.passes} passes, {args.builds} builds, load average {load:.2f}")
    print(f"build {build['build_best_s']:.2f} s best, {build['build_median_s']:.2f} median"
          f" (CPU parent {build['parent_cpu_s']:.2f} s, child {build['child_cpu_s']:.2f} s),"
          f" RSS +{build['rss_growth_mb']:.0f} MB | question CPU best: p50"
          f" {timing['cpu_p50_ms']:.2f} ms, p99 {timing['cpu_p99_ms']:.2f}, mean"
          f" {timing['cpu_mean_ms']:.2f} | wall p99 of medians {timing['wall_p99_ms']:.2f} ms")


if __name__ == "__main__":
    main()
