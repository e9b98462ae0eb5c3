"""What the fake Telegram and Zalo Bot APIs share: an HTTP server on 127.0.0.1 that
serves ``/bot<token>/<method>``, records what the bot sends per chat, queues updates,
and can be told to fail the next calls of a method."""

from __future__ import annotations

import email.parser
import email.policy
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs


class ApiError(Exception):
    """An error answer: HTTP status, error_code and description."""

    def __init__(self, code: int, description: str, status: int | None = None, **extra: Any):
        super().__init__(description)
        self.code, self.description = code, description
        self.status = code if status is None else status
        self.extra = extra


class FakeBotAPI:
    def __init__(self, token: str):
        self.token = token
        self.lock = threading.Condition()  # guards everything; wakes getUpdates
        self.chat_events: dict[str, threading.Condition] = {}  # per chat, same lock
        self.updates: list[dict[str, Any]] = []
        self.next_update = 1
        self.next_message = 1
        self.sent: list[dict[str, Any]] = []  # every accepted send, in order
        self.by_chat: dict[str, list[dict[str, Any]]] = {}
        self.calls: list[tuple[str, int]] = []  # (method, HTTP status)
        self.failures: dict[str, list[ApiError]] = {}
        self.webhook: dict[str, Any] | None = None
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/bot"

    def start(self):
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- what tests do --------------------------------------------------------------

    def push(self, update: dict[str, Any]) -> None:
        with self.lock:
            update.setdefault("update_id", self.next_update)
            self.next_update += 1
            self.updates.append(update)
            self.lock.notify_all()

    def new_message_id(self) -> int:
        with self.lock:
            self.next_message += 1
            return self.next_message - 1

    def fail_next(self, method: str, status: int, times: int = 1, **extra: Any) -> None:
        """The next ``times`` calls of ``method`` answer ``status`` (429, 500…); status 0
        drops the connection without an answer."""
        description = "Too Many Requests: retry after 1" if status == 429 else \
            "Internal Server Error"
        with self.lock:
            self.failures.setdefault(method, []).extend(
                [ApiError(status, description, **extra)] * times)

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

    def wait_for_text(self, chat_id: int | str, needle: str, after: int = 0,
                      timeout: float = 10.0) -> dict[str, Any] | None:
        """Wait for a message to the chat, from the ``after``-th on, whose text contains
        ``needle`` (other messages, such as staff notices, may come in between)."""
        deadline = time.monotonic() + timeout
        key = str(chat_id)
        with self.lock:
            event = self._chat(key)
            while True:
                found = [m for m in self.by_chat.get(key, [])[after:]
                         if needle in (m.get("text") or "")]
                left = deadline - time.monotonic()
                if found or left <= 0:
                    return found[0] if found else None
                event.wait(left)

    def record(self, kind: str, chat_id: Any, **extra: Any) -> dict[str, Any]:
        """Keep an accepted send and wake whoever waits for that chat."""
        with self.lock:
            record = {"kind": kind, "chat_id": chat_id, "message_id": self.next_message,
                      "at": time.monotonic(), **extra}
            self.next_message += 1
            self.sent.append(record)
            self.by_chat.setdefault(str(chat_id), []).append(record)
            self._chat(chat_id).notify_all()
        return record

    def wait_update(self, timeout: float) -> bool:
        """Hold a long poll until an update is queued or ``timeout`` passes."""
        deadline = time.monotonic() + timeout
        with self.lock:
            while not self.updates and time.monotonic() < deadline:
                self.lock.wait(max(0.0, deadline - time.monotonic()))
            return bool(self.updates)

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
                                                body, self.headers)
                if status == 0:  # a connection reset: hang up without answering
                    self.close_connection = True
                    return
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

    def dispatch(self, path: str, content_type: str, body: bytes, headers: Any = None
                 ) -> tuple[int, dict[str, Any]]:
        m = re.fullmatch(r"/bot([^/]+)/(\w+)", path.split("?")[0])
        if not m or m.group(1) != self.token:
            code = 401 if m else 404
            return code, {"ok": False, "error_code": code,
                          "description": "Unauthorized" if m else "Not Found"}
        method = m.group(2)
        try:
            params, files = self._params(content_type, body)
            with self.lock:
                queue = self.failures.get(method)
                failure = queue.pop(0) if queue else None
            if failure:
                raise failure
            result = getattr(self, f"api_{method}", self.api_unknown)(params, files)
        except ApiError as exc:
            self.calls.append((method, exc.status))
            return exc.status, {"ok": False, "error_code": exc.code,
                                "description": exc.description,
                                **({"parameters": exc.extra} if exc.extra else {})}
        except (ValueError, KeyError) as exc:
            self.calls.append((method, 400))
            return 400, {"ok": False, "error_code": 400, "description": f"Bad Request: {exc}"}
        self.calls.append((method, 200))
        return 200, {"ok": True, "result": result}

    @staticmethod
    def _params(content_type: str, body: bytes) -> tuple[dict[str, Any], dict[str, Any]]:
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

    def api_unknown(self, params, files):
        raise ApiError(404, "Not Found: method not found")
