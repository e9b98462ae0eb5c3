"""Small hand-made knowledge for matcher tests."""

from bot.knowledge import Entry, Knowledge
from bot.matcher import Matcher


def tiny_knowledge(entries, synonyms=(), stopwords=(), off_topic=()):
    knowledge = Knowledge(root=None, synonyms=[list(g) for g in synonyms],
                          stopwords=list(stopwords), off_topic=list(off_topic))
    for entry_id, title, aliases in entries:
        knowledge.entries[entry_id] = Entry(entry_id, "faq", title,
                                            {"aliases": aliases, "answer": "x"})
    return knowledge


def tiny(entries, synonyms=(), stopwords=(), off_topic=()):
    return Matcher(tiny_knowledge(entries, synonyms, stopwords, off_topic))
