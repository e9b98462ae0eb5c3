"""Docs that cannot drift: every command has help, every environment variable the code
reads is in README.md, every knowledge key the loader accepts is in knowledge/README.md,
and the README's command examples name only commands that exist."""

import argparse
import ast
import re
import shlex

import pytest

from bot import cli
from bot import knowledge as kb
from conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
KNOWLEDGE_README = (ROOT / "knowledge" / "README.md").read_text(encoding="utf-8")


def _subparsers(parser: argparse.ArgumentParser):
    return [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]


def _commands(parser=None, path=()):
    """(path, parser, help) of every subcommand and sub-subcommand."""
    parser = parser or cli.build_parser()
    for group in _subparsers(parser):
        helps = {a.dest: a.help for a in group._choices_actions}
        for name, sub in group.choices.items():
            yield (*path, name), sub, helps.get(name)
            yield from _commands(sub, (*path, name))


COMMANDS = list(_commands())


def test_the_command_tree_is_found():
    names = {" ".join(path) for path, _, _ in COMMANDS}
    assert {"ask", "run", "feedback list", "feedback purge", "questions unanswered"} <= names


@pytest.mark.parametrize("path,parser,help", COMMANDS, ids=[" ".join(c[0]) for c in COMMANDS])
def test_every_command_has_help(path, parser, help):
    assert help and help.strip(), f"motcua {' '.join(path)} has no help"
    assert parser.description and parser.description.strip(), \
        f"motcua {' '.join(path)} --help has no description"
    for action in parser._actions:
        if not isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
            assert action.help, f"motcua {' '.join(path)}: {action.dest} has no help"


# --- environment variables -------------------------------------------------------------

_ENV_NAME = re.compile(r"^[A-Z][A-Z0-9]*_[A-Z0-9_]+$")


