"""The training tests drive a real bot: the same `start_bot` as tests/bot."""

from tests.bot.conftest import start_bot

__all__ = ["start_bot"]
