"""Candidate selection (bot/matcher/candidates.py) on hand-made posting lists."""

import numpy as np

from bot.knowledge import Entry
from bot.matcher.candidates import (CANDIDATES, EAGER_ARRAY, POSTING_CAP, RERANK, SAMPLE_STRIDE,
                                    Candidates, nth_largest)
from bot.matcher.scoring import Doc


def docs_with(count, features_of, prior_of=lambda i: 1.0):
    """count docs; features_of(i): the features doc i has."""
    docs = [Doc(Entry(f"e{i}", "faq", f"E{i}", {}), prior=prior_of(i),
                where={f: [(0, 1.0)] for f in features_of(i)}) for i in range(count)]
    postings = {}
    for i, doc in enumerate(docs):
        for f in doc.where:
            postings.setdefault(f, []).append(i)
    return Candidates(postings, docs)


def feats(*names):
    return {f: (1.0, 1.0, (f,)) for f in names}


def test_long_posting_lists_are_arrays_from_the_start_short_ones_on_first_use():
    c = docs_with(EAGER_ARRAY + 2, lambda i: ["common"] + (["rare"] if i == 3 else []))
    assert set(c.arrays) == {"common"}
    assert c.array("rare").tolist() == [3] and "rare" in c.arrays


def test_best_keeps_the_heaviest_and_on_ties_the_earlier_loaded():
    c = docs_with(6, lambda i: ["a"], prior_of=lambda i: 0.5 if i == 4 else 1.0)
    found = np.arange(6)
    acc = np.array([1.0, 2.0, 1.0, 1.0, 2.0, 1.0])
    assert c.best(found, acc, 3).tolist() == [1, 0, 2]  # 4 is imported: 2 x 0.5 = 1, loaded late
    assert c.best(found, acc, 6).tolist() == list(range(6))


def test_nth_largest_is_the_nth_of_the_sorted_values_with_ties_and_few_values():
    rng = np.random.default_rng(3)
    for size in (1, 7, SAMPLE_STRIDE * 3, 5000):
        for n in {n for n in (1, 3, 48, size) if n <= size}:
            for values in (rng.random(size), rng.choice([0.5, 1.0, 2.0], size)):
                assert nth_largest(values, n) == np.sort(values)[::-1][n - 1]
    # the sample's bound is too high (the large values sit between the sampled ones):
    # all values are partitioned and the answer is still right
    values = np.zeros(SAMPLE_STRIDE * 40)
    values[::SAMPLE_STRIDE] = 1.0
    values[1] = 5.0
    assert nth_largest(values, 41) == 1.0 and nth_largest(values, 42) == 0.0


def test_the_commonest_syllables_bring_no_candidates_of_their_own():
    c = docs_with(POSTING_CAP + 100, lambda i: ["common"] + (["rare"] if i == 7 else []))
    assert c.select(feats("rare", "common"), {"rare": 3.0, "common": 0.1}) == [7]
    # alone, even the commonest syllable is the rarest feature: it brings candidates
    alone = c.select(feats("common"), {"common": 0.1})
    assert alone == list(range(CANDIDATES))


def test_the_commonest_syllables_rescore_the_best_candidates():
    # 100 entries share a rarer word; from entry 50 on they also have the common one
    c = docs_with(POSTING_CAP + 100, lambda i: (["word"] if i < 100 else [])
                  + (["common"] if i >= 50 else []))
    got = c.select(feats("word", "common"), {"word": 2.0, "common": 0.5})
    assert got == list(range(50, 50 + CANDIDATES))


def test_shortlist_keeps_those_above_a_floor():
    c = docs_with(3, lambda i: ["a"])
    assert c.shortlist({0: 1.0, 1: 0.2, 2: 0.35}) == [0, 2]  # 0.2 is under 0.3 of the best
    assert c.shortlist({}) == []


def test_shortlist_keeps_the_best_few_imported_entries_yielding():
    c = docs_with(40, lambda i: ["a"], prior_of=lambda i: 0.5 if i == 2 else 1.0)
    coverage = {i: 0.5 for i in range(30)}
    coverage.update({0: 1.0, 2: 0.9, 3: 0.6})  # 2 is imported: 0.9 x 0.5 ranks under 0.5
    assert c.shortlist(coverage) == [0, 3, 1, *range(4, 4 + RERANK - 3)]