def _env_reads(tree: ast.AST) -> set[str]:
    """Names read through os.environ / os.getenv / an ``env`` mapping, and every
    MOTCUA_* constant (a name passed on to such a read)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and node.value.startswith("MOTCUA_") and _ENV_NAME.match(node.value):
            found.add(node.value)
        if isinstance(node, ast.Call) and node.args:
            func, first = node.func, node.args[0]
            target = func.value if isinstance(func, ast.Attribute) else None
            is_env = (isinstance(func, ast.Attribute) and func.attr == "getenv") or (
                isinstance(func, ast.Attribute) and func.attr in ("get", "pop", "setdefault")
                and _names_env(target))
            if is_env and isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.add(first.value)
        if isinstance(node, ast.Subscript) and _names_env(node.value) \
                and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
            found.add(node.slice.value)
    return {name for name in found if _ENV_NAME.match(name)}


def _names_env(node) -> bool:
    if isinstance(node, ast.Attribute):
        return node.attr == "environ"
    return isinstance(node, ast.Name) and node.id in ("environ", "env")


def environment_variables() -> set[str]:
    names = set()
    for folder in ("bot", "handlers"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            names |= _env_reads(ast.parse(path.read_text(encoding="utf-8"), str(path)))
    return names


def test_environment_variables_are_found():
    names = environment_variables()
    assert {"MOTCUA_DB", "MOTCUA_KNOWLEDGE", "TELEGRAM_BOT_TOKEN", "ZALO_BOT_TOKEN",
            "MOTCUA_TERMINAL_USER", "MOTCUA_TELEGRAM_POOL"} <= names


@pytest.mark.parametrize("name", sorted(environment_variables()))
def test_every_environment_variable_is_in_a_readme_table(name):
    assert re.search(rf"^\| `{name}` \|[^|\n]+\|", README, re.M), \
        f"{name} is read by the code but has no row in a README.md configuration table"


# --- knowledge keys -----------------------------------------------------------------

KNOWLEDGE_SPECS = {
    "COMMON": kb.COMMON, "BY_KIND": {k: v for spec in kb.BY_KIND.values() for k, v in spec.items()},
    "ONLINE": kb.ONLINE, "OFFICE": kb.OFFICE, "OFFICE_ITEM": kb.OFFICE_ITEM,
    "STAFF": kb.STAFF, "ANSWER_ITEM": kb.ANSWER_ITEM,
}


def _documented(key: str) -> bool:
    """Named in code form in the knowledge README: `key`, `key:` or in a `a`, `b` cell."""
    return re.search(rf"`{re.escape(key)}(:[^`]*)?`", KNOWLEDGE_README) is not None


@pytest.mark.parametrize("spec,key", [(name, key) for name, spec in KNOWLEDGE_SPECS.items()
                                      for key in spec])
def test_every_knowledge_field_is_documented(spec, key):
    assert _documented(key), f"{spec}[{key!r}] is accepted by bot/knowledge.py but not " \
        "documented in knowledge/README.md"


def _synonym_keys() -> set[str]:
    """The keys _load_synonyms accepts, read from its source."""
    source = (ROOT / "bot" / "knowledge.py").read_text(encoding="utf-8")
    tree = ast.parse(source)
    func = next(n for n in ast.walk(tree)
                if isinstance(n, ast.FunctionDef) and n.name == "_load_synonyms")
    lists = next(n for n in ast.walk(tree) if isinstance(n, ast.Assign)
                 and any(isinstance(t, ast.Name) and t.id == "_WORD_LISTS" for t in n.targets))
    keys = set()
    for node in [*ast.walk(func), *ast.walk(lists)]:
        if isinstance(node, ast.Tuple):  # ("groups", *_WORD_LISTS): the texts in it
            keys |= {e.value for e in node.elts
                     if isinstance(e, ast.Constant) and isinstance(e.value, str)}
    return keys


def test_every_synonyms_key_is_documented():
    keys = _synonym_keys()
    assert {"groups", "stopwords", "off_topic"} <= keys
    section = KNOWLEDGE_README.split("## `synonyms.yaml`", 1)[1].split("\n## ", 1)[0]
    for key in keys:
        assert re.search(rf"^\| `{key}` \|", section, re.M), \
            f"synonyms.yaml key {key!r} has no row in knowledge/README.md"


def test_office_lists_are_documented_with_their_fields():
    for key in ("offices", "fees"):
        assert re.search(rf"^\| `{key}` \|", KNOWLEDGE_README, re.M)
        assert f"### `{key}`" in KNOWLEDGE_README


# --- README examples ------------------------------------------------------------------


def readme_examples() -> list[str]:
    """Every ``motcua ...`` command in the READMEs' code spans and blocks."""
    text = README + KNOWLEDGE_README
    lines = []
    for block in re.findall(r"```[a-z]*\n(.*?)```", text, re.S):
        lines += [line for line in block.splitlines()]
    lines += re.findall(r"`(motcua [^`]+)`", text)
    examples = []
    for line in lines:
        line = line.split("#", 1)[0].replace("\\|", "|")
        for part in re.split(r"&&|;", line):
            part = part.strip()
            if part.startswith("motcua ") or part == "motcua":
                examples.append(part)
    return examples


def _tree() -> dict:
    tree: dict = {}
    for path, _, _ in COMMANDS:
        node = tree
        for name in path:
            node = node.setdefault(name, {})
    return tree


def test_readme_examples_are_found():
    examples = readme_examples()
    assert "motcua feedback list --status new" in examples
    assert any(e.startswith("motcua run --webhook") for e in examples)
    assert len(examples) >= 15


@pytest.mark.parametrize("example", readme_examples())
def test_readme_examples_name_existing_commands(example):
    tree = _tree()
    words = shlex.split(example)[1:]
    words = [w for i, w in enumerate(words)  # global options come before the command
             if not w.startswith("-") and not (i and words[i - 1] in ("--knowledge", "--db"))]
    node, path = tree, []
    for word in words:
        if not node:
            break
        if word.isupper():  # a placeholder ("motcua feedback ACTION --help")
            break
        alternatives = word.split("|")  # "list|show|answer" in the command table
        unknown = [w for w in alternatives if w not in node]
        assert not unknown, f"{example!r}: motcua {' '.join(path)} has no {unknown}"
        path.append(alternatives[0])
        node = node[alternatives[0]]
    assert path, f"{example!r} names no command"
