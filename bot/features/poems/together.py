"""Write with me: a poem written together, a person's line, then the poet's, up to MAX_LINES.

Under a finished poem, its owner's Write with me opens a form for a first line; the poem
written together starts in a new message (the poem stays as it was), on its topic and in its
language. Under that message, Write with me opens the form for the next line, and the owner's
Open to everyone lets anyone in the channel write the people's lines (Only me closes it again);
every line is credited to its author. Each line sent goes the way a topic goes: cleaned and
bounded (`clean_line`), moderated (`Poet.check_input`), counted as a /poem in the fair-use queue;
the poet's line after it has /poem's deadline, caps and output moderation. A press while the
poet writes is told, privately, to wait for its line. A poem with MAX_LINES lines is finished:
its message says who wrote which lines and offers no more buttons.

Everything lives in the database by message (bot.features.poems.together_state), and the form's
own submit is read from the interaction, not from a form kept in memory (`on_line_submitted`),
so a press, or a form opened before a restart and sent after it, takes the poem up where it was.
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import discord

from bot.exceptions import StaleComponentError
from bot.features.poems.embeds import together_embed
from bot.features.poems.together_state import Line, SharedPoem
from bot.interactions.embeds import clip
from bot.interactions.errors import mark_started, report_error, send_ephemeral
from bot.interactions.i18n import Lang, interaction_language, text
from bot.interactions.responses import uninterrupted
from bot.interactions.server_context import rules_of
from bot.interactions.views import OwnedItem, persistent_view
from bot.ops.audit import AUDIT_OPTIONS, MAX_OPTION_CHARS
from bot.ops.logs import user_hash
from genai_models.errors import ContentFlaggedError
from genai_models.text import MAX_LINE_CHARS, MAX_LINES, NextLineRequest, clean_line, next_line_of

if TYPE_CHECKING:
    from bot.features.poems.cog import Poems

log = logging.getLogger(__name__)

NAME = "PoemView.together"
LINE_FORM = re.compile(r"poem:line:(?P<message>[0-9]{1,20})")
LINE_FIELD = "line"
PLACEHOLDER_CHARS = 100  # Discord's limit on a text field's placeholder


def together_button(owner_id: int, lang: Lang, *, enabled: bool = True) -> TogetherButton:
    button = discord.ui.Button(
        label=text("poem_together", lang), style=discord.ButtonStyle.primary, emoji="✍️", disabled=not enabled
    )
    return TogetherButton(owner_id, button=button)


def together_controls(poem: SharedPoem, lang: Lang) -> discord.ui.View | None:
    """Write with me, Open to everyone (or Only me) and Finish here under a poem written
    together; none under a finished one."""
    if poem.finished:
        return None
    toggle = discord.ui.Button(
        label=text("poem_together_close" if poem.open else "poem_together_open", lang),
        style=discord.ButtonStyle.secondary,
        emoji="🔒" if poem.open else "🔓",
    )
    end = discord.ui.Button(
        label=text("poem_together_end", lang), style=discord.ButtonStyle.secondary, emoji="🏁"
    )
    return persistent_view(
        together_button(poem.owner_id, lang),
        TogetherOwnerButton("open", poem.owner_id, button=toggle),
        TogetherOwnerButton("end", poem.owner_id, button=end),
    )


def _cog(interaction: discord.Interaction) -> Poems:
    cog = interaction.client.get_cog("Poems")  # type: ignore[union-attr]
    if cog is None:  # this process runs without a text endpoint now
        raise StaleComponentError()
    return cog  # type: ignore[return-value]


def message_fields(poem: SharedPoem, *, writing: bool) -> dict[str, Any]:
    """The message fields of `poem`, in its message's language (`reader`)."""
    return {
        "embed": together_embed(poem, lang=poem.reader, writing=writing),
        "view": together_controls(poem, poem.reader),
    }


