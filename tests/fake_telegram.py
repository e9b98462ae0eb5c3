"""A small fake Telegram Bot API server on 127.0.0.1, strict the way Telegram is.

It serves ``/bot<token>/<method>`` for the methods the bot uses, validates like
Telegram (message length after HTML entity parsing, HTML tags and entities, callback
data of 1-64 bytes, button URLs, command names) and answers 400 with Telegram's kind
of description when something is wrong. Tests push updates (text, button presses,
stickers…) and read what the bot sent. ``fail_next`` makes the next calls of a method
fail (429 with retry_after, 500) to test retries.
"""

from __future__ import annotations

import email.parser
import email.policy
import html.parser
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

ALLOWED_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code",
                "pre", "span", "tg-spoiler", "blockquote", "tg-emoji"}
ENTITY = re.compile(r"&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")


class EntityError(ValueError):
    pass


def parse_html(text: str) -> str:
    """Telegram's HTML parse mode: the plain text, or EntityError like Telegram's 400."""
    out, stack, i = [], [], 0
    while i < len(text):
        ch = text[i]
        if ch == "<":
            m = re.match(r"<(/?)([a-zA-Z-]+)((?:\s+[a-z-]+=\"[^\"]*\")*)\s*>", text[i:])
            if not m or m.group(2).lower() not in ALLOWED_TAGS:
                raise EntityError(f"Can't parse entities: unsupported start tag at byte "
                                  f"offset {len(text[:i].encode())}")
            closing, name = m.group(1) == "/", m.group(2).lower()
            if closing:
                if not stack or stack[-1] != name:
                    raise EntityError(f"Can't parse entities: unmatched end tag {name}")
                stack.pop()
            else:
                stack.append(name)
            i += m.end()
        elif ch == "&":
            m = ENTITY.match(text, i)
            if not m:
                raise EntityError("Can't parse entities: character '&' is reserved and must "
                                  "be escaped with the preceding '\\'")
            out.append(html.unescape(m.group(0)))
            i = m.end()
        elif ch == ">":
            raise EntityError("Can't parse entities: character '>' must be escaped")
        else:
            out.append(ch)
            i += 1
    if stack:
        raise EntityError(f"Can't parse entities: can't find end tag corresponding to start "
                          f"tag {stack[-1]}")
    return "".join(out)


