"""Dump every development question's match, to check that a speed change changes nothing.

For each question of the development sets (tests/data/eval.tsv, eval_holdout.tsv,
eval_holdout2.tsv, oos_dev.tsv, answers_dev.tsv) one line: status, aspect, reason, hit
ids with scores (4 decimals) and the answer item's key, score and probability, matched
once on the bundled knowledge and once on the 10,000-entry index of bench/scale.py.
Compare two dumps with ``diff``; optimisations must leave it identical.

    python bench/match_dump.py OUT.txt [--sizes 0 10000]
"""

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bot import knowledge as kb  # noqa: E402
from bot.matcher import Matcher  # noqa: E402
from scale import synthetic  # noqa: E402

SETS = ("eval.tsv", "eval_holdout.tsv", "eval_holdout2.tsv", "oos_dev.tsv", "answers_dev.tsv")


def questions() -> list[str]:
    out = []
    for name in SETS:
        lines = (ROOT / "tests" / "data" / name).read_text(encoding="utf-8").splitlines()
        column = lines[0].split("\t").index("question")
        out += [r.split("\t")[column] for r in lines[1:] if r.count("\t") >= column]
    return out


def line(m) -> str:
    hits = " ".join(f"{h.entry.id}:{h.score:.4f}" for h in m.hits)
    item = (f"{m.answer.answer.key}:{m.answer.score:.4f}:{m.answer.probability}"
            if m.answer is not None else "-")
    parts = ",".join(getattr(m, "parts", ()))  # the parts asked, where the match has them
    return f"{m.status}\t{m.aspect}\t{m.reason}\t{hits}\t{item}\t{parts}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--sizes", type=int, nargs="+", default=[0, 10000],
                        help="0: the bundled knowledge alone")
    args = parser.parse_args()
    base = kb.load()
    qs = questions()
    with open(args.out, "w", encoding="utf-8") as out:
        for size in args.sizes:
            matcher = Matcher(base if size == 0 else synthetic(base, size))
            for q in qs:
                out.write(f"{size}\t{q}\t{line(matcher.match(q))}\n")
    print(f"{len(qs)} questions x {len(args.sizes)} indexes -> {args.out}")


if __name__ == "__main__":
    main()