def refusal(poem: SharedPoem, user_id: int, lang: Lang) -> str | None:
    """Why `user_id` may not write the next line of `poem` now (None: they may)."""
    if poem.finished:
        return text("poem_together_finished", lang)
    if not poem.may_write(user_id):
        return text("poem_together_closed", lang, owner=f"<@{poem.owner_id}>")
    if poem.writing:
        return text("poem_together_wait", lang, number=len(poem.lines) + 1)
    return None


_OWNER = r"(?P<owner>[0-9]{1,20})"


class TogetherButton(discord.ui.DynamicItem[discord.ui.Button], template=r"poem:together:" + _OWNER):
    """Write with me: under a poem, its owner starts a poem written together; under a poem
    written together, whoever may write the next line opens the form for it."""

    def __init__(self, owner_id: int, *, button: discord.ui.Button) -> None:
        button.custom_id = f"poem:together:{owner_id}"
        super().__init__(button)
        self.owner_id = owner_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str], /
    ) -> TogetherButton:
        return cls(int(match["owner"]), button=item)

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        from bot.interactions.admission import admit  # it imports this layer's errors too

        mark_started(interaction)
        try:
            lang, message = interaction_language(interaction), interaction.message
            cog = _cog(interaction)
            if message is None:
                raise StaleComponentError()
            shared = await cog.shared.load(message.id)
            if shared is not None:
                self.number = len(shared.lines) + 1
                self.after = shared.lines[-1].text if shared.lines else None
                why = refusal(shared, interaction.user.id, lang)
            elif await cog.states.load(message.id) is None:
                raise StaleComponentError()
            else:  # a poem: its owner starts one written together
                self.number, self.after = 1, None
                why = None
                if interaction.user.id != self.owner_id:
                    why = text("not_your_poem_buttons", lang, owner=f"<@{self.owner_id}>")
            if why is not None:
                await interaction.response.send_message(why, ephemeral=True)
                return False
            # The form is the press's answer; its line counts as a /poem when it is sent.
            return await admit(interaction, command=NAME, gated=None)
        except Exception as exc:
            await report_error(interaction, exc)
            return False

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            lang = interaction_language(interaction)
            modal = line_form(interaction.message.id, lang, number=self.number, after=self.after)  # type: ignore[union-attr]
            await interaction.response.send_modal(modal)
            # Its submit is read by `on_line_submitted`, in this process or the next one, so
            # discord.py is not to hold the form in memory.
            modal.stop()
        except Exception as exc:
            await report_error(interaction, exc)


def line_form(message_id: int, lang: Lang, *, number: int, after: str | None) -> discord.ui.Modal:
    """The form for line `number` of the poem in (or started from) `message_id`'s message;
    its placeholder quotes the line it follows."""
    title = text("poem_together_form_title", lang)
    modal = discord.ui.Modal(title=title, custom_id=f"poem:line:{message_id}")
    hint = text("poem_together_after", lang, line=after) if after else text("poem_together_first_hint", lang)
    field = discord.ui.TextInput(
        custom_id=LINE_FIELD, min_length=1, max_length=MAX_LINE_CHARS,
        placeholder=clip(hint, PLACEHOLDER_CHARS),
    )  # fmt: skip
    label = text("poem_together_form_label", lang, number=number, total=MAX_LINES)
    modal.add_item(discord.ui.Label(text=label, component=field))
    return modal


