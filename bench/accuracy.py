"""Accuracy of the matcher on tests/data/eval.tsv, overall and per writing style.

top-1 / top-3: the expected entry is first / among the first three hits (in-scope).
answered-right: status "answer" with the expected entry first.
confident-wrong: status "answer" with another entry first (the worst failure).
rejected: out-of-scope questions that came back "unknown".
"""

import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot import knowledge as kb  # noqa: E402
from bot.matcher import Matcher  # noqa: E402
from machine import describe  # noqa: E402

EVAL = Path(__file__).resolve().parent.parent / "tests" / "data" / "eval.tsv"


def load_eval(path: Path = EVAL) -> list[tuple[str, str, str, str]]:
    rows = path.read_text(encoding="utf-8").splitlines()[1:]
    return [tuple(r.split("\t", 3)) for r in rows if r.strip()]


def evaluate(matcher: Matcher, rows):
    stats: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    misses = []
    for expected, aspect, style, question in rows:
        match = matcher.match(question)
        ids = [h.entry.id for h in match.hits]
        for key in (style, "ALL"):
            s = stats[key]
            if expected == "-":
                s["oos"] += 1
                s["rejected"] += match.status == "unknown"
                continue
            s["n"] += 1
            s["top1"] += ids[:1] == [expected]
            s["top3"] += expected in ids[:3]
            s["answered_right"] += match.status == "answer" and ids[:1] == [expected]
            s["confident_wrong"] += match.status == "answer" and ids[:1] != [expected]
            if aspect != "-":
                s["aspects"] += 1
                s["aspect_ok"] += match.aspect == aspect
        wrong = ids[:1] != [expected] if expected != "-" else match.status != "unknown"
        if wrong:
            misses.append((style, expected, match.status, ids[:1], question))
    return stats, misses


def pct(a: int, b: int) -> str:
    return f"{100 * a / b:5.1f}%" if b else "   - "


def main() -> None:
    knowledge = kb.load()
    matcher = Matcher(knowledge)
    rows = load_eval()
    stats, misses = evaluate(matcher, rows)
    print(f"machine: {describe()}")
    print(f"knowledge: {len(knowledge.entries)} entries; eval: {len(rows)} questions")
    print(f"{'style':<11}{'n':>5}{'top-1':>8}{'top-3':>8}{'answer':>8}{'conf-wrong':>11}"
          f"{'aspect':>8}{'oos':>5}{'rejected':>10}")
    for style in sorted(stats, key=lambda s: (s == "ALL", s)):
        s = stats[style]
        print(f"{style:<11}{s['n']:>5}{pct(s['top1'], s['n']):>8}{pct(s['top3'], s['n']):>8}"
              f"{pct(s['answered_right'], s['n']):>8}{pct(s['confident_wrong'], s['n']):>11}"
              f"{pct(s['aspect_ok'], s['aspects']):>8}{s['oos']:>5}"
              f"{pct(s['rejected'], s['oos']):>10}")
    if "-v" in sys.argv:
        for miss in misses:
            print("MISS", *miss, sep="\t")


if __name__ == "__main__":
    main()
