"""The database schema: each migration runs once, in order, inside one transaction; the
version reached is stored (``Storage`` applies them). Append new ones at the end."""

# Each migration runs once, in order, inside one transaction; the version is stored.
MIGRATIONS: list[list[str]] = [
    [
        """create table questions (id integer primary key, at text, channel text,
           text text, status text, aspect text, top_id text, score float)""",
        "create index idx_questions_status on questions (status)",
        """create table feedback (id integer primary key, ticket text not null unique,
           year integer, seq integer, at text, channel text, user_id text, category text,
           procedure_id text, text text, phone text, status text, answer text,
           first_answer_at text, answered_at text, answered_by text, updated text)""",
        "create index idx_feedback_user on feedback (channel, user_id)",
        "create index idx_feedback_status on feedback (status, at)",
        "create index idx_feedback_at on feedback (at)",
        "create table ticket_seq (year integer primary key, last integer not null)",
        """create table events (id integer primary key, ticket text, at text, actor text,
           action text, detail text)""",
        "create index idx_events_ticket on events (ticket)",
        """create table outbox (id integer primary key, at text, channel text,
           chat_id text, text text, options text, document text, sent_at text,
           attempts integer default 0, error text)""",
        "create index idx_outbox_pending on outbox (channel, sent_at)",
        """create table state (channel text, user_id text, data text, updated text,
           primary key (channel, user_id))""",
    ],
    # the answer item a reply led with ("khai-sinh#tre-han"), or null
    ["alter table questions add column answer text"],
    # the draft a feedback was filed from: a second "Gửi" of the same draft (the bot
    # killed after the commit, before the flow's end was saved) finds the first ticket
    ["alter table feedback add column draft text",
     "create unique index idx_feedback_draft on feedback (channel, user_id, draft) "
     "where draft is not null"],
    # every answer a ticket was given, latest last (feedback.answer keeps the latest);
    # an answer already stored becomes the first row of its ticket's history. ``draft``
    # names the preview a staff member confirmed: a second "Gửi" stores nothing new
    ["""create table answers (id integer primary key, ticket text not null, at text,
        text text not null, staff text, staff_name text, draft text)""",
     "create index idx_answers_ticket on answers (ticket, id)",
     "create unique index idx_answers_draft on answers (ticket, draft) "
     "where draft is not null",
     """insert into answers (ticket, at, text, staff, staff_name)
        select ticket, coalesce(answered_at, first_answer_at, updated, at), answer,
               answered_by, case when answered_by like 'cli:%'
                                 then substr(answered_by, 5) end
        from feedback where answer is not null and trim(answer) != '' order by id"""],
    # Zalo OA (bot/zalo_oa_store.py): the token pair in use (later pairs replace the one
    # given in the environment), events already taken (a redelivered msg_id is answered
    # once), each citizen's last message (the consultation window), and ``held``: an
    # outbox message kept until the citizen writes again
    ["""create table oa_tokens (app_id text primary key, access_token text not null,
        refresh_token text not null, expires_at real, issued_at real, seed text,
        generation integer not null, refreshing_until real)""",
     "create table oa_events (key text primary key, at real not null)",
     "create index idx_oa_events_at on oa_events (at)",
     "create table oa_users (user_id text primary key, last_in real not null)",
     "alter table outbox add column held text"],
    # the staff console (bot/accounts.py): accounts, sessions, login attempts, who a
    # ticket is assigned to, each event's staff name; citizens' 👍/👎 (bot/ratings.py)
    ["""create table staff_accounts (username text primary key, name text,
        hash text not null, chat_id text unique, created text)""",
     """create table console_sessions (id text primary key, username text,
        csrf text not null, created text, seen text)""",
     "create table login_attempts (at text, username text, ip text, ok integer)",
     "create index idx_login_attempts on login_attempts (at)",
     "alter table feedback add column assigned_to text",
     "alter table events add column staff_name text",
     """create table ratings (question_id integer primary key, at text, channel text,
        entry_id text, answer text, useful integer not null)"""],
    # several processes on PostgreSQL (bot/pg.py): an outbox message claimed by one of
    # them until ``claimed_until`` (epoch seconds; a lease), and the messages of the
    # last minute per user (the flood limit). SQLite has one process: neither is used
    ["alter table outbox add column claimed_until real",
     "create table flood (channel text not null, user_id text not null, at real not null)",
     "create index idx_flood_user on flood (channel, user_id, at)"],
]
