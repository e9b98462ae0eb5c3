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
        kth = np.partition(rank, len(rank) - n)[len(rank) - n]  # the n-th largest weight
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
        found = np.flatnonzero(acc)
        if common and len(found) > CANDIDATES:
            found = self.best(found, acc, 4 * CANDIDATES)
            extra = np.zeros(len(found))  # per entry, the weights of the common it has
            for f in common:  # posting lists are in load order, so ascending
                posting = self.array(f)
                at = np.minimum(np.searchsorted(posting, found), len(posting) - 1)
                extra[posting[at] == found] += weights[f]
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
