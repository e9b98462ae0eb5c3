"""What a commune's IT person meets following the README: the folder they edit is the
one read, ./.env is read, settings that cannot be right are refused in one line, and a
bot that cannot start says why in one line (fake servers, closed ports, bound sockets)."""

import json
import os
import socket
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from conftest import ROOT, run_motcua
from fake_telegram import FakeTelegram
from fake_zalo import FakeZalo

# A faq entry no bundled entry is about, added by the office under its own knowledge/.
LOCAL_ENTRY = """\
entries:
  - id: nuoi-chim-yen
    kind: faq
    title: Đăng ký nuôi chim yến trong khu dân cư
    aliases: [nuôi chim yến, nhà nuôi yến, làm nhà yến]
    answer: Hỏi tại Trung tâm Phục vụ hành chính công của xã.
    sources: [Quyết định của UBND tỉnh về quản lý nuôi chim yến]
"""
QUESTION = "nuôi chim yến có phải đăng ký không"


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("MOTCUA_KNOWLEDGE", "MOTCUA_DB", "MOTCUA_ENV_FILE", "PYTHONPATH",
                        "TELEGRAM_BOT_TOKEN", "ZALO_BOT_TOKEN")}
    return {**env, **extra}


def one_line_error(result) -> str:
    """The refusal: exit code non-zero, no traceback, the message on the last line."""
    assert result.returncode != 0, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    return result.stderr.strip().splitlines()[-1]


# --- installed as the README says, the clone's knowledge/ is the one read ---------------


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A git clone of this checkout, installed with ``pip install .`` into a fresh venv
    that borrows this interpreter's packages (so nothing is downloaded)."""
    base = tmp_path_factory.mktemp("deploy")
    clone, venv = base / "motcua-bot", base / "venv"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True, timeout=60)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True,
                   timeout=60)
    python = venv / "bin" / "python"
    own = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig."
                               "get_paths()['purelib'])"], capture_output=True, text=True,
                              check=True).stdout.strip())
    (own / "borrowed.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index",
                    "--no-build-isolation", "."], cwd=clone, check=True, timeout=180,
                   env=clean_env(), capture_output=True)
    return clone, venv / "bin" / "motcua"


def test_an_entry_added_in_the_clone_is_found_by_the_installed_bot(installed):
    clone, motcua = installed
    where = subprocess.run([str(motcua.parent / "python"), "-I", "-c",
                            "import bot.knowledge as k; print(k.default_dir())"],
                           cwd=clone, capture_output=True, text=True, env=clean_env())
    bundled = Path(where.stdout.strip())
    assert "site-packages" in str(bundled) and (bundled / "office.yaml").is_file()
    (clone / "knowledge" / "dia-phuong.yaml").write_text(LOCAL_ENTRY, encoding="utf-8")

    ask = subprocess.run([str(motcua), "ask", "--json", QUESTION], cwd=clone,
                         capture_output=True, text=True, env=clean_env(), timeout=120)
    assert ask.returncode == 0, ask.stderr
    assert json.loads(ask.stdout)["hits"][0]["id"] == "nuoi-chim-yen"  # stdout: pure JSON
    assert ask.stderr.strip() == f"motcua: kiến thức {clone / 'knowledge'}"

    check = subprocess.run([str(motcua), "validate"], cwd=clone, capture_output=True,
                           text=True, env=clean_env(), timeout=120)
    assert check.returncode == 0, check.stdout
    assert check.stdout.splitlines()[-1].startswith(f"{clone / 'knowledge'}: ")
    assert f"kiến thức {clone / 'knowledge'}" in check.stderr

    # elsewhere, without ./knowledge, the bundled copy is read, and said so
    elsewhere = subprocess.run([str(motcua), "ask", "--json", QUESTION], cwd=clone.parent,
                               capture_output=True, text=True, env=clean_env(), timeout=120)
    assert json.loads(elsewhere.stdout)["hits"][:1] != [{"id": "nuoi-chim-yen"}]
    assert all(h["id"] != "nuoi-chim-yen" for h in json.loads(elsewhere.stdout)["hits"])
    assert f"kiến thức {bundled} (bản kèm theo bot" in elsewhere.stderr


