"""Matcher speed and memory as the knowledge grows: 1,000, 10,000 and 50,000 entries.

Synthetic entries are derived from the real ones, shaped like the entries a province
adds in bulk (an imported catalog: a title and a couple of aliases): each copies a real
entry's kind and answers, with a title and two aliases made of the real text plus
words drawn from the national catalog's titles (../shared/dvc/catalog.jsonl when
present, otherwise the knowledge's own words), so vocabulary and frequencies stay
realistic. The bundled curated entries stay as they are.
Questions are the eval set's, each matched in 5 passes
(``Matcher.uncached``: what ``match()`` answers, without its cache). Reports index build time
(median of 3 builds), peak memory growth of the first build (this process only: the forked
child that analyses half of a large base is not counted), and p50/p99 over questions
of each question's median latency, plus the p99 of the worst single pass (what a noisy
neighbour on a shared machine can add).

    python bench/scale.py [--sizes 1000 10000 50000]
"""

import argparse
import gc
import json
import random
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bot import knowledge as kb  # noqa: E402
from bot.knowledge import Entry, Knowledge  # noqa: E402
from bot.matcher import Matcher  # noqa: E402
from machine import describe  # noqa: E402
from timing import PASSES, latencies  # noqa: E402

# the shared national catalog beside the checkout (a worktree in ../wt/<name> finds it
# two levels up)
CATALOG = next((p for p in (ROOT.parent / "shared" / "dvc" / "catalog.jsonl",
                            ROOT.parent.parent / "shared" / "dvc" / "catalog.jsonl")
                if p.is_file()), ROOT.parent / "shared" / "dvc" / "catalog.jsonl")


def catalog_words(base: Knowledge) -> list[str]:
    if CATALOG.is_file():
        names = [json.loads(line).get("name", "") for line in CATALOG.open(encoding="utf-8")
                 if line.strip()]
    else:
        names = [t for e in base.entries.values() for t in e.texts]
    return [w for name in names for w in name.split() if w.isalpha()]


def synthetic(base: Knowledge, size: int, seed: int = 7) -> Knowledge:
    rng = random.Random(seed)
    words = catalog_words(base)
    real = list(base.entries.values())
    knowledge = Knowledge(root=base.root, synonyms=base.synonyms, stopwords=base.stopwords,
                          generic=base.generic, off_topic=base.off_topic, abroad=base.abroad,
                          home=base.home, office=base.office,
                          uncovered=base.uncovered)  # the procedures not guided, as bundled
    for entry in real:
        knowledge.entries[entry.id] = entry
    knowledge.answers, knowledge._answers_for = base.answers, base._answers_for  # curated
    for i in range(size - len(real)):
        model = real[i % len(real)]
        extra = lambda n: " ".join(rng.choice(words) for _ in range(n))  # noqa: E731
        data = dict(model.data)
        aliases = model.data.get("aliases", [])
        data["aliases"] = [f"{extra(2)} {rng.choice(aliases)}" if aliases else extra(4),
                           extra(5)]
        data["questions"] = []
        knowledge.entries[f"synth-{i}"] = Entry(f"synth-{i}", model.kind,
                                                f"{extra(4)} {model.title} {extra(2)}", data)
    return knowledge


BUILDS = 3  # index builds per size; the median is reported (the machine is shared)


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def questions() -> list[str]:
    rows = (ROOT / "tests" / "data" / "eval.tsv").read_text(encoding="utf-8").splitlines()[1:]
    return [r.split("\t")[3] for r in rows if r.count("\t") >= 3]


def measure(knowledge: Knowledge, qs: list[str]) -> dict[str, float]:
    gc.collect()
    before = rss_mb()
    builds = []
    for _ in range(BUILDS):
        matcher = None
        start = time.perf_counter()
        matcher = Matcher(knowledge)
        builds.append(time.perf_counter() - start)
        if len(builds) == 1:
            after = rss_mb()
    timing = latencies(matcher.uncached, qs)  # what match() answers, computed afresh
    return {"entries": len(knowledge.entries), "build_s": statistics.median(builds),
            "build_min_s": min(builds), "rss_growth_mb": max(after - before, 0.0), **timing}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 50000])
    args = parser.parse_args()
    base = kb.load()
    qs = questions()
    print(f"machine: {describe()}")
    print(f"synthetic words from: {CATALOG if CATALOG.is_file() else 'the knowledge itself'}")
    print(f"questions: {len(qs)} (tests/data/eval.tsv), uncached matching, {PASSES} passes;"
          f" a question's latency is its median over the passes")
    print(f"index build: median (and best) of {BUILDS} builds")
    print(f"{'entries':>8}{'build s':>9}{'best s':>8}{'RSS +MB':>9}{'p50 ms':>8}{'p99 ms':>8}"
          f"{'mean ms':>9}{'p99 worst pass':>16}")
    results = []
    for size in args.sizes:
        r = measure(synthetic(base, size), qs)
        results.append(r)
        print(f"{r['entries']:>8}{r['build_s']:>9.2f}{r['build_min_s']:>8.2f}"
              f"{r['rss_growth_mb']:>9.0f}{r['p50_ms']:>8.2f}{r['p99_ms']:>8.2f}{r['mean_ms']:>9.2f}"
              f"{r['p99_worst_pass_ms']:>16.2f}")
    if len(results) >= 2:
        a, b = results[-2], results[-1]
        print(f"from {a['entries']} to {b['entries']} entries ({b['entries'] / a['entries']:.0f}x):"
              f" mean latency x{b['mean_ms'] / a['mean_ms']:.2f}, p99 x"
              f"{b['p99_ms'] / a['p99_ms']:.2f}")


if __name__ == "__main__":
    main()
