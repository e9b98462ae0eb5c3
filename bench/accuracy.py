"""Accuracy of the matcher on tests/data/eval.tsv, overall and per writing style,
side by side with simple baselines run on the same knowledge and questions.

top-1 / top-3: the expected entry is first / among the first three hits (in-scope).
answered-right: status "answer" with the expected entry first.
confident-wrong: status "answer" with another entry first (the worst failure).
aspect: of questions about a procedure that ask for one part of it (fee, documents…),
the share whose part was recognised.
rejected: out-of-scope questions that came back "unknown".

Baselines (bench-only; ``pip install -r bench/requirements.txt`` for the BM25 ones):

- rapidfuzz: ``fuzz.WRatio`` of the raw question against every entry text (title,
  aliases, questions), best text per entry; rapidfuzz 3's default processor (none: case and
  punctuation count); the figures with ``utils.default_process`` are noted.
- bm25: BM25 (``bm25s``, Lucene variant, k1=1.5, b=0.75) over lower-cased whitespace
  tokens, nothing else.
- bm25+norm: the same BM25 on our analyser's output: folded syllables after synonym
  rewriting, stop words dropped (``Analyzer.analyze``; no typo repair).

A baseline has no "suggest" band: it answers when its top score reaches one threshold
and says unknown below it. That threshold is chosen on this very eval set to maximise
decided-right = in-scope answered right + out-of-scope rejected (counts over all
questions), which is the most favourable setting a baseline can get. For BM25 the
document layout (one per entry, or one per text max-pooled per entry) and the score
the threshold applies to (raw, or normalised by the question's self-score) are picked
the same way; the output says which won.
"""

from __future__ import annotations

import math
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rapidfuzz import fuzz, process, utils  # noqa: E402

from bot import knowledge as kb  # noqa: E402
from bot.matcher import Analyzer, Matcher  # noqa: E402
from bot.text import fold  # noqa: E402
from machine import describe  # noqa: E402

try:
    import bm25s
    import numpy as np
except ImportError:  # bench-only dependency
    bm25s = None

EVAL = Path(__file__).resolve().parent.parent / "tests" / "data" / "eval.tsv"

Ranked = list[tuple[str, float]]  # (entry id, score), best first, one per entry


@dataclass
class Baseline:
    stats: dict
    note: str
    ranked: list[Ranked]  # per eval row
    confidence: list[float]  # per eval row: what the threshold applies to


def right(expected: str, ids: list) -> bool:
    """Is one of ``ids`` the entry expected? A bare topic ("bảo hiểm") names several,
    "the-bhyt|bhxh-mot-lan|…", any of which is right (as bench/fit_entries.py reads it)."""
    return any(i in expected.split("|") for i in ids)


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
            first = right(expected, ids[:1])
            s["top1"] += first
            s["top3"] += right(expected, ids[:3])
            s["answered_right"] += match.status == "answer" and first
            s["confident_wrong"] += match.status == "answer" and not first
            # only procedures have parts to lead with (contacts and guides are one card)
            entry = matcher.knowledge.entries.get(expected)
            if aspect != "-" and entry is not None and entry.kind == "procedure":
                s["aspects"] += 1
                s["aspect_ok"] += match.aspect == aspect
        wrong = not right(expected, ids[:1]) if expected != "-" else match.status != "unknown"
        if wrong:
            misses.append((style, expected, match.status, ids[:1], question))
    return stats, misses


# --- baselines ------------------------------------------------------------------


def _texts(knowledge) -> tuple[list[str], list[str]]:
    """Every entry text (title, aliases, questions) and the id of its entry."""
    texts, owners = [], []
    for entry in knowledge.entries.values():
        for text in entry.texts:
            texts.append(text)
            owners.append(entry.id)
    return texts, owners


def rapidfuzz_ranker(knowledge, processor=None) -> Callable[[str], Ranked]:
    texts, owners = _texts(knowledge)

    def rank(question: str) -> Ranked:
        # All texts, best first (the first one is what extractOne returns); the
        # entry's score is that of its best text.
        best: dict[str, float] = {}
        for _, score, i in process.extract(question, texts, scorer=fuzz.WRatio,
                                           processor=processor, limit=None):
            best.setdefault(owners[i], score)
        return list(best.items())

    return rank