def test_dot_env_of_the_clone_is_read_and_the_environment_wins(installed):
    clone, motcua = installed
    (clone / ".env").write_text("# office settings\nMOTCUA_DB=data/from-dotenv.db\n"
                                "export MOTCUA_TERMINAL_USER=\"thu-ky\"\n", encoding="utf-8")
    try:
        chat = subprocess.run([str(motcua), "chat"], cwd=clone, input="/id\n/thoat\n",
                              capture_output=True, text=True, env=clean_env(), timeout=120)
        assert chat.returncode == 0, chat.stderr
        assert (clone / "data" / "from-dotenv.db").is_file()
        assert f".env {clone / '.env'}" in chat.stderr
        assert f"cơ sở dữ liệu {clone / 'data' / 'from-dotenv.db'}" in chat.stderr
        assert "terminal:thu-ky" in chat.stdout  # /id shows the id the .env gave

        env = clean_env(MOTCUA_DB=str(clone / "data" / "from-env.db"))
        listed = subprocess.run([str(motcua), "feedback", "list"], cwd=clone, env=env,
                                capture_output=True, text=True, timeout=120)
        assert "chưa có cơ sở dữ liệu " + str(clone / "data" / "from-env.db") in \
            one_line_error(listed)
    finally:
        (clone / ".env").unlink()


def test_motcua_env_file_names_another_file_and_a_missing_one_is_one_line(tmp_path):
    settings = tmp_path / "motcua.env"
    settings.write_text(f"MOTCUA_DB={tmp_path / 'named.db'}\n", encoding="utf-8")
    result = run_motcua("chat", stdin="/thoat\n", env=clean_env(MOTCUA_ENV_FILE=str(settings)))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "named.db").is_file()
    missing = run_motcua("chat", stdin="/thoat\n",
                         env=clean_env(MOTCUA_ENV_FILE=str(tmp_path / "nope.env")))
    assert one_line_error(missing).startswith(f"motcua: tệp cấu hình {tmp_path / 'nope.env'}")


# --- the knowledge folder of one's own ---------------------------------------------------


def test_init_copies_the_bundled_knowledge_and_refuses_a_folder_in_use(tmp_path):
    target = tmp_path / "knowledge"
    made = run_motcua("init", str(target), env=clean_env())
    assert made.returncode == 0, made.stderr
    assert (target / "office.yaml").is_file() and (target / "procedures").is_dir()
    assert f"--knowledge {target}" in made.stdout and f"chạy motcua từ {tmp_path}" in made.stdout
    (target / "office.yaml").write_text("name: Trung tâm xã Mẫu\n", encoding="utf-8")
    again = run_motcua("init", str(target), env=clean_env())
    assert "không trống" in one_line_error(again) and "--force" in again.stderr
    assert (target / "office.yaml").read_text(encoding="utf-8") == "name: Trung tâm xã Mẫu\n"
    forced = run_motcua("init", str(target), "--force", env=clean_env())
    assert forced.returncode == 0 and "VÍ DỤ:" in (target / "office.yaml").read_text("utf-8")

    # ./knowledge in the current folder comes before the bundled copy; the option and
    # the variable come before it
    (target / "dia-phuong.yaml").write_text(LOCAL_ENTRY, encoding="utf-8")
    here = run_motcua("ask", "--json", QUESTION, cwd=tmp_path, env=clean_env())
    assert json.loads(here.stdout)["hits"][0]["id"] == "nuoi-chim-yen", here.stderr
    other = tmp_path / "other"
    run_motcua("init", str(other), env=clean_env())
    for args, env in (((("--knowledge", str(other))), clean_env()),
                      ((), clean_env(MOTCUA_KNOWLEDGE=str(other)))):
        result = subprocess.run([sys.executable, "-m", "bot.cli", *args, "ask", "--json",
                                 QUESTION], cwd=tmp_path, capture_output=True, text=True,
                                env={**env, "PYTHONPATH": str(ROOT)}, timeout=120)
        assert result.stderr.strip() == f"motcua: kiến thức {other}"
        assert all(h["id"] != "nuoi-chim-yen" for h in json.loads(result.stdout)["hits"])


