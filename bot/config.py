"""Configuration from the environment and ``office.yaml``. Secrets come only from the
environment (``motcua`` also reads ``./.env``, or the file named by ``MOTCUA_ENV_FILE``,
into it; the real environment wins) and are never logged: ``Config.__repr__`` hides
them. ``database_path`` says which SQLite file a setting means, or refuses it."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from bot.knowledge import Knowledge


def _ids(value: Any, channel: str | None = None) -> set[str]:
    """'telegram:1, zalo:abc' or a list of ids for one channel -> {'telegram:1', ...}."""
    items = value if isinstance(value, list) else str(value or "").split(",")
    out = set()
    for item in items:
        item = str(item).strip()
        if not item:
            continue
        out.add(item if ":" in item or channel is None else f"{channel}:{item}")
    return out


class ConfigError(Exception):
    """A setting that cannot be right, in one Vietnamese line saying what to do."""


def read_env_file(path: str | os.PathLike[str]) -> dict[str, str]:
    values = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line.startswith("export "):
            line = line[len("export "):].strip()
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip().strip('"').strip("'")
    return values


def load_env_file(environ: dict[str, str] | None = None) -> Path | None:
    """Read ``MOTCUA_ENV_FILE``, else ``./.env`` when there is one, into the environment
    without overriding what is already set; the file read (absolute), or None."""
    environ = os.environ if environ is None else environ
    named = environ.get("MOTCUA_ENV_FILE")
    path = Path(named) if named else Path(".env")
    if not named and not path.is_file():
        return None
    try:
        values = read_env_file(path)
    except (OSError, UnicodeDecodeError) as exc:
        reason = "không có tệp này" if isinstance(exc, FileNotFoundError) else \
            "không đọc được (quyền đọc, hoặc tệp không phải UTF-8)"
        raise ConfigError(f"tệp cấu hình {path.absolute()}: {reason}; sửa MOTCUA_ENV_FILE "
                          "hoặc tạo tệp từ .env.example") from exc
    for key, value in values.items():
        environ.setdefault(key, value)
    return path.absolute()


_URL = re.compile(r"^([a-z][a-z0-9+.-]*):(//|[^\\/])", re.IGNORECASE)


def database_path(value: str | os.PathLike[str] | None = None) -> Path | str:
    """The database ``--db``/``MOTCUA_DB`` names: a ``postgresql://`` URL as given (a
    PostgreSQL server, bot/pg.py), else the SQLite file, absolute. Any other URL is
    refused: it would silently become a folder named ``mysql:``. A refused URL is never
    repeated (it may hold a password)."""
    from bot.storage import DEFAULT_DB, is_url

    raw = str(value or os.environ.get("MOTCUA_DB") or DEFAULT_DB)
    if raw == ":memory:":  # SQLite's own name for a database that is never written
        return Path(raw)
    if is_url(raw):
        return raw
    found = _URL.match(raw)
    if found and len(found.group(1)) > 1:  # "C:\\data" is a Windows drive, not a URL
        scheme = found.group(1).lower()
        what = "PostgreSQL" if scheme.startswith("postgres") else f"'{scheme}:'"
        raise ConfigError(f"MOTCUA_DB/--db là một địa chỉ {what} bot không đọc được: hãy đặt "
                          "đường dẫn tệp SQLite (ví dụ data/motcua.db) hoặc địa chỉ "
                          "postgresql://người-dùng@máy/tên-cơ-sở-dữ-liệu")
    return Path(raw).expanduser().absolute()


@dataclass
class Config:
    staff: set[str] = field(default_factory=set)  # "channel:user_id"
    staff_chats: set[str] = field(default_factory=set)  # "channel:chat_id" to notify
    flood_per_minute: int = 20
    feedback_per_day: int = 5
    retention_days: int = 365
    export_dir: Path = Path("data") / "exports"
    telegram_token: str = field(default="", repr=False)
    telegram_base_url: str = "https://api.telegram.org/bot"
    telegram_file_url: str = "https://api.telegram.org/file/bot"
    webhook_secret: str = field(default="", repr=False)
    # Telegram updates handled at once (different users; one user's stay in order).
    telegram_concurrency: int = 8
    # HTTP connections of each channel to its messenger's API: Telegram's Bot API pool,
    # twice that for Zalo's. httpcore scans its whole pool on every request, so a pool
    # larger than needed costs CPU (see bench/telegram_throughput.py). MOTCUA_HTTP_POOL;
    # MOTCUA_TELEGRAM_POOL, its name before Zalo shared it, still works.
    http_pool: int = 4
    zalo_token: str = field(default="", repr=False)
    zalo_base_url: str = "https://bot-api.zaloplatforms.com/bot"
    zalo_webhook_secret: str = field(default="", repr=False)
    # Zalo Official Account (bot/zalo_oa.py): the app linked to the OA, the OA secret key
    # that signs webhook events, the app secret that refreshes tokens, the first pair
    zalo_oa_app_id: str = ""
    zalo_oa_secret_key: str = field(default="", repr=False)
    zalo_oa_app_secret: str = field(default="", repr=False)
    zalo_oa_access_token: str = field(default="", repr=False)
    zalo_oa_refresh_token: str = field(default="", repr=False)
    zalo_oa_api_base_url: str = "https://openapi.zalo.me"
    zalo_oa_oauth_base_url: str = "https://oauth.zaloapp.com"
    # HOST:PORT where ``motcua run`` also serves the staff web console ("": it does not)
    console_listen: str = ""

    @classmethod
    def load(cls, knowledge: Knowledge | None = None,
             env: Mapping[str, str] | None = None) -> "Config":
        env = dict(os.environ if env is None else env)
        office = knowledge.office if knowledge else {}
        staff_conf = office.get("staff") or {}
        staff = _ids(env.get("MOTCUA_STAFF_IDS"))
        for channel in ("telegram", "zalo", "terminal"):
            staff |= _ids(staff_conf.get(channel) or [], channel)
        chats = _ids(env.get("MOTCUA_STAFF_CHAT")) | _ids(staff_conf.get("chat") or "")
        return cls(
            staff=staff,
            staff_chats=chats,
            flood_per_minute=int(env.get("MOTCUA_FLOOD_PER_MINUTE", 20)),
            feedback_per_day=int(env.get("MOTCUA_FEEDBACK_PER_DAY", 5)),
            retention_days=int(env.get("MOTCUA_RETENTION_DAYS", 365)),
            export_dir=Path(env.get("MOTCUA_EXPORT_DIR", Path("data") / "exports")),
            telegram_token=env.get("TELEGRAM_BOT_TOKEN", ""),
            telegram_base_url=env.get("TELEGRAM_API_BASE_URL") or cls.telegram_base_url,
            telegram_file_url=env.get("TELEGRAM_API_FILE_URL") or cls.telegram_file_url,
            webhook_secret=env.get("TELEGRAM_WEBHOOK_SECRET", ""),
            telegram_concurrency=int(env.get("MOTCUA_TELEGRAM_CONCURRENCY", 8)),
            http_pool=int(env.get("MOTCUA_HTTP_POOL", env.get("MOTCUA_TELEGRAM_POOL", 4))),
            zalo_token=env.get("ZALO_BOT_TOKEN", ""),
            zalo_base_url=env.get("ZALO_API_BASE_URL") or cls.zalo_base_url,
            zalo_webhook_secret=env.get("ZALO_WEBHOOK_SECRET", ""),
            zalo_oa_app_id=env.get("ZALO_OA_APP_ID", "").strip(),
            zalo_oa_secret_key=env.get("ZALO_OA_SECRET_KEY", "").strip(),
            zalo_oa_app_secret=env.get("ZALO_OA_APP_SECRET", "").strip(),
            zalo_oa_access_token=env.get("ZALO_OA_ACCESS_TOKEN", "").strip(),
            zalo_oa_refresh_token=env.get("ZALO_OA_REFRESH_TOKEN", "").strip(),
            zalo_oa_api_base_url=(env.get("ZALO_OA_API_BASE_URL")
                                  or cls.zalo_oa_api_base_url).rstrip("/"),
            zalo_oa_oauth_base_url=(env.get("ZALO_OA_OAUTH_BASE_URL")
                                    or cls.zalo_oa_oauth_base_url).rstrip("/"),
            console_listen=env.get("MOTCUA_CONSOLE_LISTEN", "").strip(),
        )

    @property
    def secrets(self) -> list[str]:
        """Every secret setting, for the log filter."""
        return [self.telegram_token, self.zalo_token, self.webhook_secret,
                self.zalo_webhook_secret, self.zalo_oa_secret_key, self.zalo_oa_app_secret,
                self.zalo_oa_access_token, self.zalo_oa_refresh_token]

    def is_staff(self, channel: str, user_id: str) -> bool:
        return f"{channel}:{user_id}" in self.staff
