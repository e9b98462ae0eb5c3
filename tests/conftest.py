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


# --- the two storage backends ----------------------------------------------------------------
# MOTCUA_TEST_PG names a PostgreSQL database the tests may fill (.ci/run starts a
# throwaway server with .ci/postgres); each test gets a schema of its own in it.
# Without it the PostgreSQL half of the suite is skipped, unless MOTCUA_REQUIRE_PG is
# set (CI): then it fails.
PG_URL = os.environ.get("MOTCUA_TEST_PG", "")
NO_PG = ("MOTCUA_TEST_PG is not set: no PostgreSQL server to test on "
         "(.ci/run starts one with .ci/postgres)")
_schemas: list[str] = []


def fresh_pg() -> str:
    """The URL of a new, empty schema in the test database (or skip the test)."""
    if not PG_URL:
        if os.environ.get("MOTCUA_REQUIRE_PG"):
            pytest.fail(NO_PG + "; MOTCUA_REQUIRE_PG says it must be")
        pytest.skip(NO_PG)
    import uuid

    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f"create schema {name}")
    _schemas.append(name)
    return f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3D{name}"


@pytest.fixture(scope="session", autouse=True)
def _drop_pg_schemas():
    yield
    if PG_URL and _schemas:
        import psycopg

        with psycopg.connect(PG_URL, autocommit=True) as conn:
            for name in _schemas:
                conn.execute(f"drop schema if exists {name} cascade")


@pytest.fixture
def pg_url():
    url = fresh_pg()
    yield url
    _close_pools()


def _close_pools():
    import sys

    pg = sys.modules.get("bot.pg")
    for db in list(pg.OPEN) if pg else []:
        db.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_target(request, tmp_path):
    """Where a test's storage lives: an SQLite file, then a PostgreSQL schema."""
    if request.param == "sqlite":
        yield str(tmp_path / "bot.db")
        return
    yield fresh_pg()
    _close_pools()


@pytest.fixture
def conversation(knowledge, matcher, db_target):
    from bot.storage import Storage
    from handlers.conversation import Conversation

    return Conversation(knowledge, Storage(db_target), matcher)


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
