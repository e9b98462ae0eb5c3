"""Which files a ``motcua`` command reads, checked before it starts.

A deployer must see which knowledge folder and which database a command uses (by
absolute path, on stderr so that ``ask --json`` keeps stdout pure JSON), and a
setting that cannot be right must be refused with one line saying what to do rather
than silently create an empty database or a folder named ``postgresql:``. ``motcua
init`` gives the office a knowledge folder of its own to edit.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

from bot import knowledge as kb
from bot.config import ConfigError, database_path

# What each command reads: the knowledge, the database; which commands create one.
# The console and a new staff account create one too: both are set up before the first run.
READS_KNOWLEDGE = {"ask", "chat", "run", "validate", "import-dvc", "feedback report",
                   "console"}
READS_DB = {"chat", "run", "feedback", "questions", "staff", "console"}
CREATES_DB = {"chat", "run", "console", "staff add"}


def knowledge_folder(path: str | None) -> tuple[Path, str]:
    """The knowledge folder a command reads, refused when it cannot be read."""
    root, source = kb.locate(path)
    if not root.is_dir():
        raise ConfigError(f"không có thư mục kiến thức {root}: kiểm tra --knowledge hoặc "
                          "MOTCUA_KNOWLEDGE, hoặc tạo bằng motcua init DIR")
    if not os.access(root, os.R_OK | os.X_OK):
        raise ConfigError(f"không đọc được thư mục kiến thức {root}: cho người chạy bot "
                          "quyền đọc (chown/chmod)")
    return root, source


def writable_folder(folder: Path) -> None:
    """The database's folder exists (created if need be) and can be written."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"không tạo được thư mục {folder} cho cơ sở dữ liệu "
                          f"({exc.strerror}): chọn nơi ghi được bằng --db hoặc MOTCUA_DB"
                          ) from exc
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ConfigError(f"không ghi được vào thư mục {folder}: cho người chạy bot quyền "
                          "ghi (chown/chmod), hoặc chọn nơi khác bằng --db hoặc MOTCUA_DB")


def prepare(args: argparse.Namespace, env_file: Path | None) -> None:
    """Check the database setting, refuse a missing database to a command that would
    otherwise create an empty one, and say on stderr which files this run reads."""
    db = database_path(args.db)  # a URL other than postgresql:// is refused whatever the command
    action = getattr(args, "action", None) if args.command in ("feedback", "staff") else None
    name = args.command + (f" {action}" if action else "")
    parts = [f".env {env_file}"] if env_file else []
    if name in READS_KNOWLEDGE:
        root, source = knowledge_folder(getattr(args, "dir", None) or args.knowledge)
        parts.append(f"kiến thức {root}" + (" (bản kèm theo bot; bản riêng: motcua init DIR)"
                                            if source == kb.BUNDLED else ""))
    if args.command in READS_DB and isinstance(db, str):  # a PostgreSQL server
        from bot.pg import masked

        args.db = db
        parts.append(f"cơ sở dữ liệu {masked(db)}")
    elif args.command in READS_DB:
        args.db = str(db)
        if args.command in CREATES_DB or name in CREATES_DB:
            writable_folder(db.parent)
        elif not db.exists() and not args.create:
            raise ConfigError(f"chưa có cơ sở dữ liệu {db}: chạy lệnh từ thư mục của bot, "
                              "chỉ đúng tệp bằng --db hoặc MOTCUA_DB, hoặc thêm --create "
                              "để tạo tệp mới")
        parts.append(f"cơ sở dữ liệu {db}")
    if parts:
        print("motcua: " + "; ".join(parts), file=sys.stderr)


def init_folder(target: Path, force: bool = False) -> int:
    """``motcua init DIR``: copy the bundled knowledge to ``target``; a folder that is
    not empty is refused unless ``force``."""
    target = target.expanduser().absolute()
    if target.exists() and not target.is_dir():
        print(f"motcua init: {target} là một tệp, không phải thư mục", file=sys.stderr)
        return 2
    if target.is_dir() and any(target.iterdir()) and not force:
        print(f"motcua init: thư mục {target} không trống; chọn thư mục khác, hoặc thêm "
              "--force để ghi đè các tệp trùng tên", file=sys.stderr)
        return 2
    shutil.copytree(kb.default_dir(), target, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "imported"))
    count = sum(1 for _ in target.rglob("*.yaml"))
    print(f"Đã chép {count} tệp kiến thức vào {target}.")
    print("Điền các giá trị VÍ DỤ: trong office.yaml, kiểm tra bằng "
          f"`motcua validate {target}`, rồi cho bot đọc thư mục này:")
    if target.name == "knowledge":
        print(f"  chạy motcua từ {target.parent} (bot tự đọc ./knowledge), hoặc")
    print(f"  motcua --knowledge {target} run   hoặc   MOTCUA_KNOWLEDGE={target} (trong .env)")
    return 0