def test_a_knowledge_folder_that_is_not_there_is_one_line(tmp_path):
    missing = run_motcua("--knowledge", str(tmp_path / "nope"), "run", env=clean_env())
    assert one_line_error(missing) == (f"motcua: không có thư mục kiến thức {tmp_path / 'nope'}: "
                                       "kiểm tra --knowledge hoặc MOTCUA_KNOWLEDGE, hoặc tạo "
                                       "bằng motcua init DIR")
    (tmp_path / "file").write_text("x")
    assert "không có thư mục kiến thức" in one_line_error(
        run_motcua("validate", str(tmp_path / "file"), env=clean_env()))


# --- the database ---------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["postgresql+psycopg://bot:mat-khau@db.example/motcua",
                                 "mysql://bot:mat-khau@localhost/motcua", "sqlite:///data/x.db"])
def test_a_database_url_other_than_postgresql_is_refused_without_creating_anything(tmp_path, url):
    for command in (["run"], ["feedback", "list"], ["ask", "khai sinh"], ["db", "migrate"]):
        result = run_motcua(*command, cwd=tmp_path, env=clean_env(MOTCUA_DB=url))
        line = one_line_error(result)
        assert line.startswith("motcua: MOTCUA_DB/--db là một địa chỉ ") and \
            "bot không đọc được" in line and "postgresql://" in line
        assert "mat-khau" not in result.stderr + result.stdout
    named = "PostgreSQL" if url.startswith("postgres") else f"'{url.split(':')[0]}:'"
    assert f"địa chỉ {named} bot" in one_line_error(run_motcua("--db", url, "chat", cwd=tmp_path,
                                                             env=clean_env()))
    assert list(tmp_path.iterdir()) == []  # no folder "sqlite:", no data/


def test_a_postgresql_server_that_cannot_be_reached_is_one_line_without_the_password(tmp_path):
    url = f"postgresql://bot:mat-khau@/motcua?host={tmp_path / 'no-server'}"
    for command in (["run"], ["feedback", "list"], ["db", "migrate"], ["chat"]):
        result = run_motcua(*command, cwd=tmp_path, env=clean_env(MOTCUA_DB=url))
        line = one_line_error(result)
        assert line.startswith("motcua: cannot connect to PostgreSQL postgresql://bot:***@"), line
        assert "mat-khau" not in result.stderr + result.stdout
    assert list(tmp_path.iterdir()) == []


def test_commands_other_than_run_and_chat_refuse_a_missing_database(tmp_path):
    db = tmp_path / "elsewhere" / "motcua.db"
    for command in (["feedback", "list"], ["feedback", "report", "--year", "2026"],
                    ["feedback", "show", "PA-2026-000001"], ["questions", "unanswered"]):
        result = run_motcua("--db", str(db), *command, env=clean_env())
        assert one_line_error(result) == (
            f"motcua: chưa có cơ sở dữ liệu {db}: chạy lệnh từ thư mục của bot, chỉ đúng "
            "tệp bằng --db hoặc MOTCUA_DB, hoặc thêm --create để tạo tệp mới"), command
        assert "0 phản ánh" not in result.stdout
    assert not db.parent.exists()
    created = run_motcua("--db", str(db), "--create", "feedback", "list", env=clean_env())
    assert created.returncode == 0, created.stderr
    assert db.is_file() and created.stdout.startswith("0 phản ánh")
    assert run_motcua("--db", str(db), "feedback", "list", env=clean_env()).returncode == 0


