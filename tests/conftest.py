import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def knowledge():
    from bot import knowledge as kb

    return kb.load()


@pytest.fixture(scope="session")
def matcher(knowledge):
    from bot.matcher import Matcher

    return Matcher(knowledge)


@pytest.fixture
def conversation(knowledge, matcher, tmp_path):
    from bot.storage import Storage
    from handlers.conversation import Conversation

    return Conversation(knowledge, Storage(tmp_path / "bot.db"), matcher)


def run_motcua(*args, stdin: str = "", env: dict | None = None, cwd=None):
    """Run the real console entry point in a child process."""
    full_env = {**os.environ, **(env or {})}
    full_env.pop("MOTCUA_KNOWLEDGE", None)
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], input=stdin,
                          capture_output=True, text=True, env=full_env, cwd=cwd or ROOT,
                          timeout=120)


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(self.format(record))


SECRETS = ["TEST-token-for-the-fake-server-only", "zalo-fake-secret-for-tests",
           "s3cret-for-tests-only", "zalo-secret-for-tests", "0912345678", "0987654321",
           "0912 345 678", "oa-secret-key-for-tests-only", "app-secret-for-tests-only",
           "oa-access-", "oa-refresh-"]  # the last two: every token of the fake Zalo OA


@pytest.fixture(scope="session", autouse=True)
def logs_never_leak():
    """Every log line of the whole in-process suite, through the production logging
    setup (bot.logs), must be free of tokens, secrets and phone numbers."""
    from bot import logs

    collect = _Collect()
    collect.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(collect)
    logs.setup("DEBUG")
    logging.getLogger("hypothesis").setLevel(logging.WARNING)
    yield collect
    root.removeHandler(collect)
    text = "\n".join(collect.lines)
    leaked = [s for s in SECRETS if s in text]
    assert not leaked, f"secrets in logs: {leaked}"
