"""Multi-turn conversations: do follow-ups keep the topic, do stated wishes start
their flow? Scored on ``tests/data/conversations.jsonl``, written by a helper who had
not seen the handlers.

Each turn expects either an entry (and the part the reply leads with, or null for the
overview) or an intent (feedback, lookup, delete_data, cancel, menu, human, greeting,
thanks). The dialogue runs through a real ``Conversation`` on a throwaway SQLite file
as one terminal user; what a reply was about is read from the user's stored state
(``topic``: the entry and part last shown) and from the flow it left open.

    python bench/conversations.py [--misses N]     # the development set
    python bench/conversations.py --set blind      # the untouched set: figures only
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot import knowledge as kb  # noqa: E402
from bot.matcher import Matcher  # noqa: E402
from bot.storage import Storage  # noqa: E402
from bot.text import fold  # noqa: E402

SETS = {"dev": ROOT / "tests" / "data" / "conversations.jsonl",
        "blind": ROOT / "tests" / "data" / "conversations_blind.jsonl"}


def intent_of(state: dict, before: dict, text: str) -> str | None:
    """Which wish a reply acted on, judged from the state it left and its words."""
    words = fold(text)
    if "khong tim thay phan anh" in words or "phan anh ban da gui" in words or \
            words.startswith("phan anh pa-") or "ban chua gui phan anh nao" in words:
        return "lookup"
    if state.get("flow") == "feedback" and (state.get("fb") or {}).get("category") == "hoi-dap" \
            and (before.get("fb") or {}).get("category") != "hoi-dap":
        return "human"
    if state.get("flow") == "feedback" and before.get("flow") != "feedback":
        return "feedback"
    if "xoa du lieu cua toi" in words or "xoa so dien thoai va lien ket" in words:
        return "delete_data"
    if "da huy" in words or (before.get("flow") and not state.get("flow")
                             and "huy" in words):
        return "cancel"
    if state.get("flow") == "ask_staff" or "can bo" in words and "chuyen" in words:
        return "human"
    if words.startswith("xin chao"):
        return "greeting"
    if "rat vui duoc giup" in words or "khong co gi" in words:
        return "thanks"
    if "ban muon tim gi" in words:
        return "menu"
    return None


def judge(expect: dict, state: dict, before: dict, text: str) -> bool:
    if "intent" in expect:
        return intent_of(state, before, text) == expect["intent"]
    topic = state.get("topic") or {}
    if topic.get("entry") != expect["entry"] or topic == before.get("topic"):
        return False
    wanted = expect.get("aspect")
    return wanted is None or topic.get("aspect") == wanted or bool(topic.get("answer"))


def run(conversations: list[dict], knowledge=None, matcher=None) -> list[dict]:
    from handlers.conversation import Conversation
    from handlers.types import Message

    knowledge = knowledge or kb.load()
    matcher = matcher or Matcher(knowledge)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        storage = Storage(Path(tmp) / "conv.db")
        conv = Conversation(knowledge, storage, matcher)
        conv.config.flood_per_minute = 10 ** 9
        for dialogue in conversations:
            user = f"conv-{dialogue['id']}"
            for n, turn in enumerate(dialogue["turns"]):
                before = storage.get_state("terminal", user)
                replies = conv.handle(Message("terminal", user, turn["text"]))
                state = storage.get_state("terminal", user)
                text = "\n\n".join(r.as_text() for r in replies)
                results.append({"id": dialogue["id"], "turn": n, "text": turn["text"],
                                "expect": turn["expect"], "followup": turn.get("followup", False),
                                "ok": judge(turn["expect"], state, before, text),
                                "topic": state.get("topic"), "reply": text})
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=SETS, default="dev")
    parser.add_argument("--misses", type=int, default=0, help="print the first N (dev only)")
    args = parser.parse_args()
    from machine import describe

    print(describe())
    conversations = [json.loads(line) for line in
                     SETS[args.set].read_text(encoding="utf-8").splitlines() if line.strip()]
    results = run(conversations)
    kinds = Counter()
    previous = None
    for r in results:
        kind = "intent" if "intent" in r["expect"] else \
            "follow-up" if r["followup"] else "first or new topic"
        kinds[kind, r["ok"]] += 1
        if kind == "follow-up" and previous is not None and previous["id"] == r["id"] \
                and previous["ok"]:  # the topic was right before: context alone
            kinds["follow-up, topic right before", r["ok"]] += 1
        previous = r
    for kind in ("first or new topic", "follow-up", "follow-up, topic right before", "intent"):
        good, total = kinds[kind, True], kinds[kind, True] + kinds[kind, False]
        print(f"  {kind:<30} {good / max(total, 1):6.1%}  ({good}/{total})")
    for r in [r for r in results if not r["ok"]][:args.misses if args.set == "dev" else 0]:
        print(f"\n--- {r['id']}.{r['turn']} {r['text']}\n  expect {r['expect']}  got {r['topic']}"
              f"\n  " + r["reply"][:300].replace("\n", "\n  "))


if __name__ == "__main__":
    main()
