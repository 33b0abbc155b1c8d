"""Embeds and files within Discord's limits, labelled AI-generated."""

from __future__ import annotations

from types import SimpleNamespace

from bot.features.digits.embeds import digits_reply, handwriting_reply, latent_map_reply, morph_reply
from bot.features.poems.embeds import STREAM_CURSOR, poem_embed
from bot.features.training.embeds import format_duration, training_embed, training_reply
from bot.interactions.embeds import EMBED_DESCRIPTION_LIMIT, EMBED_TITLE_LIMIT, clip, inert_links


def test_clip_keeps_short_text_and_marks_a_cut():
    assert clip("abc", 5) == "abc"
    clipped = clip("x" * 5000, 4096)
    assert len(clipped) == 4096
    assert clipped.endswith("…")


def test_links_in_model_text_keep_their_words_but_cannot_be_clicked():
    assert inert_links("[free Nitro](https://phish.example/x) now") == "free Nitro now"
    assert inert_links("[a](<https://q.example>)") == "a"
    assert inert_links("see (https://x.example/y_z), or WWW.x.example.") == (
        "see (`https://x.example/y_z`), or `WWW.x.example`."
    )
    assert inert_links("*la luna* _canta_ **fuerte**") == "*la luna* _canta_ **fuerte**"  # markdown stays
    escaped = inert_links(r"\[free](https://phish.example)")  # a person's line, escaped first
    assert escaped == r"\[free](`https://phish.example`)"


def test_a_streaming_poem_stays_within_the_description_limit_with_its_cursor_and_label():
    embed = poem_embed("verso " * 2000, topic="t", lang="en", model="m", streaming=True)
    assert len(embed.description) <= EMBED_DESCRIPTION_LIMIT
    assert embed.description.endswith(STREAM_CURSOR)
    assert embed.footer.text == "AI-generated · m"  # labelled while it is still being written


def test_a_finished_poem_is_labelled_ai_generated_with_the_model():
    embed = poem_embed("luna", topic="la luna", lang="es", model="gpt-test")
    assert embed.footer.text == "Generado con IA · gpt-test"
    assert embed.title == "Un poema sobre la luna"


def test_a_very_long_topic_is_clipped_in_the_title():
    embed = poem_embed("x", topic="y" * 400, lang="en", model="m")
    assert len(embed.title) <= EMBED_TITLE_LIMIT


def test_digits_reply_shows_seed_and_model_version_and_attaches_the_image_it_shows():
    reply = digits_reply(b"png bytes", digit=3, count=4, seed=42, version="v1-abc", lang="en")
    (embed,), (file,) = reply.embeds, reply.files
    fields = {f.name: f.value for f in embed.fields}
    assert fields["Seed"] == "`42`"
    assert "v1-abc" in fields["Model"]
    assert embed.image.url == f"attachment://{file.filename}" == "attachment://digits.png"
    assert file.fp.read() == b"png bytes"
    assert embed.footer.text == "AI-generated · VAE v1-abc"
    assert reply.view is None


def test_morph_reply_names_its_ends_frames_and_seed():
    reply = morph_reply(b"gif", start="your image", end="5", frames=24, seed=7, version="v2", lang="en")
    (embed,), (file,) = reply.embeds, reply.files
    assert "your image" in embed.title and "5" in embed.title
    assert {f.name: f.value for f in embed.fields}["Frames"] == "24"
    assert embed.image.url == f"attachment://{file.filename}" == "attachment://morph.gif"
    assert embed.footer.text == "AI-generated · VAE v2"


def test_latent_map_reply_shows_its_map_and_says_what_the_plane_holds():
    reply = latent_map_reply(b"map", digit=None, version="v3", lang="en")
    (embed,), (file,) = reply.embeds, reply.files
    assert embed.image.url == f"attachment://{file.filename}" and file.fp.read() == b"map"
    assert embed.title == "The style plane" and "not the digit" in embed.description
    assert embed.footer.text == "AI-generated · VAE v3"
    one = latent_map_reply(b"map", digit=3, version="v3", lang="es")
    assert one.embeds[0].title == "El dígito 3 sobre el plano de estilo"


