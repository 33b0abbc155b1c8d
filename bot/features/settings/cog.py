"""/settings (a server's admins set how the bot works there) and /preferences (a user's own).

Every value is checked against the operator's bounds (bot.guild_rules.model) and refused with
the same sentence an out-of-range option gets; every change is stored with its audit row and
applies at once, in every shard process (bot.guild_rules.cache). Replies are ephemeral: only
the person who changed something needs to read it.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.exceptions import OptionValueError, SettingsRefusedError
from bot.fair_use.limits import COMMAND_RESOURCES
from bot.features.settings.embeds import preferences_embed, setting_name, settings_embed, shown, shown_change
from bot.guild_rules import model
from bot.interactions.embeds import CONTENT_LIMIT, clip
from bot.interactions.i18n import Lang, command_text, interaction_language, text
from bot.interactions.installs import IN_SERVERS, SERVER_INSTALL
from bot.interactions.responses import uninterrupted
from bot.interactions.server_context import manages_server, reply_language, rules_of
from bot.ops.logs import user_hash
from genai_models.errors import ContentFlaggedError
from genai_models.text import FORMS

if TYPE_CHECKING:
    from bot.client import GenAIBot

log = logging.getLogger(__name__)

Choice = app_commands.Choice
COMMAND_CHOICES = [Choice(name=command_text(f"settings-command.{c}"), value=c) for c in COMMAND_RESOURCES]
FORM_CHOICES = [Choice(name=command_text(f"form.{f}"), value=f) for f in FORMS][:25]
LANGUAGE_CHOICES = [
    Choice(name=command_text(f"language.{code}"), value=code) for code in model.REPLY_LANGUAGES
]
ACTION_CHOICES = [
    Choice(name=command_text("action.allow"), value="allow"),
    Choice(name=command_text("action.deny"), value="deny"),
    Choice(name=command_text("action.remove"), value="remove"),
]
MARK_CHOICES = [
    Choice(name=command_text("mark.on"), value="on"),
    Choice(name=command_text("mark.off"), value="off"),
]
TRAINER_CHOICES = [
    Choice(name=command_text("trainers.admins"), value="admins"),
    Choice(name=command_text("trainers.role"), value="role"),
    Choice(name=command_text("trainers.nobody"), value="nobody"),
]
# What `/settings reset` can put back to the operator's value, and the keys each one covers.
RESETS: dict[str, tuple[str, ...]] = {
    "cooldowns": model.COOLDOWN_KEYS,
    "jobs_per_user": ("jobs_per_user",),
    "channels": ("allowed_channels", "denied_channels"),
    "roles": ("allowed_roles", "denied_roles"),
    "persona": ("persona",),
    "poem_form": ("poem_form",),
    "language": ("language",),
    "image_mark": ("image_mark",),
    "trainers": ("trainers", "trainer_role"),
}
RESET_CHOICES = [Choice(name=command_text(f"setting.{key}"), value=key) for key in RESETS]
PREFERENCE_LANGUAGE_CHOICES = [
    *LANGUAGE_CHOICES,
    Choice(name=command_text("preferences-language.auto"), value="auto"),
]
PREFERENCE_FORM_CHOICES = [
    *FORM_CHOICES[:24],
    Choice(name=command_text("preferences-poem-form.auto"), value="auto"),
]


class ChatChannel(app_commands.Transformer):
    """A channel picker offering only channels where commands are run (text, announcement,
    voice and stage chats, threads): the access lists match the interaction's own channel, so a
    category, a forum or a media channel could never match. The value is Discord's resolved
    channel, as AppCommandChannel gives it, needing no cache."""

    @property
    def type(self) -> discord.AppCommandOptionType:
        return discord.AppCommandOptionType.channel

    @property
    def channel_types(self) -> list[discord.ChannelType]:
        kinds = discord.ChannelType
        return [
            kinds.text,
            kinds.news,
            kinds.voice,
            kinds.stage_voice,
            kinds.public_thread,
            kinds.private_thread,
            kinds.news_thread,
        ]

    async def transform(self, interaction: discord.Interaction, value: Any) -> Any:
        return value


class Settings(commands.Cog):
    """A server's own rules, and each user's own preferences."""

    # A server's rules are set where the server added the bot; a user's preferences go with
    # them everywhere, their own install included.
    settings = app_commands.Group(
        name="settings",
        description=command_text("settings.description"),
        allowed_installs=SERVER_INSTALL,
        allowed_contexts=IN_SERVERS,
        default_permissions=discord.Permissions(manage_guild=True),
    )
    preferences = app_commands.Group(name="preferences", description=command_text("preferences.description"))

    def __init__(self, bot: GenAIBot) -> None:
        self.bot = bot
        self.rules = bot.server_rules

    # -- /settings ----------------------------------------------------------------------------

    def _require(self, interaction: discord.Interaction, *, admin: bool = True) -> None:
        """Admins only for /settings (Discord hides it from others, but a server can override
        that, and a forged request ignores it); both groups need the database."""
        if not self.rules.stored:
            raise SettingsRefusedError(code="settings_unavailable")
        if admin and (interaction.guild_id is None or not manages_server(interaction)):
            log.info(
                "/%s refused to user %s: not an admin",
                interaction.command.qualified_name,
                user_hash(interaction.user.id),
            )
            raise SettingsRefusedError(code="settings_admins_only")

    @settings.command(name="show", description=command_text("settings-show.description"))
    async def settings_show(self, interaction: discord.Interaction) -> None:
        self._require(interaction)
        rules = await self.rules.rules(interaction.guild_id)
        await interaction.response.send_message(
            embed=settings_embed(rules, interaction_language(interaction)), ephemeral=True
        )

    @settings.command(name="cooldown", description=command_text("settings-cooldown.description"))
    @app_commands.describe(
        command=command_text("settings-cooldown.command"), seconds=command_text("settings-cooldown.seconds")
    )
    @app_commands.choices(command=COMMAND_CHOICES)
    async def settings_cooldown(
        self,
        interaction: discord.Interaction,
        command: str,
        seconds: app_commands.Range[float, 0.0, model.MAX_COOLDOWN_S],
    ) -> None:
        self._require(interaction)
        value = model.check_cooldown(command, seconds, self.rules.bounds, option="seconds")
        await self._set(interaction, f"cooldown.{command}", value)

    @settings.command(name="jobs-per-user", description=command_text("settings-jobs.description"))
    @app_commands.describe(count=command_text("settings-jobs.count"))
    async def settings_jobs(
        self, interaction: discord.Interaction, count: app_commands.Range[int, 1, 1000]
    ) -> None:
        self._require(interaction)
        value = model.check_jobs_per_user(count, self.rules.bounds, option="count")
        await self._set(interaction, "jobs_per_user", value)

    @settings.command(name="channel", description=command_text("settings-channel.description"))
    @app_commands.describe(
        action=command_text("settings-channel.action"), channel=command_text("settings-channel.channel")
    )
    @app_commands.choices(action=ACTION_CHOICES)
    async def settings_channel(
        self,
        interaction: discord.Interaction,
        action: str,
        channel: app_commands.Transform[app_commands.AppCommandChannel, ChatChannel],
    ) -> None:
        self._require(interaction)
        await self._list_change(interaction, "channels", action, channel.id)

    @settings.command(name="role", description=command_text("settings-role.description"))
    @app_commands.describe(
        action=command_text("settings-role.action"), role=command_text("settings-role.role")
    )
    @app_commands.choices(action=ACTION_CHOICES)
    async def settings_role(self, interaction: discord.Interaction, action: str, role: discord.Role) -> None:
        self._require(interaction)
        await self._list_change(interaction, "roles", action, role.id)

    @settings.command(name="persona", description=command_text("settings-persona.description"))
    @app_commands.describe(text=command_text("settings-persona.text"))
    async def settings_persona(
        self,
        interaction: discord.Interaction,
        text: app_commands.Range[str, 1, model.MAX_PERSONA_CHARS] | None = None,
    ) -> None:
        self._require(interaction)
        if text is None:
            await self._set(interaction, "persona", None)
            return
        persona = model.check_persona(text)
        # Moderation is a request to the text service: it may outlast Discord's 3 s.
        await uninterrupted(interaction.response.defer(ephemeral=True, thinking=True))
        if self.bot.poet is not None:
            try:
                await self.bot.poet.check_input(persona)
            except ContentFlaggedError:
                raise SettingsRefusedError(code="persona_flagged") from None
        await self._set(interaction, "persona", persona)

    @settings.command(name="poem-form", description=command_text("settings-poem-form.description"))
    @app_commands.describe(form=command_text("settings-poem-form.form"))
    @app_commands.choices(form=FORM_CHOICES)
    async def settings_poem_form(self, interaction: discord.Interaction, form: str) -> None:
        self._require(interaction)
        await self._set(interaction, "poem_form", model.check_form(form, option="form"))

    @settings.command(name="language", description=command_text("settings-language.description"))
    @app_commands.describe(language=command_text("settings-language.language"))
    @app_commands.choices(language=LANGUAGE_CHOICES)
    async def settings_language(self, interaction: discord.Interaction, language: str) -> None:
        self._require(interaction)
        value = model.check_choice(language, model.REPLY_LANGUAGES, option="language")
        await self._set(interaction, "language", value)

    @settings.command(name="image-mark", description=command_text("settings-image-mark.description"))
    @app_commands.describe(mark=command_text("settings-image-mark.mark"))
    @app_commands.choices(mark=MARK_CHOICES)
    async def settings_image_mark(self, interaction: discord.Interaction, mark: str) -> None:
        self._require(interaction)
        await self._set(
            interaction, "image_mark", model.check_choice(mark, ("on", "off"), option="mark") == "on"
        )

    @settings.command(name="trainers", description=command_text("settings-trainers.description"))
    @app_commands.describe(
        who=command_text("settings-trainers.who"), role=command_text("settings-trainers.role")
    )
    @app_commands.choices(who=TRAINER_CHOICES)
    async def settings_trainers(
        self, interaction: discord.Interaction, who: str, role: discord.Role | None = None
    ) -> None:
        self._require(interaction)
        model.check_choice(who, model.TRAINERS, option="who")
        if who == "role" and role is None:
            raise OptionValueError(code="option_missing", option="role")
        if who != "role" and role is not None:  # kept silently, it would read as set
            raise SettingsRefusedError(code="trainers_role_unused")
        role_id = role.id if role is not None else None
        await self._set(interaction, "trainers", who, also={"trainer_role": role_id})

    @settings.command(name="reset", description=command_text("settings-reset.description"))
    @app_commands.describe(setting=command_text("settings-reset.setting"))
    @app_commands.choices(setting=RESET_CHOICES)
    async def settings_reset(self, interaction: discord.Interaction, setting: str) -> None:
        self._require(interaction)
        keys = RESETS[model.check_choice(setting, tuple(RESETS), option="setting")]
        await self._set(interaction, keys[0], None, also=dict.fromkeys(keys[1:]))

    async def _list_change(self, interaction: discord.Interaction, kind: str, action: str, item: int) -> None:
        model.check_choice(action, ("allow", "deny", "remove"), option="action")
        rules = rules_of(interaction)
        lists = {name: [i for i in rules[f"{name}_{kind}"] if i != item] for name in ("allowed", "denied")}
        if action != "remove":
            lists["allowed" if action == "allow" else "denied"].append(item)
        for items in lists.values():
            if len(items) > model.MAX_LISTED:
                raise OptionValueError(code="option_range", option=kind, minimum=0, maximum=model.MAX_LISTED)
        allowed, denied = lists["allowed"], lists["denied"]
        await self._set(
            interaction, f"allowed_{kind}", allowed or None, also={f"denied_{kind}": denied or None}
        )

    async def _set(
        self, interaction: discord.Interaction, key: str, value: Any, *, also: dict[str, Any] | None = None
    ) -> None:
        """Store `key` (and the keys of `also`, which change with it), then say old → new."""
        lang = interaction_language(interaction)
        guild_id, actor = interaction.guild_id, interaction.user.id
        before = await self.rules.rules(guild_id)
        for other, other_value in (also or {}).items():
            await self.rules.set_guild(guild_id, other, other_value, actor_id=actor)
        await self.rules.set_guild(guild_id, key, value, actor_id=actor)
        after = await self.rules.rules(guild_id)
        log.info("settings of guild %s: %s changed by %s", guild_id, key, user_hash(actor))
        keys = [k for k in (key, *(also or {})) if before[k] != after[k]]
        if not keys:  # "0 s → 0 s" would read as a change
            value = shown(key, after[key], lang)
            lines = [text("settings_unchanged", lang, setting=setting_name(key, lang), value=value)]
        else:
            lines = [_change_line(k, before[k], after[k], lang) for k in keys]
        # What an admin trying the change out would otherwise take for a change that did nothing.
        notes = {NOTES[k.partition(".")[0]] for k in keys if k.partition(".")[0] in NOTES}
        if self.bot.poet is None and {"persona", "poem_form"} & set(keys):
            notes.add("settings_note_no_poems")  # kept for when the operator sets poems up
        lines += [f"-# {text(note, lang)}" for note in sorted(notes)]
        message = clip("\n".join(lines), CONTENT_LIMIT)
        if interaction.response.is_done():
            await interaction.followup.send(message, ephemeral=True)
        else:
            await interaction.response.send_message(message, ephemeral=True)

    # -- /preferences -------------------------------------------------------------------------

    @preferences.command(name="show", description=command_text("preferences-show.description"))
    async def preferences_show(self, interaction: discord.Interaction) -> None:
        self._require(interaction, admin=False)
        found = await self.rules.preferences(interaction.user.id)
        await interaction.response.send_message(
            embed=preferences_embed(found, interaction_language(interaction)), ephemeral=True
        )

    @preferences.command(name="language", description=command_text("preferences-language.description"))
    @app_commands.describe(language=command_text("preferences-language.language"))
    @app_commands.choices(language=PREFERENCE_LANGUAGE_CHOICES)
    async def preferences_language(self, interaction: discord.Interaction, language: str) -> None:
        self._require(interaction, admin=False)
        model.check_choice(language, (*model.REPLY_LANGUAGES, "auto"), option="language")
        await self._prefer(interaction, "language", None if language == "auto" else language)

    @preferences.command(name="poem-form", description=command_text("preferences-poem-form.description"))
    @app_commands.describe(form=command_text("preferences-poem-form.form"))
    @app_commands.choices(form=PREFERENCE_FORM_CHOICES)
    async def preferences_poem_form(self, interaction: discord.Interaction, form: str) -> None:
        self._require(interaction, admin=False)
        if form != "auto":
            model.check_form(form, option="form")
        await self._prefer(interaction, "poem_form", None if form == "auto" else form)

    @preferences.command(name="forget", description=command_text("preferences-forget.description"))
    async def preferences_forget(self, interaction: discord.Interaction) -> None:
        self._require(interaction, admin=False)
        # Deferred first: going through every poem written together can outlast Discord's 3 s,
        # and the user must hear that their data is gone.
        await uninterrupted(interaction.response.defer(ephemeral=True, thinking=True))
        await self.rules.forget_user(interaction.user.id)
        for forget in self.bot.forgetters:  # what the features keep: poems written together
            await forget(interaction.user.id)
        log.info("user %s asked to be forgotten: preferences deleted", user_hash(interaction.user.id))
        await interaction.edit_original_response(
            content=text("preferences_forgotten", interaction_language(interaction))
        )

    async def _prefer(self, interaction: discord.Interaction, key: str, value: str | None) -> None:
        await self.rules.set_preference(interaction.user.id, key, value)
        found = await self.rules.preferences(interaction.user.id)
        # The reply itself already speaks a newly chosen language.
        lang = reply_language(interaction.locale, found, rules_of(interaction))
        await interaction.response.send_message(embed=preferences_embed(found, lang), ephemeral=True)


# Settings whose change an admin cannot see for themselves: admins skip cooldowns, and a
# server's language is only for members whose Discord speaks neither of the bot's languages.
NOTES = {"cooldown": "settings_note_cooldown", "language": "settings_note_language"}


def _change_line(key: str, old: Any, new: Any, lang: Lang) -> str:
    """One changed setting as its admin reads it back: old → new, or a list's entries in and out."""
    setting = setting_name(key, lang)
    if isinstance(old, tuple | list) or isinstance(new, tuple | list):
        return text("settings_list_changed", lang, setting=setting, change=shown_change(key, old, new, lang))
    return text(
        "settings_changed", lang, setting=setting, old=shown(key, old, lang), new=shown(key, new, lang)
    )


async def setup(bot: GenAIBot) -> None:
    await bot.add_cog(Settings(bot))
