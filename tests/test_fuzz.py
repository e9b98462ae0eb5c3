"""Property-based input through the handlers and both adapters: every message gets a
polite reply, nothing escapes, and the fake servers never see a request they refuse."""

import asyncio
import threading

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.config import Config
from bot.storage import Storage
from bot.telegram import TelegramChannel
from bot.zalo import ZaloChannel
from fake_telegram import FakeTelegram
from fake_zalo import FakeZalo
from handlers.conversation import Conversation
from handlers.types import Message

nasty = st.sampled_from([
    "", " ", "\u200b\u200b", "\u202e\u202dabc", "e\u0301\u0301\u0301", "👨‍👩‍👧‍👦" * 20,
    "<b>&amp;</b> & < > \" ' *_[]()~`>#+-=|{}.!", "'; DROP TABLE feedback; --",
    "PA-2026-000001", "/tracuu PA-9999-999999", "/tracuu ../../etc/passwd", "0" * 50,
    "\x00\x01\x02\x07\x1b[31m", "\ufffd", "a" * 4096,
    "/xem PA-2026-000001", "/traloi PA-2026-000001 hi", "/", "//", "/start@other_bot",
    "1", "99999999999999999999", "-1", "ỏ" * 100, "ĐĂNG KÝ KHAI SINH" * 50,
])
text = st.one_of(nasty, st.text(max_size=300), st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)), max_size=4096))
data = st.one_of(st.sampled_from(["m", "m:p", "m:f:ho-tich", "m:k:guide", "e:khai-sinh",
                                  "e:khai-sinh:fee", "e:zzz", "fb", "fb:c:khac", "fb:send",
                                  "fb:del:yes", "s:v:PA-2026-000001", "s:st:x:closed", "o:x",
                                  "x" * 64]), st.text(max_size=64))


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.one_of(text.map(lambda t: ("text", t)), data.map(lambda d: ("button", d)),
                                st.sampled_from([("sticker", ""), ("photo", ""), ("other", "")])),
                      min_size=1, max_size=6))
def test_handlers_always_answer_politely(knowledge, matcher, tmp_path_factory, steps):
    conversation = Conversation(knowledge, Storage(tmp_path_factory.getbasetemp() / "fz.db"),
                                matcher, Config(flood_per_minute=10**6, feedback_per_day=10**6))
    for kind, value in steps:
        msg = Message("zalo", "fuzz", text=value if kind == "text" else "",
                      data=value if kind == "button" else "", kind=kind)
        replies = conversation.handle(msg)
        assert 1 <= len(replies) <= 2, (kind, value)
        for reply in replies:
            assert reply.text.strip()
            assert "Traceback" not in reply.text and "Bot vừa gặp trục trặc" not in reply.text
            assert all(len(o.data.encode()) <= 64 for o in reply.options if o.data)


def _run_loop():
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    return loop, thread, lambda coro: asyncio.run_coroutine_threadsafe(coro, loop).result(30)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(messages=st.lists(text, min_size=1, max_size=4))
def test_telegram_never_sends_what_telegram_refuses(knowledge, matcher, tmp_path_factory,
                                                    messages):
    tmp = tmp_path_factory.mktemp("tgfuzz")
    fake = FakeTelegram().start()
    config = Config(telegram_token=fake.token, telegram_base_url=fake.base_url,
                    telegram_file_url=fake.file_url, flood_per_minute=1000)
    conv = Conversation(knowledge, Storage(tmp / "f.db"), matcher, config)
    channel = TelegramChannel(conv, config)
    loop, thread, run = _run_loop()
    try:
        run(channel.start(poll_timeout=1))
        sendable = [m for m in messages if m]  # Telegram never delivers empty text
        for m in sendable:
            fake.push_text(7, m)
        got = fake.wait_for(7, len(sendable), timeout=20)
        assert len(got) >= len(sendable)
    finally:
        run(channel.stop())
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        fake.stop()
    assert all(status == 200 for _, status in fake.calls), fake.calls


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(messages=st.lists(text, min_size=1, max_size=4))
def test_zalo_never_sends_what_zalo_refuses(knowledge, matcher, tmp_path_factory, messages):
    tmp = tmp_path_factory.mktemp("zfuzz")
    fake = FakeZalo().start()
    config = Config(zalo_token=fake.token, zalo_base_url=fake.base_url, flood_per_minute=1000)
    conv = Conversation(knowledge, Storage(tmp / "f.db"), matcher, config)
    channel = ZaloChannel(conv, config)
    loop, thread, run = _run_loop()
    try:
        run(channel.start())
        for m in messages:
            fake.push_text("z7", m)
        got = fake.wait_for("z7", len(messages), timeout=20)
        assert len(got) >= len(messages)
    finally:
        run(channel.stop())
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        fake.stop()
    assert all(status == 200 or method == "getUpdates" for method, status in fake.calls)
