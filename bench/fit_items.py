"""Fit the answer-item model (``bot/matcher/items.py``) and report it cross-validated.

For each question of the development sets of specific questions
(``tests/data/answers_dev.tsv``; ``--sets`` names others), every item serving one of the
first entries found is a candidate with the features of ``items.FEATURES``; a candidate
is right when its answer states the facts the question needs (``answers.states``). The
general questions of ``tests/data/eval.tsv`` add candidates that are wrong (another
entry's item; every item of an out-of-scope question). A logistic regression (L2,
gradient descent on standardised features, no dependency beyond numpy) is fitted; the
threshold is the one that, cross-validated over 5 folds (seed 7), makes the most
questions end right: a right item chosen, or no item when no candidate is right (the
card then answers). ``hint_p``, the probability from which a sure item turns an unknown
into a suggestion, is chosen on the same held-out probabilities (``promotion``). The
held-out figures are printed; the fit on all rows is written to
``bot/matcher/item_model.json`` (``--write``).

    python bench/fit_items.py            # cross-validated figures only
    python bench/fit_items.py --write    # and write the model fitted on every row
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from answers import SETS, read, states  # noqa: E402

from bot import knowledge as kb  # noqa: E402
from bot.matcher import Matcher, decide  # noqa: E402
from bot.matcher.items import FEATURES, MODEL_FILE, ItemRanker  # noqa: E402
from bot.matcher.model import LogisticModel  # noqa: E402
from fitting import fit_logistic, write_model  # noqa: E402

GENERAL = ROOT / "tests" / "data" / "eval.tsv"
SEED, FOLDS = 7, 5
# the sets of specific questions learnt from by default (--sets dev,blind,blind2 adds the
# two written blind in sessions 6 and 7, consumed since)
TRAIN = ("dev",)
THRESHOLDS = [round(0.1 + 0.05 * i, 2) for i in range(13)]  # 0.10 … 0.70


def dataset(rows, knowledge, matcher):
    """Per question: candidate keys, feature matrix, labels (1 right, 0 wrong, -1 not
    known: not learnt from), and how the entry model left it (``Read``). A specific
    question's candidate is right when its answer states the facts and it serves an
    expected entry."""
    out = []
    for row in rows:
        cands, status = candidates(matcher, row.question)
        keys = [c.item.answer.key for c in cands]
        x = np.array([c.row for c in cands]) if cands else np.zeros((0, len(FEATURES)))
        y = np.array([float(states(knowledge.answers[k].text, row.facts)
                            and serves(knowledge, c, row.ids)) for k, c in zip(keys, cands)])
        out.append((keys, x, y, Read(status, [c.item.sure for c in cands], False)))
    return out


def general(path: Path, knowledge, matcher):
    """The entry-matching set's questions (``tests/data/eval.tsv``: the entry and part
    asked, mostly not a specific question): an item serving another entry than the
    expected one is wrong; the expected entry's items are not known either way. Every
    item is wrong for an out-of-scope question (id "-")."""
    out = []
    with path.open(encoding="utf-8") as f:
        for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            if not r.get("question"):
                continue
            ids = [] if r["id"] == "-" else r["id"].split("|")
            cands, status = candidates(matcher, r["question"])
            x = np.array([c.row for c in cands]) if cands else np.zeros((0, len(FEATURES)))
            y = np.array([-1.0 if serves(knowledge, c, ids) else 0.0 for c in cands])
            out.append(([c.item.answer.key for c in cands], x, y,
                        Read(status, [c.item.sure for c in cands], not ids)))
    return out


@dataclass
class Read:
    status: str  # the entry model's decision, before any item has its say
    sure: list[bool]  # per candidate: its phrase score rests on the question's own words
    out_of_scope: bool


def candidates(matcher, question: str):
    """The item candidates of a question as the matcher weighs them, and the entry
    model's decision before the item has its say."""
    terms, aspect = matcher.read(question)
    read = matcher.scored(question)
    if not read.entries:
        return [], "unknown"
    hits, status = matcher._ranked(read)
    if read.off:
        return [], status
    chosen = hits[:1] if status == "answer" else hits  # sure of the entry: its items only
    return matcher.items.candidates(terms, aspect, read.parts, chosen), status


def serves(knowledge, cand, ids) -> bool:
    """Does the candidate serve one of the expected entries?"""
    answer = cand.item.answer
    return answer.entry_id in ids or any(i in answer.applies_to for i in ids)


def fit(data) -> LogisticModel:
    x = np.vstack([d[1] for d in data if len(d[0])])
    y = np.concatenate([d[2] for d in data if len(d[0])])
    return fit_logistic(x, y)


def ends_right(d, model: LogisticModel, threshold: float) -> bool:
    keys, x, y = d[:3]
    if not keys:
        return True
    p = [model.probability(list(r)) for r in x]
    i = int(np.argmax(p))
    if p[i] < threshold:
        return not (y > 0).any()  # no item: the card answers
    return bool(y[i] != 0)  # a right item, or (general questions) one of the right entry