class BM25:
    """bm25s over one document per entry (texts concatenated) or one per text
    (scores max-pooled per entry)."""

    K1, B = 1.5, 0.75

    def __init__(self, knowledge, tokenize: Callable[[str], list[str]], per_text: bool):
        self.tokenize = tokenize
        self.ids = list(knowledge.entries)
        docs: list[list[str]] = []
        owner: list[int] = []
        for e, entry in enumerate(knowledge.entries.values()):
            toks = [tokenize(t) for t in entry.texts]
            if per_text:
                docs.extend(toks)
                owner.extend([e] * len(toks))
            else:
                docs.append([w for t in toks for w in t])
                owner.append(e)
        self.owner = np.asarray(owner)
        self.model = bm25s.BM25(k1=self.K1, b=self.B, method="lucene")
        self.model.index(docs, show_progress=False)
        indptr = self.model.scores["indptr"]
        self.df = {t: int(indptr[i + 1] - indptr[i]) for t, i in self.model.vocab_dict.items()
                   if i < len(indptr) - 1}
        self.n_docs = len(docs)
        self.avgdl = sum(map(len, docs)) / max(len(docs), 1)

    def _idf(self, df: int) -> float:  # bm25s' Lucene idf
        return math.log(1 + (self.n_docs - df + 0.5) / (df + 0.5))

    def self_score(self, toks: list[str]) -> float:
        """The score the question would get from a document that is exactly the
        question: each of its tokens at the index's idf (df 0 for a token the
        knowledge never uses), length |question|."""
        norm = self.K1 * (1 - self.B + self.B * len(toks) / self.avgdl)
        counts = {t: toks.count(t) for t in toks}
        return sum(self._idf(self.df.get(t, 0)) * tf / (tf + norm) for t in toks
                   for tf in (counts[t],))

    def rank(self, question: str) -> tuple[Ranked, float]:
        """Entries best first with raw scores, and the question's self-score."""
        toks = self.tokenize(question)
        token_ids = self.model.get_tokens_ids(toks)
        if token_ids:
            scores = self.model.get_scores_from_ids(token_ids)
        else:
            scores = np.zeros(self.n_docs, dtype="float32")
        per_entry = np.zeros(len(self.ids), dtype="float64")
        np.maximum.at(per_entry, self.owner, scores)
        order = np.argsort(-per_entry, kind="stable")
        return [(self.ids[i], float(per_entry[i])) for i in order], self.self_score(toks)


def pick_threshold(rows, tops: list[tuple[str | None, float]]) -> tuple[float, int]:
    """The threshold on the top score that maximises in-scope answered right +
    out-of-scope rejected (ties: the higher threshold, fewer confident answers)."""
    candidates = sorted({score for _, score in tops} | {math.inf})
    best = (-1, 0.0)
    for thr in candidates:
        right_ = sum(score >= thr if expected != "-" and right(expected, [top]) else
                    score < thr if expected == "-" else False
                    for (expected, _, _, _), (top, score) in zip(rows, tops))
        if right_ >= best[0]:
            best = (right_, thr)
    return best[1], best[0]


def baseline_stats(rows, ranked: list[Ranked], confidence: list[float], thr: float):
    stats: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for (expected, _, style, _), hits, conf in zip(rows, ranked, confidence):
        ids = [i for i, _ in hits]
        answered = conf >= thr and bool(hits) and hits[0][1] > 0
        for key in (style, "ALL"):
            s = stats[key]
            if expected == "-":
                s["oos"] += 1
                s["rejected"] += not answered
                continue
            s["n"] += 1
            first = right(expected, ids[:1])
            s["top1"] += first
            s["top3"] += right(expected, ids[:3])
            s["answered_right"] += answered and first
            s["confident_wrong"] += answered and not first
    return stats


def decided_right(stats) -> int:
    s = stats["ALL"]
    return s["answered_right"] + s["rejected"]


def _fit(rows, ranked: list[Ranked], conf: list[float]) -> tuple[float, int, dict]:
    thr, right = pick_threshold(rows, [(h[0][0] if h else None, c) for h, c in zip(ranked, conf)])
    return thr, right, baseline_stats(rows, ranked, conf, thr)


