"""The Discord layer's one error tree: every refusal and failure the bot itself raises.

Each is a `GenAIError` (genai_models.errors), so it carries a code whose message the catalogue
holds in both languages, and `bot.interactions.errors` answers all of them alike: privately, in
the user's language, with one log line. The database's own failures live with it
(bot.storage.errors); the models' with them (genai_models.errors).
"""

from __future__ import annotations

from genai_models.errors import GenAIError, InvalidInputError


class FairUseError(GenAIError):
    """The request is refused for now: it can be made again later, or elsewhere."""

    default_code = "cooldown"
    codes = frozenset({"too_many_jobs", "queue_full", "not_allowed_here", "not_allowed_role"})


class OptionValueError(GenAIError):
    """An option value the published command would not accept."""

    default_code = "option_invalid"
    codes = frozenset({"option_missing", "option_unknown", "option_range", "option_length", "option_choice"})


class SettingsRefusedError(GenAIError):
    """/settings by someone who may not change the server's settings, or with no database."""

    default_code = "settings_admins_only"
    codes = frozenset({"settings_unavailable", "persona_flagged", "trainers_role_unused"})


class AttachmentError(InvalidInputError):
    """A Discord attachment that is not an image, too big, or could not be downloaded."""

    codes = frozenset(
        {
            "attachment_not_image",
            "attachment_too_large",
            "attachment_too_many_pixels",
            "attachment_unreadable",
        }
    )


class CommandTimeoutError(GenAIError):
    """A model call took longer than the bot allows for one command."""

    default_code = "command_timeout"


class ModelNotLoadedError(GenAIError):
    """The digit model is not loaded (still starting, or this process runs without it)."""

    default_code = "model_loading"


class StaleComponentError(GenAIError):
    """A button or select whose state is gone: sent by an older release, or its stored state
    pruned with the audit log."""

    default_code = "buttons_expired"


class FeatureOffError(GenAIError):
    """A press on a button of a feature this bot no longer offers (an operator turned it off):
    saying so beats "these buttons have expired", which invites running a command that is gone."""

    default_code = "poems_off"


class MessageCommandError(GenAIError):
    """A message command (Apps → …) used on a message that has nothing for it to work on."""

    default_code = "message_without_text"
    codes = frozenset({"message_without_image"})
