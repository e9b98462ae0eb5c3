"""The staff web console (``motcua console``, or ``motcua run`` with
MOTCUA_CONSOLE_LISTEN): feedback, answers, dashboard and the questions the bot could
not answer, in a browser, on the bot's own database."""