def run_rapidfuzz(knowledge, rows) -> Baseline:
    """rapidfuzz's default (no processor: case and punctuation count); the variant
    with ``utils.default_process`` (lower case, punctuation dropped) is noted."""
    runs = {}
    for name, processor in (("none", None), ("default_process", utils.default_process)):
        rank = rapidfuzz_ranker(knowledge, processor)
        ranked = [rank(q) for *_, q in rows]
        conf = [hits[0][1] if hits else 0.0 for hits in ranked]
        runs[name] = (ranked, conf, *_fit(rows, ranked, conf))
    ranked, conf, thr, _, stats = runs["none"]
    other = runs["default_process"][4]["ALL"]
    note = (f"WRatio over {sum(len(e.texts) for e in knowledge.entries.values())} raw texts, "
            f"processor=None (rapidfuzz 3 default); unknown when best score < {thr:.1f} "
            f"(best on this set). With processor=utils.default_process: top-1 "
            f"{num(other['top1'], other['n'])}, decided right {decided_right(runs['default_process'][4])}")
    return Baseline(stats, note, ranked, conf)


def run_bm25(knowledge, rows, tokenize) -> Baseline:
    """Tries both document layouts and both confidence scores; keeps the best."""
    results = []
    for per_text in (False, True):
        model = BM25(knowledge, tokenize, per_text)
        out = [model.rank(q) for *_, q in rows]
        ranked = [hits for hits, _ in out]
        for normalised in (False, True):
            conf = [(hits[0][1] / selfs if selfs else 0.0) if normalised else hits[0][1]
                    for hits, selfs in out]
            thr, right, stats = _fit(rows, ranked, conf)
            results.append((right, stats["ALL"]["top1"], per_text, normalised, thr, stats,
                            ranked, conf))
    right, _, per_text, normalised, thr, stats, ranked, conf = max(
        results, key=lambda r: (r[0], r[1]))
    layout = {False: "one doc per entry", True: "one doc per text, max per entry"}
    top1 = {p: max(r[1] for r in results if r[2] == p) for p in (False, True)}
    n = stats["ALL"]["n"]
    other = next(r for r in results if r[2] == per_text and r[3] != normalised)
    note = (f"{layout[per_text]} (top-1 {num(top1[per_text], n)}; {layout[not per_text]}: "
            f"{num(top1[not per_text], n)}); unknown when "
            f"{'score / self-score' if normalised else 'raw score'} < {thr:.3g} (best on this "
            f"set; decided right {right}, vs {other[0]} on the "
            f"{'raw score' if normalised else 'score / self-score'})")
    return Baseline(stats, note, ranked, conf)


def at_error_rate(rows, result: Baseline, limit: int) -> dict:
    """The baseline's stats at its lowest threshold with at most ``limit`` confident
    wrong answers overall: how much it answers right when as careful as ours."""
    for thr in sorted(set(result.confidence) | {math.inf}):
        stats = baseline_stats(rows, result.ranked, result.confidence, thr)
        if stats["ALL"]["confident_wrong"] <= limit:
            return stats
    return stats


def _bm25_plain(text: str) -> list[str]:
    return text.lower().split()


def _bm25_normalised(knowledge) -> Callable[[str], list[str]]:
    analyzer = Analyzer(knowledge)

    def tokenize(text: str) -> list[str]:
        toks, _ = analyzer.analyze(fold(text))
        return [t.plain for t in toks if not t.stop]

    return tokenize


# --- report ---------------------------------------------------------------------


def pct(a: int, b: int) -> str:
    return f"{100 * a / b:5.1f}%" if b else "   - "


def num(a: int, b: int) -> str:
    return f"{100 * a / b:.1f}" if b else "-"


def side_by_side(systems: dict[str, dict], styles: list[str], cols: list[tuple[str, str, str]]):
    width = 7 * len(cols)
    print(f"{'':<21}" + "".join(f" |{name:^{width}}" for name in systems))
    print(f"{'style':<11}{'n':>5}{'oos':>5}"
          + "".join(" |" + "".join(f"{head:>7}" for head, _, _ in cols) for _ in systems))
    for style in styles:
        first = next(iter(systems.values()))[style]
        line = f"{style:<11}{first['n']:>5}{first['oos']:>5}"
        for stats in systems.values():
            s = stats[style]
            line += " |" + "".join(f"{num(s[key], s[base]):>7}" for _, key, base in cols)
        print(line)


