"""Read a YAML file keeping the line of every mapping and key.

Knowledge problems point at ``file:line: field``, so the reader builds each mapping
as a ``LineDict`` that remembers where it and each of its keys start, and which keys
were given twice. ``read_yaml`` never raises: a file it cannot read or parse is
reported as a ``Problem`` and read as None.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    field: str
    message: str
    warning: bool = False

    def __str__(self) -> str:
        level = "warning: " if self.warning else ""
        return f"{self.file}:{self.line}: {self.field}: {level}{self.message}"


class LineDict(dict):
    """A mapping that remembers the line of itself and of each key."""

    line: int = 0
    key_lines: dict[str, int]
    duplicates: list[tuple[str, int]]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # C parser when built
    pass


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines, result.duplicates = {}, []
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        key = str(key) if not isinstance(key, str) else key
        line = key_node.start_mark.line + 1
        if key in result:
            result.duplicates.append((key, line))
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = line
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def read_yaml(path: Path, rel: str, problems: list[Problem], max_bytes: int) -> Any:
    """The document in ``path`` (``rel`` names it in problems), or None when it is
    larger than ``max_bytes``, unreadable or not valid YAML (each reported)."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            problems.append(Problem(rel, 1, "file", f"too large ({size // 2**20} MB; at most "
                                    f"{max_bytes // 2**20} MB a file): split it"))
            return None
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(rel, 1, "file", f"cannot read: {exc}"))
        return None
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark else 1
        column = mark.column + 1 if mark else 1
        reason = getattr(exc, "problem", None) or str(exc)
        problems.append(Problem(rel, line, "yaml", f"column {column}: {reason}"))
        return None
