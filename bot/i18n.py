"""Spanish and English for everything a Discord user reads.

Two parts: a discord.py `Translator` that localises command and option descriptions and choice
labels when the tree is synced (command and option *names* stay as documented, in English, in
every locale: users and docs rely on them), and a catalogue of reply texts keyed by
`GenAIError.code` (plus the bot's own messages), chosen by the interaction's locale.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from typing import Any, Literal

import discord
from discord import app_commands

from genai_models.errors import GenAIError

log = logging.getLogger(__name__)

Lang = Literal["es", "en"]
LANGS: tuple[Lang, ...] = ("en", "es")


def language_of(locale: discord.Locale | str | None) -> Lang:
    """Spanish for any Spanish locale (es-ES, es-419), English otherwise."""
    value = locale.value if isinstance(locale, discord.Locale) else (locale or "")
    return "es" if value.lower().startswith("es") else "en"


def interaction_language(interaction: discord.Interaction) -> Lang:
    """The user's own client language, not the server's: replies are read by that user."""
    return language_of(interaction.locale)


# Reply texts. A value may be a tuple: the first template whose parameters are all known wins,
# so "try again in about {retry_after} s" degrades to "try again in a moment".
Template = str | tuple[str, ...]
CATALOGUE: dict[str, dict[Lang, Template]] = {
    # --- GenAIError codes. English: the service's own sentence, already safe and specific
    # (the tuple's second text covers an error raised without one). Spanish: a translation.
    "error": {
        "en": ("{message}", "Something went wrong. Please try again."),
        "es": "Algo salió mal. Inténtalo de nuevo.",
    },
    "invalid_input": {
        "en": ("{message}", "I can't use that input as given."),
        "es": "No puedo usar eso tal como está. Revisa lo que enviaste e inténtalo de nuevo.",
    },
    "bad_data": {
        "en": ("{message}", "The training data could not be read."),
        "es": "No se pudieron leer los datos de entrenamiento.",
    },
    "bad_model_file": {
        "en": ("{message}", "The digit model could not be loaded; the bot's operator must fix it."),
        "es": "No se pudo cargar el modelo de dígitos; quien opera el bot tiene que arreglarlo.",
    },
    "training_error": {
        "en": ("{message}", "Training could not run."),
        "es": "El entrenamiento no pudo ejecutarse.",
    },
    # the text service (genai_models.text)
    "service_error": {
        "en": ("{message}", "The text service failed. Please try again in a minute."),
        "es": "El servicio de texto falló. Inténtalo de nuevo en un minuto.",
    },
    "service_unavailable": {
        "en": ("{message}", "The text service isn't answering right now; try again in a minute."),
        "es": (
            "El servicio de texto tiene problemas ahora mismo; inténtalo de nuevo en unos "
            "{retry_after} s.",
            "El servicio de texto tiene problemas ahora mismo; inténtalo de nuevo en unos minutos.",
        ),
    },
    "rate_limited": {
        "en": ("{message}", "The text service is busy; try again in a moment."),
        "es": (
            "El servicio de texto está ocupado; inténtalo de nuevo en unos {retry_after} s.",
            "El servicio de texto está ocupado; inténtalo de nuevo en un momento.",
        ),
    },
    "quota_exhausted": {
        "en": "{message}",
        "es": "El servicio de texto agotó su cuota; avisa a quien opera el bot.",
    },
    "auth_failed": {
        "en": ("{message}", "The text service rejected the bot's credentials."),
        "es": "El servicio de texto rechazó las credenciales del bot; avisa a quien lo opera.",
    },
    "not_configured": {
        "en": "{message}",
        "es": "El servicio de texto no tiene clave de API configurada; avisa a quien opera el bot.",
    },
    "model_not_found": {
        "en": ("{message}", "The configured text model doesn't exist on the server."),
        "es": "El modelo de texto configurado no está disponible; avisa a quien opera el bot.",
    },
    "request_rejected": {
        "en": "{message}",
        "es": "El servicio de texto rechazó la petición; avisa a quien opera el bot.",
    },
    "moderation_unavailable": {
        "en": "{message}",
        "es": "El control de contenido está activado, pero el servicio de texto no lo ofrece; "
        "avisa a quien opera el bot.",
    },
    "timeout": {
        "en": "{message}",
        "es": "El servicio de texto tardó demasiado en responder; inténtalo de nuevo en un momento.",
    },
    "unreachable": {
        "en": "{message}",
        "es": "No se puede contactar con el servicio de texto ahora mismo; inténtalo más tarde.",
    },
    "stream_broken": {
        "en": "{message}",
        "es": "La conexión con el servicio de texto se cortó a mitad del poema; inténtalo de "
        "nuevo.",
    },
    "stream_error": {
        "en": "{message}",
        "es": "El servicio de texto falló mientras escribía el poema; inténtalo de nuevo.",
    },
    "bad_reply": {
        "en": "{message}",
        "es": "El servicio de texto envió una respuesta ilegible; inténtalo de nuevo.",
    },
    "empty_reply": {
        "en": "{message}",
        "es": "El servicio de texto devolvió un poema vacío; inténtalo de nuevo.",
    },
    "content_flagged": {
        "en": ("{message}", "I'd rather not write about that. Please try a different topic."),
        "es": "Prefiero no escribir sobre eso. Prueba con otro tema, por favor.",
    },
    "content_flagged_output": {
        "en": "What I wrote didn't pass the content check, so I removed it. Please try another "
        "topic.",
        "es": "Lo que escribí no pasó el control de contenido, así que lo quité. Prueba con otro "
        "tema, por favor.",
    },
    # poem requests (genai_models.text.request)
    "topic_empty": {"en": "{message}", "es": "Dale un tema al poema, por favor."},
    "topic_too_long": {
        "en": "{message}",
        "es": (
            "El tema es demasiado largo ({length} caracteres); usa menos de {max_chars}.",
            "El tema es demasiado largo.",
        ),
    },
    "unknown_form": {
        "en": "{message}",
        "es": ("No conozco la forma «{form}»; elige una de: {choices}.", "No conozco esa forma."),
    },
    "unknown_language": {
        "en": "{message}",
        "es": ("No conozco el idioma «{language}»; prueba con «es» o «en».",
               "No conozco ese idioma; prueba con «es» o «en»."),
    },
    # users' images (genai_models.vae.serving.preprocess) and the sampler's arguments
    "image_empty": {"en": "{message}", "es": "La imagen está vacía."},
    "image_too_large": {
        "en": "{message}",
        "es": ("La imagen pesa {size_mb} MB; se aceptan hasta {max_mb} MB.",
               "La imagen pesa demasiado."),
    },
    "image_too_many_pixels": {
        "en": "{message}",
        "es": "La imagen tiene demasiados píxeles; se aceptan hasta 4096×4096.",
    },
    "not_an_image": {
        "en": "{message}",
        "es": "El archivo no es una imagen (se aceptan PNG, JPEG, GIF, WebP, BMP y TIFF).",
    },
    "image_unreadable": {
        "en": "{message}",
        "es": "El archivo de imagen está dañado o incompleto y no se puede leer.",
    },
    "image_blank": {
        "en": "{message}",
        "es": "La imagen parece vacía: ningún dígito destaca del fondo.",
    },
    "bad_digit": {"en": "{message}", "es": "El dígito debe estar entre 0 y 9."},
    "bad_count": {
        "en": "{message}",
        "es": ("La cantidad debe estar entre 1 y {maximum}.", "Esa cantidad no es válida."),
    },
    "bad_frames": {
        "en": "{message}",
        "es": ("Los fotogramas deben estar entre 2 y {maximum}.",
               "Ese número de fotogramas no es válido."),
    },
    # --- the bot's own errors ---
    "command_timeout": {
        "en": "That took longer than {seconds} s, so I stopped waiting. Please try again.",
        "es": "Tardé más de {seconds} s, así que dejé de esperar. Inténtalo de nuevo.",
    },
    "unexpected": {
        "en": "Sorry, something went wrong on my side. It has been logged; please try again.",
        "es": "Lo siento, algo falló de mi lado. Quedó registrado; inténtalo de nuevo.",
    },
    "model_loading": {
        "en": "The digit model isn't loaded yet. Please try again in a few seconds.",
        "es": "El modelo de dígitos aún no está cargado. Inténtalo en unos segundos.",
    },
    "attachment_not_image": {
        "en": "`{name}` is not an image. Please attach a PNG, JPEG, GIF or WebP picture of a "
        "digit.",
        "es": "`{name}` no es una imagen. Adjunta una foto o dibujo de un dígito en PNG, JPEG, "
        "GIF o WebP.",
    },
    "attachment_too_large": {
        "en": "`{name}` is {size_mb} MB; images may be at most {limit_mb} MB.",
        "es": "`{name}` pesa {size_mb} MB; las imágenes pueden pesar como máximo {limit_mb} MB.",
    },
    "attachment_too_many_pixels": {
        "en": "`{name}` is {width}×{height} pixels; images may be at most {max_side}×{max_side}.",
        "es": "`{name}` mide {width}×{height} píxeles; el máximo es {max_side}×{max_side}.",
    },
    "attachment_unreadable": {
        "en": "I couldn't download `{name}` from Discord. Please try again.",
        "es": "No pude descargar `{name}` de Discord. Inténtalo de nuevo.",
    },
    "not_your_buttons": {
        "en": "These buttons belong to {owner}. Run /digit to get your own.",
        "es": "Estos botones son de {owner}. Usa /digit para tener los tuyos.",
    },
    "command_unavailable": {
        "en": "/{command} isn't available on this bot right now. Type / to see what it offers.",
        "es": "/{command} no está disponible en este bot ahora. Escribe / para ver qué ofrece.",
    },
    "poems_not_configured": {
        "en": "Poems aren't set up on this bot: its owner hasn't configured a text service.",
        "es": "Los poemas no están activados en este bot: falta configurar un servicio de texto.",
    },
    "check_failed": {
        "en": "You can't use this command here.",
        "es": "No puedes usar este comando aquí.",
    },
    # --- labels and messages of successful replies ---
    "ai_label": {"en": "AI-generated · {model}", "es": "Generado con IA · {model}"},
    "poem_writing": {"en": "Writing…", "es": "Escribiendo…"},
    "poem_title": {"en": "A poem about {topic}", "es": "Un poema sobre {topic}"},
    "digit_title": {"en": "Digit {digit}", "es": "Dígito {digit}"},
    "digits_title": {"en": "{count} × digit {digit}", "es": "{count} × dígito {digit}"},
    "any_digit_title": {"en": "Handwritten digits", "es": "Dígitos manuscritos"},
    "seed": {"en": "Seed", "es": "Semilla"},
    "model": {"en": "Model", "es": "Modelo"},
    "again": {"en": "Again", "es": "Otra vez"},
    "morph_to": {"en": "Morph to…", "es": "Transformar en…"},
    "pick_target": {"en": "Morph into which digit?", "es": "¿En qué dígito transformarlo?"},
    "target_placeholder": {"en": "Target digit", "es": "Dígito de destino"},
    "morph_title": {"en": "{start} → {end}", "es": "{start} → {end}"},
    "your_image": {"en": "your image", "es": "tu imagen"},
    "frames": {"en": "Frames", "es": "Fotogramas"},
    "latent_map_title": {"en": "The latent plane", "es": "El plano latente"},
    "latent_map_text": {
        "en": "Each cell decodes one point of the 2-D latent plane; the scatter shows where "
        "real digits land.",
        "es": "Cada celda decodifica un punto del plano latente 2-D; el diagrama muestra dónde "
        "caen los dígitos reales.",
    },
    "train_title": {"en": "Training status", "es": "Estado del entrenamiento"},
    "train_never": {
        "en": "No training has run yet. The bot uses the model shipped with it ({model}).",
        "es": "Todavía no se ha entrenado nada. El bot usa el modelo que trae incluido ({model}).",
    },
    "train_state": {"en": "State", "es": "Estado"},
    "train_epoch": {"en": "Epoch", "es": "Época"},
    "train_loss": {"en": "Loss", "es": "Pérdida"},
    "train_val_loss": {"en": "Validation loss", "es": "Pérdida de validación"},
    "train_eta": {"en": "Time left", "es": "Tiempo restante"},
    "train_updated": {"en": "Updated", "es": "Actualizado"},
    "train_model": {"en": "Model version", "es": "Versión del modelo"},
    "train_message": {"en": "Note", "es": "Nota"},
    "state_running": {"en": "running", "es": "en curso"},
    "state_finished": {"en": "finished", "es": "terminado"},
    "state_failed": {"en": "failed", "es": "falló"},
    "state_interrupted": {"en": "interrupted", "es": "interrumpido"},
    "unknown": {"en": "unknown", "es": "desconocido"},
}


def text(key: str, lang: Lang, **params: Any) -> str:
    """The catalogue entry `key` in `lang`, filled with `params` (None values count as unknown)."""
    templates = CATALOGUE[key][lang]
    rendered = _fill(templates, params)
    if rendered is None:
        raise KeyError(f"catalogue entry {key!r} ({lang}) needs parameters not given: {params}")
    return rendered


def error_text(error: GenAIError, lang: Lang) -> str:
    """A short reply for `error` in `lang`, by its code, falling back along its class tree."""
    params = {"message": error.message, **error.params}
    exact = [error.code]
    if error.code == "content_flagged" and isinstance(error.params.get("stage"), str):
        exact.insert(0, f"content_flagged_{error.params['stage']}")
    for code in exact:
        rendered = _fill(CATALOGUE[code][lang], params) if code in CATALOGUE else None
        if rendered is not None:
            return rendered
    # No text for this exact code. A service's English message is already safe and more
    # specific than a generic line; Spanish users get the text of the nearest known class.
    if lang == "en" and error.message:
        return error.message
    for cls in type(error).__mro__:
        if issubclass(cls, GenAIError) and cls.default_code in CATALOGUE:
            rendered = _fill(CATALOGUE[cls.default_code][lang], params)
            if rendered is not None:
                return rendered
    return text("error", lang)


def _fill(templates: Template, params: Mapping[str, Any]) -> str | None:
    known = {k: _display(v) for k, v in params.items() if v is not None and v != ""}
    for template in (templates,) if isinstance(templates, str) else templates:
        try:
            return template.format(**known)
        except (KeyError, IndexError):
            continue
    return None


def _display(value: Any) -> Any:
    if isinstance(value, float):  # seconds and megabytes read better without long decimals
        return math.ceil(value) if value >= 10 else f"{value:.1f}".rstrip("0").rstrip(".")
    return value


# --- the command tree's descriptions, localised at sync time -------------------------------

# English text (as written in the cogs) → Spanish. Keyed by the English so the cogs keep plain,
# readable docstrings and `describe` texts; a test checks every string in the tree is covered.
SPANISH_COMMAND_TEXT: dict[str, str] = {
    # /poem
    "Write a short poem about a topic, streamed as it is written.": (
        "Escribe un poema corto sobre un tema, en directo mientras se escribe."
    ),
    "What the poem is about (up to 300 characters).": "De qué trata el poema (hasta 300 caracteres).",
    "The poem's form.": "La forma del poema.",
    "The poem's language (default: your Discord language).": (
        "El idioma del poema (por defecto: el idioma de tu Discord)."
    ),
    "free verse": "verso libre",
    "haiku": "haiku",
    "sonnet": "soneto",
    "limerick": "limerick",
    "quatrain": "cuarteta",
    "ballad": "balada",
    "ode": "oda",
    "acrostic": "acróstico",
    "couplet": "pareado",
    "Spanish": "español",
    "English": "inglés",
    # /digit
    "Draw handwritten digits with the VAE.": "Dibuja dígitos manuscritos con el VAE.",
    "Which digit, 0-9 (default: any).": "Qué dígito, 0-9 (por defecto: cualquiera).",
    "How many images, 1-25.": "Cuántas imágenes, 1-25.",
    "Random seed; the same seed gives the same images.": (
        "Semilla aleatoria; la misma semilla da las mismas imágenes."
    ),
    # /morph
    "Animate one digit turning into another.": "Anima un dígito transformándose en otro.",
    "The digit to start from, 0-9.": "El dígito inicial, 0-9.",
    "The digit to end on, 0-9.": "El dígito final, 0-9.",
    "Number of frames, 2-60.": "Número de fotogramas, 2-60.",
    "Your own handwritten digit to start from (replaces start).": (
        "Tu propio dígito manuscrito como inicio (sustituye a start)."
    ),
    "Your own handwritten digit to end on (replaces end).": (
        "Tu propio dígito manuscrito como final (sustituye a end)."
    ),
    # /latent-map
    "Show the VAE's 2-D latent plane: decoded grid and where real digits land.": (
        "Muestra el plano latente 2-D del VAE: la cuadrícula decodificada y dónde caen los "
        "dígitos reales."
    ),
    # /train-status
    "Show how the VAE's training is going.": "Muestra cómo va el entrenamiento del VAE.",
}

SPANISH_LOCALES = frozenset({discord.Locale.spain_spanish, discord.Locale.latin_american_spanish})
_NAME_LOCATIONS = frozenset(
    {
        app_commands.TranslationContextLocation.command_name,
        app_commands.TranslationContextLocation.group_name,
        app_commands.TranslationContextLocation.parameter_name,
    }
)


class CommandTranslator(app_commands.Translator):
    """Spanish descriptions and choice labels for Spanish clients; names stay as documented."""

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        if locale not in SPANISH_LOCALES or context.location in _NAME_LOCATIONS:
            return None
        translated = SPANISH_COMMAND_TEXT.get(string.message)
        if translated is None:
            log.debug("no Spanish text for %r (%s)", string.message, context.location.name)
        return translated