def test_a_database_folder_that_cannot_be_made_is_one_line(tmp_path):
    (tmp_path / "a-file").write_text("x")
    db = tmp_path / "a-file" / "motcua.db"
    result = run_motcua("--db", str(db), "run", env=clean_env())
    line = one_line_error(result)
    assert line.startswith(f"motcua: không tạo được thư mục {db.parent} cho cơ sở dữ liệu")
    assert "--db hoặc MOTCUA_DB" in line


# --- a bot that cannot start says why in one line ------------------------------------------


def run_bot(tmp_path, *args, **env):
    return subprocess.run([sys.executable, "-m", "bot.cli", "run", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120,
                          env=clean_env(MOTCUA_DB=str(tmp_path / "bot.db"), **env))


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_wrong_tokens_are_named(tmp_path):
    telegram, zalo = FakeTelegram().start(), FakeZalo().start()
    try:
        result = run_bot(tmp_path, TELEGRAM_BOT_TOKEN="123456:not-the-token",
                         TELEGRAM_API_BASE_URL=telegram.base_url)
        assert one_line_error(result).startswith(
            "motcua run: Telegram từ chối token (TELEGRAM_BOT_TOKEN): chép lại đúng token "
            "từ @BotFather")
        assert result.returncode == 1 and "not-the-token" not in result.stderr
        result = run_bot(tmp_path, ZALO_BOT_TOKEN="1:not-the-token",
                         ZALO_API_BASE_URL=zalo.base_url)
        assert one_line_error(result).startswith("motcua run: Zalo từ chối token "
                                                 "(ZALO_BOT_TOKEN)")
    finally:
        telegram.stop()
        zalo.stop()


def test_no_network_is_one_line(tmp_path):
    port = closed_port()
    result = run_bot(tmp_path, TELEGRAM_BOT_TOKEN="123456:some-token",
                     TELEGRAM_API_BASE_URL=f"http://127.0.0.1:{port}/bot")
    assert one_line_error(result) == (
        f"motcua run: không kết nối được tới 127.0.0.1:{port} (Telegram): kiểm tra mạng, "
        "DNS, tường lửa hoặc proxy của máy chủ rồi chạy lại")
    assert "Unclosed" not in result.stderr
    result = run_bot(tmp_path, TELEGRAM_BOT_TOKEN="123456:some-token",
                     TELEGRAM_API_BASE_URL="http://api.telegram.invalid/bot")
    assert "không kết nối được tới api.telegram.invalid (Telegram)" in one_line_error(result)


def test_a_port_in_use_is_one_line_and_the_other_channel_is_stopped(tmp_path):
    telegram, zalo = FakeTelegram().start(), FakeZalo().start()
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    try:
        result = run_bot(tmp_path, "--webhook", "https://bot.example.gov.vn/telegram",
                         "--listen", f"127.0.0.1:{port}", TELEGRAM_BOT_TOKEN=telegram.token,
                         TELEGRAM_API_BASE_URL=telegram.base_url)
        assert one_line_error(result) == (
            f"motcua run: cổng 127.0.0.1:{port} đang có chương trình khác dùng: dừng chương "
            "trình đó, hoặc chọn cổng khác (--listen)")
        result = run_bot(tmp_path, "--zalo-webhook", "https://bot.example.gov.vn/zalo",
                         "--zalo-listen", f"127.0.0.1:{port}", TELEGRAM_BOT_TOKEN=telegram.token,
                         TELEGRAM_API_BASE_URL=telegram.base_url, ZALO_BOT_TOKEN=zalo.token,
                         ZALO_API_BASE_URL=zalo.base_url, ZALO_WEBHOOK_SECRET="s3cret-for-tests-only")
        assert "(--zalo-listen)" in one_line_error(result)
        assert result.returncode == 1
    finally:
        taken.close()
        telegram.stop()
        zalo.stop()


def test_run_says_which_channels_started_on_which_files_and_no_secret(tmp_path):
    import signal

    telegram, zalo = FakeTelegram().start(), FakeZalo().start()
    env = clean_env(MOTCUA_DB=str(tmp_path / "bot.db"), TELEGRAM_BOT_TOKEN=telegram.token,
                    TELEGRAM_API_BASE_URL=telegram.base_url, ZALO_BOT_TOKEN=zalo.token,
                    ZALO_API_BASE_URL=zalo.base_url)
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "run"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = [proc.stderr.readline(), proc.stderr.readline()]
        while "đang chạy" not in lines[-1] and lines[-1]:
            lines.append(proc.stderr.readline())
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)
        telegram.stop()
        zalo.stop()
    assert lines[0] == f"motcua: kiến thức {ROOT / 'knowledge'}; cơ sở dữ liệu {tmp_path / 'bot.db'}\n"
    assert lines[-1] == ("motcua run: đang chạy Telegram (long polling), Zalo (long polling); "
                         "dừng bằng Ctrl+C hoặc SIGTERM\n")
    assert proc.returncode == 0
    assert not any(secret in "".join(lines) for secret in
                   (telegram.token.split(":")[1], zalo.token.split(":")[1]))