class FakeTelegram:
    def __init__(self, token: str = "123456:TEST-token-for-the-fake-server-only",
                 username: str = "motcua_test_bot"):
        self.token = token
        self.username = username
        self.lock = threading.Condition()  # guards everything; wakes getUpdates
        self.chat_events: dict[str, threading.Condition] = {}  # per chat, same lock
        self.updates: list[dict[str, Any]] = []
        self.next_update = 1
        self.next_message = 1
        self.sent: list[dict[str, Any]] = []  # every accepted send, in order
        self.by_chat: dict[str, list[dict[str, Any]]] = {}
        self.calls: list[tuple[str, int]] = []  # (method, HTTP status)
        self.commands: dict[str, list[dict[str, str]]] = {}
        self.webhook: dict[str, Any] | None = None
        self.failures: dict[str, list[tuple[int, dict[str, Any]]]] = {}
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/bot"

    @property
    def file_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/file/bot"

    def start(self) -> "FakeTelegram":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- what tests do --------------------------------------------------------------

    def _push(self, update: dict[str, Any]) -> None:
        with self.lock:
            update["update_id"] = self.next_update
            self.next_update += 1
            self.updates.append(update)
            self.lock.notify_all()

    def _message(self, chat_id: int, user_id: int | None = None, chat_type: str = "private",
                 **content: Any) -> dict[str, Any]:
        user_id = user_id or chat_id
        with self.lock:
            message_id = self.next_message
            self.next_message += 1
        return {"message_id": message_id, "date": int(time.time()),
                "chat": {"id": chat_id, "type": chat_type},
                "from": {"id": user_id, "is_bot": False, "first_name": "Dân"}, **content}

    def push_text(self, chat_id: int, text: str, **kw: Any) -> None:
        message = self._message(chat_id, text=text, **kw)
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0,
                                    "length": len(command.encode("utf-16-le")) // 2}]
        self._push({"message": message})

    def push_content(self, chat_id: int, **content: Any) -> None:
        self._push({"message": self._message(chat_id, **content)})

    def push_edit(self, chat_id: int, text: str) -> None:
        message = self._message(chat_id, text=text)
        message["edit_date"] = int(time.time())
        self._push({"edited_message": message})

    def push_button(self, chat_id: int, data: str, user_id: int | None = None) -> None:
        user_id = user_id or chat_id
        self._push({"callback_query": {
            "id": str(self.next_update), "chat_instance": "1", "data": data,
            "from": {"id": user_id, "is_bot": False, "first_name": "Dân"},
            "message": {"message_id": 1, "date": int(time.time()),
                        "chat": {"id": chat_id, "type": "private"},
                        "from": {"id": 1, "is_bot": True, "first_name": "bot"},
                        "text": "..."}}})

    def fail_next(self, method: str, status: int, times: int = 1, **extra: Any) -> None:
        with self.lock:
            self.failures.setdefault(method, []).extend([(status, extra)] * times)

    def _chat(self, chat_id: int | str) -> threading.Condition:
        key = str(chat_id)
        if key not in self.chat_events:
            self.chat_events[key] = threading.Condition(self.lock)
        return self.chat_events[key]

    def messages_to(self, chat_id: int | str) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.by_chat.get(str(chat_id), []))

    def wait_for(self, chat_id: int | str, count: int, timeout: float = 10.0
                 ) -> list[dict[str, Any]]:
        """Wait until ``count`` messages have been sent to the chat; return them all."""
        deadline = time.monotonic() + timeout
        key = str(chat_id)
        with self.lock:
            event = self._chat(key)
            while True:
                found = self.by_chat.get(key, [])
                left = deadline - time.monotonic()
                if len(found) >= count or left <= 0:
                    return list(found)
                event.wait(left)

    # --- the HTTP side --------------------------------------------------------------

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # else Nagle + delayed ACK add ~40 ms a reply

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                status, payload = fake.dispatch(self.path, self.headers.get("Content-Type", ""),
                                                body)
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client went away (shutdown): nothing to answer

            do_GET = do_POST  # noqa: N815

        return Handler

    def dispatch(self, path: str, content_type: str, body: bytes) -> tuple[int, dict[str, Any]]:
        m = re.fullmatch(r"/bot([^/]+)/(\w+)", path.split("?")[0])
        if not m or m.group(1) != self.token:
            return 401 if m else 404, {"ok": False, "error_code": 401 if m else 404,
                                       "description": "Unauthorized" if m else "Not Found"}
        method = m.group(2)
        params, files = self._params(content_type, body)
        with self.lock:
            queue = self.failures.get(method)
            failure = queue.pop(0) if queue else None
        if failure:
            status, extra = failure
            self.calls.append((method, status))
            description = "Too Many Requests: retry after 1" if status == 429 else \
                "Internal Server Error"
            return status, {"ok": False, "error_code": status, "description": description,
                            **({"parameters": extra} if extra else {})}
        try:
            result = getattr(self, f"api_{method}", self.api_unknown)(params, files)
        except EntityError as exc:
            self.calls.append((method, 400))
            return 400, {"ok": False, "error_code": 400, "description": f"Bad Request: {exc}"}
        except ValueError as exc:
            self.calls.append((method, 400))
            return 400, {"ok": False, "error_code": 400, "description": f"Bad Request: {exc}"}
        self.calls.append((method, 200))
        return 200, {"ok": True, "result": result}

    @staticmethod
    def _params(content_type: str, body: bytes) -> tuple[dict[str, Any], dict[str, bytes]]:
        if content_type.startswith("multipart/form-data"):
            parser = email.parser.BytesParser(policy=email.policy.HTTP)
            message = parser.parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n"
                                        + body)
            params, files = {}, {}
            for part in message.iter_parts():
                name = part.get_param("name", header="content-disposition")
                if part.get_filename():
                    files[name] = (part.get_filename(), part.get_payload(decode=True))
                else:
                    params[name] = part.get_payload(decode=True).decode()
            return params, files
        if content_type.startswith("application/json"):
            return json.loads(body or b"{}"), {}
        return {k: v[0] for k, v in parse_qs(body.decode()).items()}, {}

    # --- methods --------------------------------------------------------------------

    def api_unknown(self, params, files):
        raise ValueError("method not found")

    def api_getMe(self, params, files):  # noqa: N802
        return {"id": 123456, "is_bot": True, "first_name": "Một cửa",
                "username": self.username, "can_join_groups": True,
                "can_read_all_group_messages": False, "supports_inline_queries": False}

    def api_deleteWebhook(self, params, files):  # noqa: N802
        self.webhook = None
        return True

    def api_setWebhook(self, params, files):  # noqa: N802
        if not params.get("url", "").startswith("https://"):
            raise ValueError("bad webhook: An HTTPS URL must be provided for webhook")
        self.webhook = {"url": params["url"], "secret_token": params.get("secret_token")}
        return True

    def api_getUpdates(self, params, files):  # noqa: N802
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        deadline = time.monotonic() + min(timeout, 2.0)
        with self.lock:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
            while not self.updates and time.monotonic() < deadline:
                self.lock.wait(max(0.0, deadline - time.monotonic()))
            return self.updates[:100]

    def api_setMyCommands(self, params, files):  # noqa: N802
        commands = json.loads(params["commands"])
        for command in commands:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", command["command"]):
                raise ValueError("BOT_COMMAND_INVALID")
            if not 1 <= len(command["description"]) <= 256:
                raise ValueError("BOT_COMMAND_DESCRIPTION_INVALID")
        scope = json.loads(params.get("scope") or '{"type": "default"}')
        with self.lock:
            self.commands[json.dumps(scope, sort_keys=True)] = commands
        return True

    def api_answerCallbackQuery(self, params, files):  # noqa: N802
        return True

    def api_sendChatAction(self, params, files):  # noqa: N802
        return True

    def _check_markup(self, params) -> dict[str, Any] | None:
        if not params.get("reply_markup"):
            return None
        markup = json.loads(params["reply_markup"])
        for row in markup.get("inline_keyboard", []):
            for button in row:
                if "callback_data" in button:
                    if not 1 <= len(button["callback_data"].encode()) <= 64:
                        raise ValueError("BUTTON_DATA_INVALID")
                elif "url" in button:
                    if not re.match(r"(https?|tg)://", button["url"]):
                        raise ValueError(f"inline keyboard button URL '{button['url']}' is "
                                         "invalid: Wrong HTTP URL")
                else:
                    raise ValueError("can't parse inline keyboard button")
                if not button.get("text"):
                    raise ValueError("BUTTON_TEXT_EMPTY")
        return markup

    def _record(self, kind: str, params, **extra: Any) -> dict[str, Any]:
        with self.lock:
            message_id = self.next_message
            self.next_message += 1
            record = {"kind": kind, "chat_id": params["chat_id"], "message_id": message_id,
                      "at": time.monotonic(), **extra}
            self.sent.append(record)
            self.by_chat.setdefault(str(params["chat_id"]), []).append(record)
            self._chat(params["chat_id"]).notify_all()
        return {"message_id": message_id, "date": int(time.time()),
                "chat": {"id": int(params["chat_id"]), "type": "private"}}

    def api_sendMessage(self, params, files):  # noqa: N802
        raw = params.get("text", "")
        text = parse_html(raw) if params.get("parse_mode") == "HTML" else raw
        if not text.strip():
            raise ValueError("message text is empty")
        if len(text) > 4096:
            raise ValueError("message is too long")
        markup = self._check_markup(params)
        result = self._record("text", params, text=text, html=raw, reply_markup=markup)
        return {**result, "text": text}

    def api_sendDocument(self, params, files):  # noqa: N802
        if "document" not in files:
            raise ValueError("there is no document in the request")
        name, content = files["document"]
        return self._record("document", params, filename=name, content=content,
                            caption=params.get("caption", ""))
