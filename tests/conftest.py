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