def test_database_path_reads_files_and_postgresql_urls_and_refuses_other_urls(tmp_path, monkeypatch):
    from bot.config import ConfigError, database_path

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MOTCUA_DB", raising=False)
    assert database_path() == tmp_path / "data" / "motcua.db"
    assert database_path("x/bot.db") == tmp_path / "x" / "bot.db"
    assert database_path(":memory:") == Path(":memory:")
    monkeypatch.setenv("MOTCUA_DB", "/srv/motcua/bot:1.db")  # a colon in a file name is fine
    assert database_path() == Path("/srv/motcua/bot:1.db")
    for url in ("postgresql+psycopg://u:p@h/db", "mysql://h/db", "postgres:user@host"):
        with pytest.raises(ConfigError):
            database_path(url)
    for url in ("postgresql://bot@db.example/motcua", "postgres://localhost/motcua"):
        assert database_path(url) == url  # a PostgreSQL server (bot/pg.py)


def test_the_installed_console_ships_its_pages_and_stylesheet(installed, tmp_path):
    """``pip install .`` carries the console's templates and CSS (package data)."""
    import signal
    import urllib.request

    clone, motcua = installed
    port = closed_port()  # free, nothing listens there
    proc = subprocess.Popen([str(motcua), "--db", str(tmp_path / "c.db"), "console",
                             "--listen", f"127.0.0.1:{port}"], cwd=tmp_path,
                            env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        line = proc.stderr.readline()
        while line and "trang cán bộ ở" not in line:
            line = proc.stderr.readline()
        assert f"http://127.0.0.1:{port}" in line
        page = urllib.request.urlopen(f"http://127.0.0.1:{port}/dang-nhap", timeout=10)
        assert "Đăng nhập" in page.read().decode() and "motcua_phien" in page.headers[
            "Set-Cookie"]
        css = urllib.request.urlopen(f"http://127.0.0.1:{port}/static/console.css", timeout=10)
        assert b"--brand" in css.read()
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0 and "Traceback" not in err, err


def test_a_console_port_in_use_is_one_line(tmp_path):
    telegram = FakeTelegram().start()
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    try:
        result = run_motcua("--db", str(tmp_path / "c.db"), "console", "--listen",
                            f"127.0.0.1:{port}", env=clean_env())
        assert one_line_error(result) == (
            f"motcua console: cổng 127.0.0.1:{port} của trang cán bộ đang có chương trình "
            "khác dùng: dừng chương trình đó hoặc chọn cổng khác (MOTCUA_CONSOLE_LISTEN, "
            "--listen)")
        result = run_bot(tmp_path, TELEGRAM_BOT_TOKEN=telegram.token,
                         TELEGRAM_API_BASE_URL=telegram.base_url,
                         MOTCUA_CONSOLE_LISTEN=f"127.0.0.1:{port}")
        assert one_line_error(result).startswith(f"motcua run: cổng 127.0.0.1:{port} của trang "
                                                 "cán bộ")
        assert result.returncode == 1
    finally:
        taken.close()
        telegram.stop()