PROMOTIONS = [round(0.4 + 0.05 * i, 2) for i in range(12)]  # 0.40 … 0.95
NEVER = 1.01  # a promotion threshold no probability reaches
PRECISION = 0.9  # share of right ones among the questions a promotion threshold raises
# how far below a promotion threshold every out-of-scope question of the general set
# must stay: other out-of-scope questions come closer (eval.tsv holds about 80)
OOS_MARGIN = 0.1


def promotion(data, probs, threshold: float, status: str, what: str) -> float:
    """The probability from which a sure item raises a question the entry model left at
    ``status`` one step (``core.Matcher._answered``), chosen on the held-out
    probabilities: the lowest that every out-of-scope question stays OOS_MARGIN below
    and at which at least PRECISION of the raised ones end right (the right item; for a general question, an
    item of the expected entry)."""
    rows = []  # (p, right, out of scope) of each question such an item would raise
    for i, (keys, x, y, read_) in enumerate(data):
        if not keys or read_.status != status:
            continue
        j = int(np.argmax(probs[i]))
        if probs[i][j] >= threshold and read_.sure[j]:
            rows.append((probs[i][j], y[j] != 0, read_.out_of_scope))
    print(f"{what}, from probability (raised: right / wrong / out of scope):")
    chosen = NEVER
    for t in reversed(PROMOTIONS):
        up = [r for r in rows if r[0] >= t]
        right, oos = sum(r[1] for r in up), sum(r[2] for r in up)
        print(f"  {t:.2f}  {right} / {len(up) - right - oos} / {oos}")
        near = sum(r[2] for r in rows if r[0] >= t - OOS_MARGIN)
        if near or (up and right < PRECISION * len(up)):
            break
        chosen = t
    print(f"  chosen {chosen:.2f}")
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="write bot/matcher/item_model.json")
    parser.add_argument("--sets", default=",".join(TRAIN),
                        help="the sets of specific questions learnt from (bench/answers.py SETS)")
    args = parser.parse_args()
    from machine import describe

    print(describe())
    knowledge = kb.load()
    # the candidates' features do not depend on the model: a blank one, so that a
    # model file fitted for other features does not stop its own refit
    n = len(FEATURES)
    matcher = Matcher(knowledge, item_model=LogisticModel(
        (0.0,) * n, (1.0,) * n, (0.0,) * n, 0.0, {"threshold": 0.5, "hint_p": 0.5}))
    names = args.sets.split(",")
    specific = [d for name in names for d in dataset(read(SETS[name]), knowledge, matcher)]
    data = specific + general(GENERAL, knowledge, matcher)
    order = list(range(len(data)))
    random.Random(SEED).shuffle(order)
    folds = [order[i::FOLDS] for i in range(FOLDS)]
    held: dict[float, list[bool]] = {t: [] for t in THRESHOLDS}
    idx: list[int] = []
    probs: dict[int, list[float]] = {}  # held-out probabilities of each question's candidates
    for fold in folds:
        idx += fold
        test = set(fold)
        model = fit([d for i, d in enumerate(data) if i not in test])
        for i in fold:
            probs[i] = [model.probability(list(r)) for r in data[i][1]]
        for t in THRESHOLDS:
            held[t] += [ends_right(data[i], model, t) for i in fold]
    print(f"{len(data)} questions, {sum(len(d[0]) for d in data)} candidates, "
          f"{sum(bool((d[2] > 0).any()) for d in data)} with a right candidate")
    n = len(specific)
    print("held-out share of questions ending right, by threshold "
          "(specific questions | general ones):")
    for t in THRESHOLDS:
        print(f"  {t:.2f}  {np.mean([ok for ok, i in zip(held[t], idx) if i < n]):.1%}"
              f" | {np.mean([ok for ok, i in zip(held[t], idx) if i >= n]):.1%}")
    score = {t: np.mean([ok for ok, i in zip(held[t], idx) if i < n]) +
             np.mean([ok for ok, i in zip(held[t], idx) if i >= n]) for t in THRESHOLDS}
    threshold = max(THRESHOLDS, key=lambda t: (score[t], -abs(t - 0.5)))
    print(f"chosen threshold {threshold:.2f}")
    hint_p = promotion(data, probs, threshold, "unknown", "an unknown offered as a suggestion")
    model = fit(data)
    print("weights:", ", ".join(f"{n} {w:+.2f}" for n, w in zip(FEATURES, model.weights)))
    if args.write:
        write_model(MODEL_FILE, model, FEATURES, fitted_by="bench/fit_items.py",
                    sets=[str(SETS[n].relative_to(ROOT)) for n in names], seed=SEED, folds=FOLDS,
                    threshold=threshold, hint_p=hint_p)
        print(f"wrote {MODEL_FILE.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
