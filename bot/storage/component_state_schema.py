"""What a press on a message's buttons needs when it does not fit in their custom ids.

A poem's buttons (Another, Translate, Rewrite as…, New topic) need its topic, form and language,
and Translate the poem itself: up to a few thousand characters, where a custom id holds 100.
One row per message, written when the message is finished and deleted with the audit log's
retention (bot.ops.audit), so a month-old poem's buttons work while the audit log keeps its row.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.schema import Base, UTCDateTime, utc_now


class ComponentState(Base):
    __tablename__ = "component_states"

    message_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(16))  # whose state: "poem"
    state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now, index=True)
