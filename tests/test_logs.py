import logging

from bot.logs import Redact


def test_tokens_and_numbers_are_redacted_from_records_and_tracebacks():
    redact = Redact(["my-webhook-secret"])
    record = logging.LogRecord("x", logging.ERROR, __file__, 1,
                               "POST https://api.telegram.org/bot%s/sendMessage to %s (%s)",
                               ("123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw", "0912345678",
                                "my-webhook-secret"), None)
    try:
        raise ValueError("token 123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw in traceback")
    except ValueError:
        import sys
        record.exc_info = sys.exc_info()
    assert redact.filter(record)
    text = logging.Formatter().format(record)
    assert "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw" not in text
    assert "0912345678" not in text and "*******678" in text
    assert "my-webhook-secret" not in text and "<token>" in text
