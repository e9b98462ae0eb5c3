"""A fake Telegram Bot API on 127.0.0.1, strict the way Telegram is.

It validates like Telegram (message length after HTML entity parsing, HTML tags and
entities, callback data of 1-64 bytes, button URLs, command names) and answers 400
with Telegram's kind of description when something is wrong. Tests push updates
(text, button presses, stickers…) and read what the bot sent.
"""

from __future__ import annotations

import html
import json
import re
import time
import urllib.error
import urllib.request
from typing import Any

from fake_api import ApiError, FakeBotAPI

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



class FakeTelegram(FakeBotAPI):
    def __init__(self, token: str = "123456:TEST-token-for-the-fake-server-only",
                 username: str = "motcua_test_bot"):
        super().__init__(token)
        self.username = username
        self.commands: dict[str, list[dict[str, str]]] = {}

    @property
    def file_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/file/bot"

    # --- what tests do --------------------------------------------------------------

    def _message(self, chat_id: int, user_id: int | None = None, chat_type: str = "private",
                 **content: Any) -> dict[str, Any]:
        user_id = user_id or chat_id
        return {"message_id": self.new_message_id(), "date": int(time.time()),
                "chat": {"id": chat_id, "type": chat_type},
                "from": {"id": user_id, "is_bot": False, "first_name": "Dân"}, **content}

    def text_update(self, chat_id: int, text: str, **kw: Any) -> dict[str, Any]:
        message = self._message(chat_id, text=text, **kw)
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0,
                                    "length": len(command.encode("utf-16-le")) // 2}]
        return {"message": message}

    def push_text(self, chat_id: int, text: str, **kw: Any) -> None:
        self.push(self.text_update(chat_id, text, **kw))

    def post_webhook(self, url: str, update: dict[str, Any], secret: str) -> int:
        """POST an update to a bot's webhook as Telegram does (its secret in
        X-Telegram-Bot-Api-Secret-Token); the HTTP status, 0 when nobody answers."""
        with self.lock:
            update = {**update, "update_id": self.next_update}
            self.next_update += 1
        request = urllib.request.Request(url, data=json.dumps(update).encode(), headers={
            "Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": secret})
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return answer.status
        except urllib.error.HTTPError as exc:
            return exc.code
        except OSError:  # refused, reset, timed out: the process is gone
            return 0

    def push_content(self, chat_id: int, **content: Any) -> None:
        self.push({"message": self._message(chat_id, **content)})

    def push_edit(self, chat_id: int, text: str) -> None:
        message = self._message(chat_id, text=text)
        message["edit_date"] = int(time.time())
        self.push({"edited_message": message})

    def push_button(self, chat_id: int, data: str, user_id: int | None = None) -> None:
        self.push(self.button_update(chat_id, data, user_id))

    def button_update(self, chat_id: int, data: str, user_id: int | None = None
                      ) -> dict[str, Any]:
        user_id = user_id or chat_id
        return ({"callback_query": {
            "id": str(self.next_update), "chat_instance": "1", "data": data,
            "from": {"id": user_id, "is_bot": False, "first_name": "Dân"},
            "message": {"message_id": 1, "date": int(time.time()),
                        "chat": {"id": chat_id, "type": "private"},
                        "from": {"id": 1, "is_bot": True, "first_name": "bot"},
                        "text": "..."}}})

    def staff_answers(self, staff: int, ticket: str, text: str) -> dict[str, Any]:
        """What a staff member does to answer: /traloi, then "Gửi" under the preview;
        returns the preview."""
        before = len(self.messages_to(staff))
        self.push_text(staff, f"/traloi {ticket} {text}")
        preview = self.wait_for_text(staff, "Xem trước", after=before)
        assert preview, self.messages_to(staff)[before:]
        send = [b["callback_data"] for row in preview["reply_markup"]["inline_keyboard"]
                for b in row if b["text"].endswith("Gửi")]
        self.push_button(staff, send[0])
        return preview

    # --- methods --------------------------------------------------------------------

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
        with self.lock:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        self.wait_update(min(float(params.get("timeout") or 0), 2.0))
        with self.lock:
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

    def _result(self, record: dict[str, Any]) -> dict[str, Any]:
        return {"message_id": record["message_id"], "date": int(time.time()),
                "chat": {"id": int(record["chat_id"]), "type": "private"}}

    def api_sendMessage(self, params, files):  # noqa: N802
        raw = params.get("text", "")
        try:
            text = parse_html(raw) if params.get("parse_mode") == "HTML" else raw
        except EntityError as exc:
            raise ApiError(400, f"Bad Request: {exc}") from exc
        if not text.strip():
            raise ValueError("message text is empty")
        if len(text) > 4096:
            raise ValueError("message is too long")
        markup = self._check_markup(params)
        record = self.record("text", params["chat_id"], text=text, html=raw,
                             reply_markup=markup)
        return {**self._result(record), "text": text}

    def api_sendDocument(self, params, files):  # noqa: N802
        if "document" not in files:
            raise ValueError("there is no document in the request")
        name, content = files["document"]
        return self._result(self.record("document", params["chat_id"], filename=name,
                                        content=content, caption=params.get("caption", "")))