def main() -> None:
    started = time.perf_counter()
    knowledge = kb.load()
    matcher = Matcher(knowledge)
    path = Path(sys.argv[sys.argv.index("--eval") + 1]) if "--eval" in sys.argv else EVAL
    rows = load_eval(path)
    stats, misses = evaluate(matcher, rows)
    print(f"machine: {describe()}")
    print(f"knowledge: {len(knowledge.entries)} entries; eval: {len(rows)} questions "
          f"({path.name})")
    print(f"{'style':<11}{'n':>5}{'top-1':>8}{'top-3':>8}{'answer':>8}{'conf-wrong':>11}"
          f"{'aspect':>8}{'oos':>5}{'rejected':>10}")
    styles = sorted(stats, key=lambda s: (s == "ALL", s))
    for style in styles:
        s = stats[style]
        print(f"{style:<11}{s['n']:>5}{pct(s['top1'], s['n']):>8}{pct(s['top3'], s['n']):>8}"
              f"{pct(s['answered_right'], s['n']):>8}{pct(s['confident_wrong'], s['n']):>11}"
              f"{pct(s['aspect_ok'], s['aspects']):>8}{s['oos']:>5}"
              f"{pct(s['rejected'], s['oos']):>10}")

    systems: dict[str, dict] = {"ours": stats}
    results: dict[str, Baseline] = {"rapidfuzz": run_rapidfuzz(knowledge, rows)}
    if bm25s is None:
        print("bm25s not installed: pip install -r bench/requirements.txt")
    else:
        results["bm25"] = run_bm25(knowledge, rows, _bm25_plain)
        results["bm25+norm"] = run_bm25(knowledge, rows, _bm25_normalised(knowledge))
    systems.update((name, r.stats) for name, r in results.items())

    print()
    print("side by side, same knowledge and questions, in % (cwrong = answered with the "
          "wrong entry, of in-scope; rej = out-of-scope rejected)")
    side_by_side(systems, styles, [("top-1", "top1", "n"), ("cwrong", "confident_wrong", "n"),
                                   ("rej", "rejected", "oos")])
    print()
    side_by_side(systems, styles, [("top-3", "top3", "n"), ("answer", "answered_right", "n")])
    a = stats["ALL"]
    print()
    print(f"decided right (in-scope answered right + out-of-scope rejected, of "
          f"{a['n'] + a['oos']}): " + ", ".join(f"{name} {decided_right(s)}"
                                                for name, s in systems.items())
          + "; ours also has a 'suggest' band (top 3 offered), counted as neither")
    print("baselines answer iff their top score >= one threshold, tuned on this set:")
    for name, result in results.items():
        print(f"  {name}: {result.note}")
    matched = []
    for name, result in results.items():
        s = at_error_rate(rows, result, a["confident_wrong"])["ALL"]
        matched.append(f"{name} answer {num(s['answered_right'], s['n'])} / cwrong "
                       f"{num(s['confident_wrong'], s['n'])} / rej {num(s['rejected'], s['oos'])}")
    print(f"at ours' confident-wrong ({a['confident_wrong']} of {a['n']}): ours answer "
          f"{num(a['answered_right'], a['n'])} / rej {num(a['rejected'], a['oos'])}; "
          + "; ".join(matched))
    leads = []
    for style in styles:
        if not stats[style]["n"]:  # out-of-scope rows only: no top-1 to compare
            continue
        ours = stats[style]["top1"]
        rival, best = max(((name, s[style]["top1"]) for name, s in systems.items()
                           if name != "ours"), key=lambda r: r[1])
        n = stats[style]["n"]
        verdict = "yes" if ours > best else "tie" if ours == best else "NO"
        leads.append(f"{style} {verdict} ({100 * (ours - best) / n:+.1f} vs {rival})")
    print("ours leads every baseline on top-1: " + "; ".join(leads))
    print(f"({time.perf_counter() - started:.1f} s)")
    if "-v" in sys.argv:
        for miss in misses:
            print("MISS", *miss, sep="\t")


if __name__ == "__main__":
    main()
