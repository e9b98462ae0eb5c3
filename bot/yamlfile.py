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


# PyYAML's problems (the C parser's wording and the pure-Python one's), in the words
# of an office editing a file: (start of the problem, message, report the line where
# the construct began rather than where the parser gave up).
_PROBLEMS = (
    ("did not find expected '-' indicator", "thụt lề không thẳng hàng với dòng trên: các "
     "trường của một mục phải thẳng cột với trường đầu tiên, mục mới bắt đầu bằng '-'", False),
    ("did not find expected key", "thụt lề không thẳng hàng với dòng trên (hoặc "
     "còn chữ sau dấu ngoặc kép đóng: đặt cả giá trị trong ngoặc kép)", False),
    ("mapping values are not allowed", "có dấu ':' giữa giá trị: đặt cả giá trị trong ngoặc "
     "kép (ví dụ: title: \"Giờ làm việc: 7:30\")", False),
    ("found unexpected end of stream", "thiếu dấu ngoặc đóng cho dấu ngoặc mở ở dòng này", True),
    ("did not find expected ',' or ']'", "thiếu dấu ']' đóng danh sách mở ở dòng này (hoặc "
     "thiếu dấu phẩy giữa các mục)", True),
    ("did not find expected ',' or '}'", "thiếu dấu '}' đóng phần mở ở dòng này (hoặc thiếu "
     "dấu phẩy)", True),
    ("could not find expected ':'", "thiếu dấu ':' sau tên trường, hoặc dòng viết tiếp thụt "
     "lề ít hơn dòng đầu của giá trị", True),
    ("found undefined alias", "giá trị không được bắt đầu bằng '*': đặt cả giá trị trong "
     "ngoặc kép", False),
    ("did not find expected alphabetic or numeric character", "giá trị không được bắt đầu "
     "bằng '*' hay '&': đặt cả giá trị trong ngoặc kép", False),
    ("found unknown escape character", "trong ngoặc kép, dấu '\\' phải viết thành '\\\\' "
     "(hoặc dùng ngoặc đơn ' ')", False),
    ("but found another document", "có dòng '---' thứ hai: mỗi tệp chỉ chứa một tài liệu", False),
    ("could not determine a constructor", "giá trị không được bắt đầu bằng '!': đặt cả giá "
     "trị trong ngoặc kép", False),
    ("found unacceptable character", "có ký tự lạ (ký tự điều khiển): xóa nó đi", False),
    ("found a tab character", "có ký tự tab: chỉ thụt lề bằng dấu cách", False),
)


def explain(exc: yaml.YAMLError, text: str) -> tuple[int, str]:
    """The line to report and a Vietnamese message ("dòng 16, cột 5: thụt lề không thẳng
    hàng với dòng trên") for a YAML syntax error in ``text``."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    start = getattr(exc, "context_mark", None) or mark
    problem = str(getattr(exc, "problem", None) or exc)
    message, at_start = f"lỗi cú pháp YAML ({problem})", False
    for head, said, begins in _PROBLEMS:
        if problem.startswith(head):
            message, at_start = said, begins
            break
    else:
        if problem.startswith("found character") and mark is not None:
            lines = text.splitlines()
            row = lines[mark.line] if mark.line < len(lines) else ""
            char = row[mark.column:mark.column + 1]
            message = ("có ký tự tab: chỉ thụt lề bằng dấu cách" if char == "\t" or not char
                       else f"giá trị không được bắt đầu bằng '{char}': đặt cả giá trị trong "
                       "ngoặc kép")
    where = start if at_start and start is not None else mark
    if where is None:
        return 1, message
    return where.line + 1, f"dòng {where.line + 1}, cột {where.column + 1}: {message}"


def read_yaml(path: Path, rel: str, problems: list[Problem], max_bytes: int) -> Any:
    """The document in ``path`` (``rel`` names it in problems), or None when it is
    larger than ``max_bytes``, unreadable or not valid YAML (each reported)."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            problems.append(Problem(rel, 1, "file", f"tệp quá lớn ({size // 2**20} MB; mỗi tệp "
                                    f"tối đa {max_bytes // 2**20} MB): chia thành nhiều tệp"))
            return None
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        problems.append(Problem(rel, 1, "file", "không đọc được: tệp không phải UTF-8, lưu "
                                "lại với bảng mã UTF-8"))
        return None
    except OSError as exc:
        problems.append(Problem(rel, 1, "file", f"không đọc được ({exc.strerror or exc}): "
                                "kiểm tra quyền đọc tệp"))
        return None
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - SafeLoader subclass
    except yaml.YAMLError as exc:
        line, message = explain(exc, text)
        problems.append(Problem(rel, line, "yaml", message))
        return None
