"""Time `motcua ask --json --batch` on 1,000 questions, end to end (process start,
knowledge load, index build, matching, JSON out), as an evaluator would run it."""

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from machine import describe

ROOT = Path(__file__).resolve().parent.parent


def questions(n: int = 1000) -> list[str]:
    rows = (ROOT / "tests" / "data" / "eval.tsv").read_text(encoding="utf-8").splitlines()[1:]
    pool = [r.split("\t")[3] for r in rows if r.count("\t") >= 3]
    return [pool[i % len(pool)] for i in range(n)]


def run(lines: list[str]) -> list[float]:
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    times = []
    for _ in range(5):
        start = time.perf_counter()
        out = subprocess.run([sys.executable, "-m", "bot.cli", "ask", "--json", "--batch",
                              f.name], capture_output=True, text=True, cwd=ROOT, check=True)
        times.append(time.perf_counter() - start)
        assert len(out.stdout.splitlines()) == len(lines)
    return times


def main() -> None:
    print(f"machine: {describe()}")
    cycled = questions()
    # every line different, so the matcher's cache of repeated questions never helps
    distinct = [f"{q} {n}" if n >= 521 else q for n, q in enumerate(cycled)]
    for label, lines in (("eval questions cycled (about half repeat)", cycled),
                         ("1,000 distinct lines", distinct)):
        times = run(lines)
        print(f"ask --json --batch, {label}, 5 runs: best {min(times):.2f} s, "
              f"median {statistics.median(times):.2f} s, worst {max(times):.2f} s")


if __name__ == "__main__":
    main()
