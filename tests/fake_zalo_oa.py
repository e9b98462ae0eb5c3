"""A fake Zalo Official Account on 127.0.0.1: the OA Open API v3 and OAuth v4 the bot
uses, strict where Zalo is (sources: docs/zalo-oa.md).

- Events go to the bot's webhook signed as Zalo signs them: ``X-ZEvent-Signature:
  mac=sha256(app_id + raw body + timestamp + OA secret key)``; tests can also send them
  unsigned or forged, and get the HTTP status back.
- ``POST /v3.0/oa/message/cs`` answers HTTP 200 with ``error``: -216 for an unknown or
  revoked access token, -220 for an expired one, -201/-210 for a bad or too long text,
  bad buttons (at most 5; titles up to 100 characters; payloads up to 1,000), -230 when
  the citizen has not written for ``window`` seconds (7 days). It can be held (a gate) to
  show that the bot answers Zalo before it replies.
- ``POST /v4/oa/access_token`` wants the app secret in ``secret_key``; each refresh
  token works once; overlapping refreshes are counted. ``lifetime`` sets ``expires_in``.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import parse_qs

from fake_api import FakeBotAPI

BUTTON_TYPES = {"oa.open.url", "oa.query.show", "oa.query.hide", "oa.open.sms",
                "oa.open.phone"}


class OAError(Exception):
    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code, self.message = code, message


class FakeZaloOA(FakeBotAPI):
    def __init__(self, app_id: str = "4318727355839473170",
                 secret_key: str = "oa-secret-key-for-tests-only",
                 app_secret: str = "app-secret-for-tests-only", lifetime: float = 90000):
        super().__init__(token="")
        self.app_id, self.secret_key, self.app_secret = app_id, secret_key, app_secret
        self.lifetime = lifetime
        self.window = 7 * 86400.0
        self.webhook_url = ""
        self.access: dict[str, float | None] = {}  # token -> expiry (epoch), None: never
        self.revoked: set[str] = set()
        self.refresh_used: dict[str, bool] = {}
        self.refreshes: list[tuple[str, bool]] = []  # (refresh token, accepted)
        self.rejected: list[tuple[str, int]] = []  # calls refused for their token
        self.window_refused: list[str] = []  # users a message was refused for (-230)
        self.overlaps = 0  # refreshes that started while another was under way
        self._refreshing = 0
        self.last_in: dict[str, float] = {}  # user -> when they last wrote to the OA
        self.gate = threading.Event()
        self.gate.set()
        self.blocked = 0  # sends waiting at the gate
        self.lifetimes: list[float | None] = []  # of every pair issued
        self.pairs = 0
        self.first = self.issue(None)  # the pair an office copies into the environment
        self.next_msg = 1

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def env(self, port: int) -> dict[str, str]:
        self.webhook_url = f"http://127.0.0.1:{port}/zalo-oa"
        return {"ZALO_OA_APP_ID": self.app_id, "ZALO_OA_SECRET_KEY": self.secret_key,
                "ZALO_OA_APP_SECRET": self.app_secret, "ZALO_OA_ACCESS_TOKEN": self.first[0],
                "ZALO_OA_REFRESH_TOKEN": self.first[1], "ZALO_OA_API_BASE_URL": self.base_url,
                "ZALO_OA_OAUTH_BASE_URL": self.base_url}

    # --- tokens ----------------------------------------------------------------------

    def issue(self, lifetime: float | None) -> tuple[str, str]:
        with self.lock:
            self.pairs += 1
            n = self.pairs
            access = f"oa-access-{n}-" + "x" * 40
            refresh = f"oa-refresh-{n}-" + "y" * 40
            self.access[access] = None if lifetime is None else time.time() + lifetime
            self.refresh_used[refresh] = False
            self.lifetimes.append(lifetime)
            self.latest = (access, refresh)
        return access, refresh

    def pairs_issued_with(self, lifetime: float) -> int:
        with self.lock:
            return self.lifetimes.count(lifetime)

    def newest(self) -> tuple[str, str]:
        with self.lock:
            return self.latest

    def revoke(self) -> None:
        """Every access token issued so far stops working (-216)."""
        with self.lock:
            self.revoked |= set(self.access)

    def refresh_tokens_spent(self) -> list[str]:
        with self.lock:
            return [t for t, used in self.refresh_used.items() if used]

    # --- events to the bot -----------------------------------------------------------

    def event(self, user: str, name: str = "user_send_text", text: str | None = None,
              **extra: Any) -> dict[str, Any]:
        with self.lock:
            self.next_msg += 1
            msg_id = f"{self.next_msg:020x}"
        body: dict[str, Any] = {"app_id": self.app_id, "event_name": name,
                                "timestamp": str(int(time.time() * 1000)),
                                "user_id_by_app": f"9{user}"}
        if name in ("follow", "unfollow"):
            body |= {"oa_id": "3662729599332560487", "follower": {"id": user},
                     "source": "oa_profile"}
        else:
            body |= {"sender": {"id": user}, "recipient": {"id": "3662729599332560487"},
                     "message": {"msg_id": msg_id, **({"text": text} if text is not None
                                                      else {})}}
        body.update(extra)
        return body

    def mac(self, raw: bytes, timestamp: str) -> str:
        import hashlib

        return hashlib.sha256(self.app_id.encode() + raw + timestamp.encode()
                              + self.secret_key.encode()).hexdigest()

    def deliver(self, body: dict[str, Any], signature: str | None = "good",
                retry_for: float = 0.0) -> int:
        """POST an event to the bot's webhook; ``signature`` "good" signs it as Zalo
        does, None sends none, anything else is sent as the header. Returns the status."""
        raw = json.dumps(body, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json"}
        if signature == "good":
            headers["X-ZEvent-Signature"] = f"mac={self.mac(raw, body.get('timestamp', ''))}"
            user = (body.get("sender") or body.get("follower") or {}).get("id")
            if user:
                with self.lock:
                    self.last_in[str(user)] = time.time()
        elif signature is not None:
            headers["X-ZEvent-Signature"] = signature
        deadline = time.monotonic() + retry_for
        while True:
            request = urllib.request.Request(self.webhook_url, data=raw, headers=headers)
            try:
                return urllib.request.urlopen(request, timeout=10).status
            except urllib.error.HTTPError as exc:
                return exc.code
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def push_text(self, user: Any, text: str) -> None:
        """A citizen writes (the interface bench/telegram_throughput.measure drives)."""
        status = self.deliver(self.event(str(user), text=text), retry_for=60)
        assert status == 200, status

    def press(self, user: str, button: dict[str, Any]) -> int:
        """Tap a button the bot sent: its payload comes back as the citizen's text."""
        assert button["type"] in ("oa.query.show", "oa.query.hide"), button
        return self.deliver(self.event(user, text=button["payload"]), retry_for=5)

    def age(self, user: str, days: float) -> None:
        """The citizen's last message was ``days`` ago, as far as Zalo knows."""
        with self.lock:
            self.last_in[user] = time.time() - days * 86400

    # --- the HTTP side ---------------------------------------------------------------

    def dispatch(self, path: str, content_type: str, body: bytes, headers: Any = None
                 ) -> tuple[int, dict[str, Any]]:
        path = path.split("?")[0]
        headers = headers or {}
        with self.lock:  # fail_next("message/cs", -32 | 502 | 0): Zalo error, HTTP, hang-up
            queue = self.failures.get("/".join(path.split("/")[-2:]))
            failure = queue.pop(0) if queue else None
        if failure is not None:
            self.calls.append((path, failure.code))
            if failure.code == 0:
                return 0, {}
            if failure.code < 0:
                return 200, {"error": failure.code, "message": "Your OA reached limit call api"}
            return failure.code, {"error": failure.code, "message": failure.description}
        try:
            if path == "/v4/oa/access_token":
                result = self.oauth(headers, parse_qs(body.decode()))
            elif path == "/v3.0/oa/message/cs":
                result = self.message_cs(headers, json.loads(body or b"{}"))
            elif path == "/v2.0/oa/getoa":
                self.check_token(headers, path)
                result = {"data": {"oa_id": "3662729599332560487",
                                   "name": "Trung tâm PVHCC (thử nghiệm)"}}
            else:
                return 404, {"error": 404, "message": "not found"}
        except OAError as exc:
            self.calls.append((path, exc.code))
            return 200, {"error": exc.code, "message": exc.message}
        self.calls.append((path, 0))
        return 200, {"error": 0, "message": "Success", **result}

    def check_token(self, headers: Any, path: str) -> None:
        token = headers.get("access_token", "")
        with self.lock:
            known = token in self.access and token not in self.revoked
            expiry = self.access.get(token)
        if not known:
            self.rejected.append((path, -216))
            raise OAError(-216, "Access token is invalid")
        if expiry is not None and time.time() > expiry:
            self.rejected.append((path, -220))
            raise OAError(-220, "access_token is expired or removed")

    def oauth(self, headers: Any, form: dict[str, list[str]]) -> dict[str, Any]:
        with self.lock:
            self._refreshing += 1
            if self._refreshing > 1:
                self.overlaps += 1
        try:
            time.sleep(0.15)  # long enough for overlapping refreshes to be seen
            if headers.get("secret_key", "") != self.app_secret:
                raise OAError(-14003, "Invalid secret key")
            if form.get("app_id", [""])[0] != self.app_id or \
                    form.get("grant_type", [""])[0] != "refresh_token":
                raise OAError(-14001, "Invalid app id or grant type")
            token = form.get("refresh_token", [""])[0]
            with self.lock:
                good = self.refresh_used.get(token) is False
                if good:
                    self.refresh_used[token] = True
                self.refreshes.append((token, good))
            if not good:
                raise OAError(-14014, "Invalid refresh token")
            access, refresh = self.issue(self.lifetime)
            return {"access_token": access, "refresh_token": refresh,
                    "expires_in": str(int(self.lifetime))}
        finally:
            with self.lock:
                self._refreshing -= 1

    def message_cs(self, headers: Any, body: dict[str, Any]) -> dict[str, Any]:
        self.check_token(headers, "/v3.0/oa/message/cs")
        user = str((body.get("recipient") or {}).get("user_id") or "")
        message = body.get("message") or {}
        text = message.get("text")
        if not user:
            raise OAError(-201, "user_id is invalid")
        if not isinstance(text, str) or not text.strip():
            raise OAError(-201, "text is invalid")
        if len(text.encode("utf-16-le")) // 2 > 2000:
            raise OAError(-210, "Parameter exceeds allowable limit: text")
        buttons = self.check_attachment(message.get("attachment"))
        with self.lock:
            last = self.last_in.get(user)
        if last is None or time.time() - last > self.window:
            self.window_refused.append(user)
            raise OAError(-230, "User has not interacted with the OA in the past 7 days")
        with self.lock:
            self.blocked += 0 if self.gate.is_set() else 1
        self.gate.wait(30)
        with self.lock:
            self.blocked = max(0, self.blocked - 1) if self.blocked else 0
        record = self.record("text", user, text=text, buttons=buttons)
        return {"data": {"message_id": f"{record['message_id']:032x}", "user_id": user,
                         "quota": {"quota_type": "reply", "remain": "7", "total": "8"}}}

    @staticmethod
    def check_attachment(attachment: Any) -> list[dict[str, Any]]:
        if attachment is None:
            return []
        payload = attachment.get("payload") if isinstance(attachment, dict) else None
        found = (payload or {}).get("buttons") if isinstance(payload, dict) else None
        if attachment.get("type") != "template" or not isinstance(found, list) or \
                not 1 <= len(found) <= 5:
            raise OAError(-201, "attachment is invalid")
        for button in found:
            title, kind, data = button.get("title"), button.get("type"), button.get("payload")
            if not isinstance(title, str) or not 1 <= len(title) <= 100 or \
                    kind not in BUTTON_TYPES:
                raise OAError(-201, "button is invalid")
            if kind.startswith("oa.query.") and not (
                    isinstance(data, str) and 1 <= len(data) <= 1000):
                raise OAError(-201, "button payload is invalid")
            if kind == "oa.open.url" and not str((data or {}).get("url", "")).startswith(
                    ("http://", "https://")):
                raise OAError(-201, "button url is invalid")
        return found
