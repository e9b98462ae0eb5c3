"""Match a citizen's question to knowledge entries.

The flow for one question, by module:

1. ``analysis``: ``Analyzer.analyze`` cuts the message into sentences ("cho em hỏi"
   starts a new one); per sentence, syllables (``bot.text``), typo and Telex repair
   against the knowledge vocabulary (``typos.TypoRepair``), and synonym rewriting
   (``synonyms.yaml``). In a message typed with diacritics, a lone unmarked syllable is
   read as written ("ở xa" is not "ở xã"). Then aspect cues (``cues``: "bao nhiêu
   tiền", "giấy tờ gì") and generic words are marked weak, stop words dropped, and in a
   long message the sentences around the question weigh less than the question itself.
   ``OffTopic`` finds words of other domains, which pull the question towards unknown.
2. ``analysis.features``: folded syllables and adjacent syllable pairs (bigrams) within a
   sentence, since Vietnamese words are mostly two syllables. Each feature weighs its
   inverse document frequency (``scoring.query_weights``).
3. ``candidates``: candidates come from an inverted index: each feature's weight is added
   along its posting list in one array operation (numpy); the commonest syllables only
   rescore the best candidates. Only a bounded set is then compared feature by feature,
   so cost grows far slower than the knowledge base.
4. ``scoring.entry_score``, in [0, 1]: how much of the question the entry explains,
   blended with how much of the entry's best name the question contains. A syllable
   typed with diacritics that differ from the entry's counts less than an exact one.
5. ``fusion.rank``: per shortlisted entry, the analyzer's score and a BM25 score over the
   whole entry (question part weighted) with their gaps to the next, coverage, length
   and off-topic signals go through a fitted logistic ranking; a second fitted model says
   how likely the first is right, which becomes its score (``entry_model.json``, fitted
   with cross-validation by ``bench/fit_entries.py``).
6. ``scoring.decide``: the fitted thresholds decide: answer, suggest the top 3 (when the
   right entry is likely among them), or unknown (from HINT_AT, an unknown still offers
   the closest entry as one button).

``core.Matcher`` builds the index (entry texts go through the same analysis, in two
processes for a large knowledge base: ``parallel``) and runs this flow. Each constant
lives in the module that uses it; all are importable from here.
"""

from bot.matcher.analysis import (ACCENTED_MIN, ACCENTED_SHARE, CONTEXT, FOCUS_MIN, WEAK,
                                  Analyzer, Features, OffTopic, Term, accented, features,
                                  question_part, segments)
from bot.matcher.answers import ITEM_AT, PROMOTE_AT, AnswerIndex, ItemHit
from bot.matcher.candidates import (CANDIDATES, EAGER_ARRAY, POSTING_CAP, RERANK,
                                    SHORTLIST_FLOOR, Candidates)
from bot.matcher.core import CACHE_SIZE, Matcher
from bot.matcher.cues import ASPECTS, CUES, SOFT_CUES
from bot.matcher.parallel import CHILD_TIMEOUT, PARALLEL_AT, map_halves
from bot.matcher.scoring import (ANSWER_AT, BLEND, ENTRY_Q, EVIDENCE, FOREIGN, HINT_AT,
                                 IMPORTED_PRIOR, LONG_AT, MARGIN, MAX_HITS, MISMARKED, SHOWN,
                                 OFF_TOPIC, OFF_TOPIC_DAMP, Q_SHARE, SUGGEST_AT, UNKNOWN,
                                 UNKNOWN_PAIR, UNPAIRED, Doc, Hit, Match, decide,
                                 entry_score, matched_features, query_weights)
from bot.matcher.typos import CORRECTED, TypoRepair

__all__ = [
    "ACCENTED_MIN", "ACCENTED_SHARE", "ANSWER_AT", "ASPECTS", "BLEND", "CACHE_SIZE",
    "CANDIDATES", "CHILD_TIMEOUT", "CONTEXT", "CORRECTED", "CUES", "EAGER_ARRAY", "ENTRY_Q",
    "EVIDENCE", "FOCUS_MIN", "FOREIGN", "HINT_AT", "IMPORTED_PRIOR", "LONG_AT", "MARGIN",
    "MAX_HITS", "MISMARKED", "OFF_TOPIC", "OFF_TOPIC_DAMP", "PARALLEL_AT", "POSTING_CAP",
    "Q_SHARE", "RERANK", "SHORTLIST_FLOOR", "SHOWN", "SOFT_CUES", "SUGGEST_AT", "UNKNOWN",
    "UNKNOWN_PAIR", "UNPAIRED", "WEAK",
    "ITEM_AT", "PROMOTE_AT", "AnswerIndex", "ItemHit",
    "Analyzer", "Candidates", "Doc", "Features", "Hit", "Match", "Matcher", "OffTopic",
    "Term", "TypoRepair",
    "accented", "decide", "entry_score", "features", "map_halves", "matched_features",
    "query_weights", "question_part", "segments",
]
