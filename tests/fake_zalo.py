"""A fake Zalo Bot Platform API on 127.0.0.1, shaped after the documented one
(../shared/zalo-bot-api.md): POST JSON, ``{ok, result}`` envelope, getUpdates returning
at most one update and 408 when none came, sendMessage text of 1-2000 characters
(UTF-16 units), setWebhook needing HTTPS and an 8-256 character secret."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any

from fake_api import ApiError, FakeBotAPI


class FakeZalo(FakeBotAPI):
    def __init__(self, token: str = "1459232241454765289:zalo-fake-secret-for-tests"):
        super().__init__(token)

    # --- what tests do --------------------------------------------------------------

    def update(self, chat_id: str, event: str = "message.text.received",
               **message: Any) -> dict[str, Any]:
        return {"event_name": event, "message": {
            "from": {"id": chat_id, "display_name": "Dân", "is_bot": False},
            "chat": {"id": chat_id, "chat_type": "PRIVATE"},
            "message_id": f"m{self.new_message_id():08d}", "date": int(time.time() * 1000),
            **message}}

    def push_text(self, chat_id: str, text: str) -> None:
        self.push(self.update(chat_id, text=text))

    def push_event(self, chat_id: str, event: str, **message: Any) -> None:
        self.push(self.update(chat_id, event, **message))

    @staticmethod
    def post_webhook(url: str, body: dict[str, Any], secret: str | None) -> int:
        """POST an update to the bot's webhook as Zalo would; returns the HTTP status."""
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers["X-Bot-Api-Secret-Token"] = secret
        request = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers)
        try:
            return urllib.request.urlopen(request, timeout=10).status
        except urllib.error.HTTPError as exc:
            return exc.code

    # --- methods --------------------------------------------------------------------

    def api_getMe(self, params, files):  # noqa: N802
        return {"id": self.token.split(":")[0], "account_name": "bot.MotCua",
                "account_type": "BASIC", "can_join_groups": False}

    def api_getUpdates(self, params, files):  # noqa: N802
        if self.webhook:
            raise ApiError(400, "Bad Request: webhook is set", status=200)
        timeout = min(float(params.get("timeout") or 30), 2.0)
        if not self.wait_update(timeout):
            raise ApiError(408, "Request timeout", status=200)
        with self.lock:
            update = self.updates.pop(0)
        update.pop("update_id", None)
        return update

    def api_setWebhook(self, params, files):  # noqa: N802
        url, secret = params.get("url", ""), params.get("secret_token", "")
        if not url.startswith("https://") or not 8 <= len(secret) <= 256:
            raise ApiError(400, "Bad Request: url must be https and secret_token 8-256 chars")
        self.webhook = {"url": url, "secret_token": secret}
        return {"url": url, "updated_at": int(time.time() * 1000)}

    def api_deleteWebhook(self, params, files):  # noqa: N802
        self.webhook = None
        return {"url": "", "updated_at": int(time.time() * 1000)}

    def api_getWebhookInfo(self, params, files):  # noqa: N802
        return {"url": (self.webhook or {}).get("url", ""), "updated_at": 0}

    def api_sendChatAction(self, params, files):  # noqa: N802
        return None

    def api_sendMessage(self, params, files):  # noqa: N802
        text = params.get("text", "")
        size = len(text.encode("utf-16-le")) // 2
        if not 1 <= size <= 2000:
            raise ApiError(400, f"Bad Request: text must be 1-2000 characters, got {size}")
        record = self.record("text", params["chat_id"], text=text)
        return {"message_id": f"s{record['message_id']:08d}", "date": int(time.time() * 1000)}
