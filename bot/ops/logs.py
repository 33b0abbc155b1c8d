"""Log output: the usual text lines, or one JSON object per line for log collectors.

Per-interaction lines carry `command`, `user` (a hash of the user id: an operator who knows an id
can check it, a reader of the logs cannot recover it), `guild`, `duration_ms` and `outcome` as
structured fields. Tokens, keys and prompts are never among them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging

STRUCTURED_FIELDS = ("command", "user", "guild", "duration_ms", "outcome", "queued_ms")


def user_hash(user_id: int) -> str:
    """A stable pseudonym for a Discord user id, the same in logs, metrics and the audit."""
    return hashlib.sha256(f"genai-bot-user:{user_id}".encode()).hexdigest()[:16]


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in STRUCTURED_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)