def test_handwriting_reply_says_what_it_read_or_what_it_was_told():
    read = handwriting_reply(b"png", digit=7, confidence=0.934, given=False, version="v4", lang="en")
    assert "**7** (93% sure)" in read.embeds[0].description
    told = handwriting_reply(b"png", digit=7, confidence=0.2, given=True, version="v4", lang="en")
    assert told.embeds[0].description.startswith("You said your upload shows the digit **7**")
    assert told.embeds[0].image.url == "attachment://handwriting.png"


def test_digits_reply_shows_how_far_explore_moved_the_style():
    moved = digits_reply(b"png", digit=2, count=1, seed=3, version="v", lang="en", offset=(-1.4, 0.7))
    assert {f.name: f.value for f in moved.embeds[0].fields}["Style moved"] == "x -1.4, y +0.7"
    still = digits_reply(b"png", digit=2, count=1, seed=3, version="v", lang="en")
    assert "Style moved" not in {f.name for f in still.embeds[0].fields}


def test_training_reply_attaches_the_loss_curve_only_when_there_is_one():
    without = training_reply(None, None, shipped_version="v7", lang="en")
    assert without.files == [] and not without.embeds[0].image
    with_curve = training_reply(None, b"curve", shipped_version="v7", lang="en")
    (file,) = with_curve.files
    assert with_curve.embeds[0].image.url == f"attachment://{file.filename}"


def test_training_embed_without_any_run_says_so_and_names_the_shipped_model():
    embed = training_embed(None, shipped_version="v7", lang="en")
    assert "No training has run yet" in embed.description
    assert "v7" in embed.description


def test_training_embed_shows_state_epoch_losses_and_eta():
    status = SimpleNamespace(
        state="running",
        epoch=3,
        total_epochs=30,
        loss=170.456,
        reconstruction_loss=160.0,
        kl_loss=10.456,
        val_loss=171.0,
        val_reconstruction_loss=None,
        val_kl_loss=None,
        eta_seconds=125.0,
        started_at="2026-01-01T00:00:00+00:00",
        updated_at="2026-01-01T00:01:00+00:00",
        history={"loss": [1.0]},
        message=None,
        model_version=None,
    )
    embed = training_embed(status, shipped_version="v7", lang="es")
    fields = {f.name: f.value for f in embed.fields}
    assert fields["Estado"] == "en curso"
    assert fields["Época"] == "3 / 30"
    assert fields["Pérdida"].startswith("**170,46**")  # a Spanish decimal comma
    assert fields["Tiempo restante"] == "2 min 05 s"
    assert fields["Actualizado"].startswith("<t:")


def test_format_duration_reads_naturally():
    assert format_duration(None) == "—"
    assert format_duration(12.4) == "12 s"
    assert format_duration(3725) == "1 h 02 min"


def test_a_per_digit_report_over_many_request_seeds_still_fits_its_field():
    from bot.features.training.embeds import fairness_field
    from bot.interactions.embeds import EMBED_FIELD_VALUE_LIMIT
    from genai_models.vae.training.fairness import DigitScores, FairnessReport, report_table

    digits = tuple(DigitScores(digit=d, fidelity=0.995, precision=0.99, recall=0.9) for d in range(10))
    for lang in ("en", "es"):
        for seeds in ((2, 3), tuple(range(1000, 1200))):
            report = FairnessReport("v", "judge", 0.99, 200, seeds, digits)
            field = fairness_field(report_table(report, lang))
            assert len(field) <= EMBED_FIELD_VALUE_LIMIT
            assert field.startswith("```\n") and field.count("```") == 2  # the table's block intact
            if len(seeds) == 2:
                assert field.endswith(report_table(report, lang).rpartition("\n")[2])  # whole footer
