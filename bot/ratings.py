"""Citizens' ratings of the bot's answers ("Hữu ích? 👍 / 👎"): one per question asked,
a second tap changing it, kept with the entry and the answer item that answered, so
the console can show the rate per entry, the entries with the most 👎 first."""

from __future__ import annotations

from typing import Any

from bot.storage import Storage, now, period_where


def record(storage: Storage, question_id: int, useful: bool) -> str | None:
    """Store the rating of a logged question: "new", "changed", "same", or None when
    there is no such question."""
    question = storage.db.execute("select channel, top_id, answer from questions where id = ?",
                                  [question_id]).fetchone()
    if question is None:
        return None
    before = storage.db.execute("select useful from ratings where question_id = ?",
                                [question_id]).fetchone()
    if before is not None and bool(before[0]) == useful:
        return "same"
    storage.db.execute(
        "insert into ratings (question_id, at, channel, entry_id, answer, useful) "
        "values (?, ?, ?, ?, ?, ?) on conflict (question_id) do update set at = excluded.at, "
        "channel = excluded.channel, entry_id = excluded.entry_id, "
        "answer = excluded.answer, useful = excluded.useful",
        [question_id, now(), *question, int(useful)])
    return "new" if before is None else "changed"


def per_entry(storage: Storage, since: str | None = None, until: str | None = None
              ) -> list[dict[str, Any]]:
    """For each entry rated in the period: 👍, 👎, the share of 👍; most 👎 first."""
    period, params = period_where(since, until)
    where = ["entry_id is not null", *period]
    rows = storage.db.query(
        "select entry_id, sum(useful) as up, sum(1 - useful) as down, count(*) as total "
        f"from ratings where {' and '.join(where)} group by entry_id "
        "order by down desc, total desc, entry_id", params)
    return [{**row, "rate": row["up"] / row["total"]} for row in rows]
