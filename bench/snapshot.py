"""Every eval question's match (status, aspect, hits with scores) as JSON lines, so a
refactor can be checked to change nothing: run before and after, then diff.

    python bench/snapshot.py > before.jsonl
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot import knowledge as kb  # noqa: E402
from bot.matcher import Matcher  # noqa: E402


def main() -> None:
    matcher = Matcher(kb.load())
    for path in sorted((ROOT / "tests" / "data").glob("eval*.tsv")):
        with path.open(encoding="utf-8") as f:
            for row in csv.DictReader(f, delimiter="\t"):
                m = matcher.match(row["question"])
                print(json.dumps({"set": path.stem, "q": row["question"], "status": m.status,
                                  "aspect": m.aspect, "reason": m.reason,
                                  "hits": [(h.entry.id, h.score) for h in m.hits]},
                                 ensure_ascii=False))


if __name__ == "__main__":
    main()
