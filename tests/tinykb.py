"""Small hand-made knowledge for matcher tests."""

from bot.knowledge import Entry, Knowledge
from bot.matcher import Matcher
from bot.matcher.fusion import CONFIDENCE, FEATURES, EntryModel
from bot.matcher.model import LogisticModel


def tiny_knowledge(entries, synonyms=(), stopwords=(), off_topic=()):
    knowledge = Knowledge(root=None, synonyms=[list(g) for g in synonyms],
                          stopwords=list(stopwords), off_topic=list(off_topic))
    for entry_id, title, aliases in entries:
        knowledge.entries[entry_id] = Entry(entry_id, "faq", title,
                                            {"aliases": aliases, "answer": "x"})
    return knowledge


def tiny(entries, synonyms=(), stopwords=(), off_topic=()):
    return Matcher(tiny_knowledge(entries, synonyms, stopwords, off_topic))


def analyser_model(sharpness: float = 12.0, centre: float = 0.3) -> EntryModel:
    """An entry model that follows the analyser's score alone, for knowledge too small
    for the fitted one (three entries are far from the features it was fitted on: its
    probabilities there say little). Tests of what comes after the entry model (the
    answer item, the reply) use it, so that they do not hang on refitted weights:
    an entry is likely from an analyser score of ``centre``, and the first entry is as
    sure as it is likely."""
    def only(names, feature: str) -> LogisticModel:
        weights = tuple(sharpness if n == feature else 0.0 for n in names)
        return LogisticModel((0.0,) * len(names), (1.0,) * len(names), weights,
                             -sharpness * centre)
    rank = only(FEATURES, "score")
    sure = LogisticModel((0.0,) * len(CONFIDENCE), (1.0,) * len(CONFIDENCE),
                         tuple(20.0 if n == "p1" else 0.0 for n in CONFIDENCE), -10.0)
    return EntryModel(rank, sure, sure)
