"""Real scale: the whole national catalog (../shared/dvc, 5,670 procedures) imported
with motcua import-dvc next to our knowledge, as a province would run it. Formal
catalog titles then compete with our entries for every eval question.

Reports, with and without the catalog: top-1, confident-wrong and out-of-scope
rejection on tests/data/eval.tsv; index build time and per-question latency (median of
5 passes per question, see bench/timing.py).

    python bench/catalog_scale.py
"""

import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from accuracy import load_eval  # noqa: E402
from bot import knowledge as kb  # noqa: E402
from bot.dvc import curated_codes_in, import_dvc  # noqa: E402
from bot.matcher import Matcher  # noqa: E402
from machine import describe  # noqa: E402
from timing import PASSES, latencies  # noqa: E402

DVC = ROOT.parent / "shared" / "dvc"


def run(knowledge, rows) -> dict[str, float]:
    start = time.perf_counter()
    matcher = Matcher(knowledge)
    build = time.perf_counter() - start
    n = top1 = wrong = oos = rejected = 0
    for expected, _, _, question in rows:
        match = matcher.uncached(question)
        first = match.hits[0].entry.id if match.hits else None
        if expected == "-":
            oos += 1
            rejected += match.status == "unknown"
        else:
            n += 1
            top1 += first == expected
            wrong += match.status == "answer" and first != expected
    return {"entries": len(knowledge.entries), "build_s": build, "top1": 100 * top1 / n,
            "confident_wrong": 100 * wrong / n, "rejected": 100 * rejected / oos,
            **latencies(matcher.uncached, [row[3] for row in rows])}


def main() -> None:
    if not (DVC / "catalog.jsonl").is_file():
        raise SystemExit(f"no national catalog at {DVC}")
    rows = load_eval()
    alone = run(kb.load(), rows)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "knowledge"
        shutil.copytree(kb.default_dir(), root)
        start = time.perf_counter()
        report = import_dvc(DVC, root / "imported", curated_codes_in(kb.load(root)))
        imported_s = time.perf_counter() - start
        start = time.perf_counter()
        knowledge = kb.load(root)
        load_s = time.perf_counter() - start
        both = run(knowledge, rows)
    print(f"machine: {describe()}")
    print(f"latency: each question's median over {PASSES} uncached passes")
    print(f"import-dvc: {report.summary()} in {imported_s:.1f} s; loading the YAML "
          f"{load_s:.1f} s; {len(knowledge.errors)} errors")
    print(f"{'knowledge':<24}{'entries':>8}{'build s':>9}{'top-1':>8}{'c-wrong':>9}"
          f"{'rejected':>9}{'p50 ms':>8}{'p99 ms':>8}{'p99 worst pass':>16}")
    for label, r in (("bundled", alone), ("bundled + catalog", both)):
        print(f"{label:<24}{r['entries']:>8}{r['build_s']:>9.2f}{r['top1']:>7.1f}%"
              f"{r['confident_wrong']:>8.1f}%{r['rejected']:>8.1f}%{r['p50_ms']:>8.2f}"
              f"{r['p99_ms']:>8.2f}{r['p99_worst_pass_ms']:>16.2f}")
    print(f"change with the catalog: top-1 {both['top1'] - alone['top1']:+.1f} points, "
          f"rejection {both['rejected'] - alone['rejected']:+.1f} points")


if __name__ == "__main__":
    main()