class TogetherOwnerButton(
    OwnedItem,
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"poem:together-(?P<action>open|end):" + _OWNER,
):
    """The owner's: Open to everyone / Only me (whether anyone in the channel may write the
    people's lines), and Finish here (the poem ends with the lines it has)."""

    not_yours = "not_your_poem_buttons"

    def __init__(self, action: str, owner_id: int, *, button: discord.ui.Button) -> None:
        button.custom_id = f"poem:together-{action}:{owner_id}"
        super().__init__(button)
        self.action = action
        self.owner_id = owner_id
        self.name = f"PoemView.together_{action}"

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str], /
    ) -> TogetherOwnerButton:
        return cls(match["action"], int(match["owner"]), button=item)

    async def press(self, interaction: discord.Interaction) -> None:
        cog, message, lang = _cog(interaction), interaction.message, interaction_language(interaction)
        async with cog.together_lock:
            shared = await cog.shared.load(message.id) if message else None
            if shared is None or message is None:
                raise StaleComponentError()
            if self.action == "end" and shared.writing:  # its line is on its way: not lost
                why = text("poem_together_wait", lang, number=len(shared.lines) + 1)
                await interaction.response.send_message(why, ephemeral=True)
                return
            changed = {"open": not shared.open} if self.action == "open" else {"ended": True}
            shared = replace(shared, **changed)
            await cog.shared.save(message.id, shared)
        await interaction.response.edit_message(**message_fields(shared, writing=shared.writing))
        what = "finished" if shared.finished else "opened" if shared.open else "closed"
        log.info("poem written together %s by %s", what, user_hash(self.owner_id))


async def on_line_submitted(cog: Poems, interaction: discord.Interaction) -> None:
    """An `on_interaction` listener: a line sent from the form, whichever process opened it."""
    if interaction.type is not discord.InteractionType.modal_submit:
        return
    data: dict[str, Any] = interaction.data or {}  # type: ignore[assignment]
    match = LINE_FORM.fullmatch(data.get("custom_id", ""))
    if match is None:
        return
    try:
        await _take_line(cog, interaction, int(match["message"]), _submitted(data))
    except Exception as exc:
        await report_error(interaction, exc)


def _submitted(data: dict[str, Any]) -> str:
    """The line field's text in a modal submit's components (rows or labels)."""
    for top in data.get("components", []):
        for component in [top.get("component") or {}, *top.get("components", [])]:
            if component.get("custom_id") == LINE_FIELD:
                return str(component.get("value") or "")
    return ""


async def _take_line(cog: Poems, interaction: discord.Interaction, message_id: int, raw: str) -> None:
    """A person's line for the poem in `message_id`'s message (or, under a poem, the first
    line of one written together): checked, admitted as a /poem, moderated, then answered."""
    from bot.interactions.admission import admit  # it imports this layer's errors too

    mark_started(interaction)
    lang = interaction_language(interaction)
    shared, start = await cog.shared.load(message_id), None
    if shared is None:
        start = await cog.states.load(message_id)
        if start is None:
            raise StaleComponentError()
    elif (why := refusal(shared, interaction.user.id, lang)) is not None:
        await send_ephemeral(interaction, why)  # before admission: it spends no fair use
        return
    line = clean_line(raw)  # a blank or over-long line is refused at once, privately
    if not await admit(interaction, command=NAME, gated="poem", update=start is None):
        return
    if not interaction.response.is_done():  # deferred already if it waited its turn
        await uninterrupted(interaction.response.defer(thinking=start is not None))  # a start: a new message
    try:
        await cog.poet.check_input(line)
    except ContentFlaggedError as exc:
        await _show_as_kept(cog, interaction, message_id)
        raise ContentFlaggedError(stage="line", categories=exc.categories) from None
    if start is not None:
        shared = SharedPoem(
            owner_id=interaction.user.id, topic=start.request.topic, language=start.request.language,
            reader=lang, model=cog.poet.model,
        )  # fmt: skip
        # Its buttons come once its state is kept: no press comes before what it acts on.
        first = shared.with_line(Line(line, shared.owner_id), writing=True)
        embed = together_embed(first, lang=lang, writing=True)
        placed = await interaction.edit_original_response(embed=embed)
        message_id = placed.id
    await _add_line(cog, interaction, message_id, line, new=shared if start is not None else None)


