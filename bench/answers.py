"""Does the reply state the fact that was asked? Scored on sets of specific questions.

Each row of ``tests/data/answers_*.tsv`` (id, style, question, facts, source) was
written by a helper who had not seen the knowledge: the question as a citizen types
it, and the key phrases a correct reply must contain. ``facts`` holds groups joined by
" && " (all needed), each a list of alternatives joined by " | " (any one). Phrases are
compared folded (no case, no diacritics), digits with their thousands dots and commas
removed ("8.000 đồng" = "8000 dong").

The reply is the real one: the question goes through a fresh ``Conversation`` on a
throwaway SQLite file, as a citizen's first message on the terminal channel, and every
reply it returns is read as that channel would show it.

    python bench/answers.py                    # tests/data/answers_dev.tsv
    python bench/answers.py --set blind        # the untouched set: the figure only
    python bench/answers.py --misses 30        # the first misses, to read (any set)
    python bench/answers.py --set blind --first 20   # its first 20 rows: the hard twenty
    python bench/answers.py --set blind2       # a second blind set (session 7)
    python bench/answers.py --set dev2         # written blind in session 8
    python bench/answers.py --set blind3       # a third blind set (session 8)
    python bench/answers.py --set blind4       # a fourth (session 9)
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot import knowledge as kb  # noqa: E402
from bot.matcher import Matcher  # noqa: E402
from bot.storage import Storage  # noqa: E402
from bot.text import fold  # noqa: E402

SETS = {"dev": ROOT / "tests" / "data" / "answers_dev.tsv",
        "blind": ROOT / "tests" / "data" / "answers_blind.tsv",
        # written blind in session 7 (first 20 rows: its hard twenty); report only
        "blind2": ROOT / "tests" / "data" / "answers_blind2.tsv",
        # written blind in session 8; measured once before use, then development
        "dev2": ROOT / "tests" / "data" / "answers_dev2.tsv",
        # written blind in session 8 (first 20 rows: its hard twenty); run once, report
        "blind3": ROOT / "tests" / "data" / "answers_blind3.tsv",
        "blind4": ROOT / "tests" / "data" / "answers_blind4.tsv"}
_THOUSANDS = re.compile(r"(?<=\d)[.,](?=\d{3}\b)")


def normal(text: str) -> str:
    """Folded text with thousands separators dropped and spaces squeezed."""
    return " ".join(fold(_THOUSANDS.sub("", text)).split())


def states(reply: str, facts: str) -> bool:
    """Does the reply contain every group of the facts (one alternative of each)?"""
    text = normal(reply)
    groups = [[normal(a) for a in group.split(" | ") if a.strip()]
              for group in facts.split(" && ")]
    return all(any(alt in text for alt in group) for group in groups if group)


@dataclass
class Row:
    ids: list[str]
    style: str
    question: str
    facts: str


def read(path: Path) -> list[Row]:
    with path.open(encoding="utf-8") as f:
        return [Row(r["id"].split("|"), r["style"], r["question"], r["facts"])
                for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
                if r.get("question") and r.get("facts")]


@dataclass
class Result:
    row: Row
    reply: str
    stated: bool
    item: str | None  # the answer item the reply led with
    top3: bool  # an expected entry among the first three hits


def evaluate(rows: list[Row], knowledge=None, matcher=None) -> list[Result]:
    from handlers.conversation import Conversation
    from handlers.types import Message

    knowledge = knowledge or kb.load()
    matcher = matcher or Matcher(knowledge)
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        conv = Conversation(knowledge, Storage(Path(tmp) / "eval.db"), matcher)
        conv.config.flood_per_minute = 10 ** 9
        for n, row in enumerate(rows):
            replies = conv.handle(Message("terminal", f"eval-{n}", row.question))
            reply = "\n\n".join(r.as_text() for r in replies)
            match = matcher.match(row.question)
            hits = [h.entry.id for h in match.hits[:3]]
            out.append(Result(row, reply, states(reply, row.facts),
                              match.answer.answer.key if match.answer else None,
                              any(i in hits for i in row.ids)))
    return out


def summary(results: list[Result]) -> dict[str, float]:
    n = max(len(results), 1)
    return {"rows": len(results),
            "stated": sum(r.stated for r in results) / n,
            "led_by_item": sum(r.item is not None for r in results) / n,
            "stated_when_item": sum(r.stated for r in results if r.item) /
            max(1, sum(r.item is not None for r in results)),
            "top3": sum(r.top3 for r in results) / n}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=SETS, default="dev")
    parser.add_argument("--misses", type=int, default=0, help="print the first N misses")
    parser.add_argument("--first", type=int, default=0,
                        help="score only the first N rows (the blind set's 'hard twenty')")
    parser.add_argument("--dump", type=Path, help="write one line per row (stated, item, "
                        "question) to this file, to compare two runs")
    args = parser.parse_args()
    from machine import describe

    print(describe())
    rows = read(SETS[args.set])
    results = evaluate(rows[:args.first] if args.first else rows)
    s = summary(results)
    print(f"{args.set}: {s['rows']} questions; reply states the fact {s['stated']:.1%}; "
          f"led by an answer item {s['led_by_item']:.1%} (states the fact "
          f"{s['stated_when_item']:.1%} of those); expected entry in top 3 {s['top3']:.1%}")
    styles: dict[str, list[bool]] = defaultdict(list)
    for r in results:
        styles[r.row.style].append(r.stated)
    for style, oks in sorted(styles.items()):
        print(f"  {style:<11} {sum(oks) / len(oks):6.1%}  ({len(oks)})")
    if args.dump:
        args.dump.write_text("".join(f"{int(r.stated)}\t{r.item}\t{r.row.style}\t{r.row.question}\n"
                                     for r in results), encoding="utf-8")
    if args.misses:
        for r in [r for r in results if not r.stated][:args.misses]:
            print(f"\n--- {r.row.ids} {r.row.question}\n  facts: {r.row.facts}\n"
                  f"  item: {r.item}  top3: {r.top3}\n  " + r.reply[:600].replace("\n", "\n  "))


if __name__ == "__main__":
    main()
