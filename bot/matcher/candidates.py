"""Candidate selection along posting lists, so that only a bounded set of entries is
scored exactly, however large the knowledge. The query features' weights are added along
their posting lists in one numpy operation; the commonest syllables (posting lists over
``POSTING_CAP``) bring no candidates of their own and only rescore the best ones; the
``CANDIDATES`` heaviest go on to exact comparison, and of those the ``RERANK`` best
covering at least ``SHORTLIST_FLOOR`` of the best one's coverage are scored in full.
Ties go to the office's own entries, then to the earlier loaded."""

from __future__ import annotations

import numpy as np

from bot.matcher.analysis import Features
from bot.matcher.scoring import Doc

CANDIDATES = 48  # bound on entries scored exactly for one question
POSTING_CAP = 2000  # posting lists longer than this do not bring new candidates
EAGER_ARRAY = 16  # posting lists longer than this are turned into arrays at build
RERANK = 24  # bound on entries scored in full
SHORTLIST_FLOOR = 0.3  # ... among those covering at least this share of the best one


SAMPLE_STRIDE = 16  # nth_largest first looks at every SAMPLE_STRIDE-th value


def nth_largest(values: np.ndarray, n: int) -> float:
    """The n-th largest of ``values`` (1 <= n <= len(values)).

    A question shares some syllable with thousands of entries, and partitioning them
    all for a few dozen is the slowest step of a selection. Any bound that at least n
    values reach keeps the n largest above it, so a bound is read off a sample (every
    SAMPLE_STRIDE-th value: its 2n/SAMPLE_STRIDE-th largest, which about 2n values
    reach), checked, and only the values above it are partitioned. When the sample is
    too small or the check fails, all values are partitioned: the answer is the same."""
    need = -(-2 * n // SAMPLE_STRIDE)  # ceil(2n / SAMPLE_STRIDE)
    sample = values[::SAMPLE_STRIDE]
    if need < len(sample):
        bound = np.partition(sample, len(sample) - need)[len(sample) - need]
        above = values[values >= bound]
        if len(above) >= n:
            values = above
    return np.partition(values, len(values) - n)[len(values) - n]


class Candidates:
    """The posting lists (feature -> entry numbers, in load order) of an index's
    documents, with the long ones as arrays."""

    def __init__(self, postings: dict[str, list[int]], docs: list[Doc]):
        self.postings = postings
        self.docs = docs
        # Long posting lists as arrays now, so that no question pays for making them.
        self.arrays = {f: np.array(p, dtype=np.int32) for f, p in postings.items()
                       if len(p) > EAGER_ARRAY}
        self.priors = np.array([doc.prior for doc in docs])
        # The commonest syllables only rescore the best candidates (``select``): each as
        # a mask over all entries, so that which of them have it is one lookup instead
        # of a binary search (a few dozen such syllables, one byte per entry each).
        self.masks: dict[str, np.ndarray] = {}
        for f, array in self.arrays.items():
            if len(array) > POSTING_CAP:
                mask = self.masks[f] = np.zeros(len(docs), dtype=bool)
                mask[array] = True

    def array(self, feature: str) -> np.ndarray:
        """The posting list as an array, made on first use (most features never are)."""
        array = self.arrays.get(feature)
        if array is None:
            array = self.arrays[feature] = np.array(self.postings[feature], dtype=np.int32)
        return array

    def best(self, found: np.ndarray, acc: np.ndarray, n: int) -> np.ndarray:
        """The n entries of ``found`` with the most weight; on equal weight the
        earlier loaded (the office's own entries come first)."""
        if len(found) <= n:
            return found
        rank = acc[found] * self.priors[found]
        kth = nth_largest(rank, n)
        above = found[rank > kth]
        tied = found[rank == kth]  # ascending, as found is: the earlier loaded first
        return np.concatenate((above, tied[:n - len(above)]))

    def select(self, feats: Features, weights: dict[str, float]) -> list[int]:
        """The entries worth comparing feature by feature: feature weights summed along
        posting lists; only the CANDIDATES best are kept."""
        postings = self.postings
        bring, common = [], []  # the commonest syllables: they rescore, but bring no candidates
        for n, f in enumerate(sorted((f for f in feats if f in postings),
                                     key=lambda f: len(postings[f]))):
            (common if n and len(postings[f]) > POSTING_CAP else bring).append(f)
        if not bring:
            return []
        # One pass over all posting lists at once: bincount adds each weight in the order
        # given, so every entry's sum is the same as adding the features one by one.
        arrays = [self.array(f) for f in bring]
        acc = np.bincount(np.concatenate(arrays),
                          np.repeat([weights[f] for f in bring], [len(a) for a in arrays]),
                          minlength=len(self.docs))
        found = np.flatnonzero(acc != 0)  # (on booleans: several times faster)
        if common and len(found) > CANDIDATES:
            found = self.best(found, acc, 4 * CANDIDATES)
            extra = np.zeros(len(found))  # per entry, the weights of the common it has
            for f in common:
                extra[self.masks[f][found]] += weights[f]
            acc[found] += extra
        return self.best(found, acc, CANDIDATES).tolist()

    def shortlist(self, coverage: dict[int, float]) -> list[int]:
        """The candidates scored in full: the RERANK best by coverage (times prior),
        among those covering at least SHORTLIST_FLOOR of the best one."""
        docs = self.docs
        floor = SHORTLIST_FLOOR * max(coverage.values(), default=0.0)
        # ties (many catalog titles cover a short question fully) go to the office's
        # own entries, then to the earlier loaded
        ranked = sorted(coverage, key=lambda i: (-coverage[i] * docs[i].prior, i))
        return [i for i in ranked[:RERANK] if coverage[i] >= floor]
