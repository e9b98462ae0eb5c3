"""Aspect cue data (bot/matcher/cues.py)."""

from bot.knowledge import Knowledge
from bot.matcher import Analyzer
from bot.matcher.cues import ASPECTS, CUES, SOFT_CUES


def test_every_cue_is_indexed_by_its_first_syllable_longest_first():
    listed = {(tuple(c.split()), a, soft) for soft, table in ((False, ASPECTS), (True, SOFT_CUES))
              for a, cues in table.items() for c in cues}
    indexed = {item for items in CUES.values() for item in items}
    assert indexed == listed
    for first, items in CUES.items():
        assert all(cue[0] == first for cue, _, _ in items)
        sizes = [len(cue) for cue, _, _ in items]
        assert sizes == sorted(sizes, reverse=True)


def test_each_cue_alone_reads_as_its_own_aspect():
    analyzer = Analyzer(Knowledge(root=None))
    for table in (ASPECTS, SOFT_CUES):
        for aspect, cues in table.items():
            for cue in cues:
                assert analyzer.analyze(cue)[1] == aspect, cue


def test_a_sharp_cue_beats_a_soft_one():
    analyzer = Analyzer(Knowledge(root=None))
    assert analyzer.analyze("giay to o dau")[1] == "place"  # "giấy tờ" is only soft
    assert analyzer.analyze("o xa mat bao lau")[1] == "time"