async def _add_line(
    cog: Poems, interaction: discord.Interaction, message_id: int, line: str, *, new: SharedPoem | None
) -> None:
    """The person's line joins the poem (`new`: the one it starts), if it is still theirs to
    write (presses in between may have changed that), and the poet answers it."""
    lang, user_id = interaction_language(interaction), interaction.user.id
    async with cog.together_lock:
        current = new or await cog.shared.load(message_id)
        why = text("poem_together_finished", lang) if current is None else refusal(current, user_id, lang)
        if current is not None and why is None:
            taken = current.with_line(Line(line, user_id), writing=True)
            await cog.shared.save(message_id, taken)
    if why is not None:  # someone else's line got in first: theirs back, to send again
        await _show_as_kept(cog, interaction, message_id)
        await send_ephemeral(interaction, f"{why}\n> {line}")
        return
    await interaction.edit_original_response(**message_fields(taken, writing=True))
    interaction.extras[AUDIT_OPTIONS] = audit_options(message_id, taken)
    await _poet_turn(cog, interaction, message_id, taken, started=new is not None)


async def _poet_turn(
    cog: Poems, interaction: discord.Interaction, message_id: int, poem: SharedPoem, *, started: bool
) -> None:
    """The poet's line after the person's last one, then the poem as it stands, in its message."""
    request = NextLineRequest(
        topic=poem.topic, lines=tuple(line.text for line in poem.lines), language=poem.language,
        style=rules_of(interaction).persona,
    )  # fmt: skip
    try:
        async with cog.poet.write_line(request) as stream:
            written = await stream.final()
        line = next_line_of(written.text)
    except BaseException:
        await _take_back(cog, interaction, message_id, poem, started=started)
        raise
    async with cog.together_lock:
        current = await cog.shared.load(message_id) or poem
        done = replace(current, model=written.model).with_line(Line(line, None), writing=False)
        await cog.shared.save(message_id, done)
    interaction.extras[AUDIT_OPTIONS] = audit_options(message_id, done)
    await interaction.edit_original_response(**message_fields(done, writing=False))
    log.info(
        "poem written together: line %d of %d for user %s%s",
        len(done.lines), MAX_LINES, user_hash(interaction.user.id), ", finished" if done.finished else "",
    )  # fmt: skip


async def _take_back(
    cog: Poems, interaction: discord.Interaction, message_id: int, poem: SharedPoem, *, started: bool
) -> None:
    """The poet could not answer: the person's line is taken back (they are told why, and may
    send it again), and the poem shows as it was. A poem that never got past that first line
    is forgotten: its message goes with the error's private answer."""
    if started:
        await cog.shared.forget(message_id)
        return
    async with cog.together_lock:
        current = await cog.shared.load(message_id)
        if current is None or current.lines != poem.lines:
            return
        current = replace(current, lines=current.lines[:-1], writing_since=None)
        await cog.shared.save(message_id, current)
    try:
        await interaction.edit_original_response(**message_fields(current, writing=False))
    except discord.HTTPException as exc:
        log.warning("could not restore a poem written together: %s", exc)


async def _show_as_kept(cog: Poems, interaction: discord.Interaction, message_id: int) -> None:
    """Show the poem as the database keeps it, where a wait in the queue replaced it with a
    place in line (a refusal then leaves the poem as it was)."""
    if not interaction.response.is_done() or interaction.response.type is not (
        discord.InteractionResponseType.deferred_message_update
    ):
        return
    current = await cog.shared.load(message_id)
    if current is None:
        return
    try:
        await interaction.edit_original_response(**message_fields(current, writing=current.writing))
    except discord.HTTPException as exc:
        log.warning("could not restore a poem written together: %s", exc)


def audit_options(message_id: int, poem: SharedPoem) -> dict[str, Any]:
    """What the audit log keeps of a turn: the message, the topic, and every line with its
    author, a hashed user id or "model" (never a raw id)."""
    return {
        "message_id": message_id,
        "topic": poem.topic[:MAX_OPTION_CHARS],
        "lines": [{"by": _audited_author(line), "text": line.text[:MAX_OPTION_CHARS]} for line in poem.lines],
        "finished": poem.finished,
    }


def _audited_author(line: Line) -> str:
    if line.by_model:
        return "model"
    return "forgotten" if line.by_someone_forgotten else user_hash(line.author)
