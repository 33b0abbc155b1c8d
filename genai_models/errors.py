"""One exception tree for every model service, with a closed set of error codes.

Each error has a `code` that names its text in the catalogue (`genai_models.catalogue`) and the
`params` that fill it. `str(error)` is that text in English, safe to show a user (no secrets,
no tracebacks, no internal paths beyond what the user gave us): the CLI prints it, and the bot
renders the same code in the user's language.

The codes are closed: a class accepts its `default_code` and the `codes` it (or a base class)
declares, and refuses any other, so a typo fails where it is raised rather than reaching a user
as a generic line. `all_codes()` is the whole set, which the tests check against the locale files.

Operators' diagnostics (a data file's path, an OS error) are not translated: they are passed as
`detail` and shown inside their class's English text; other languages give that class's plain
sentence.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

from genai_models.catalogue import english


class GenAIError(Exception):
    """Base class: `str(error)` is an English, user-safe message."""

    default_code: ClassVar[str] = "error"
    codes: ClassVar[frozenset[str]] = frozenset()  # further codes this class may be raised with

    def __init__(self, detail: str | None = None, /, *, code: str | None = None, **params: Any):
        code = code or self.default_code
        if code not in self.allowed_codes():
            raise ValueError(
                f"{type(self).__name__} has no error code {code!r}; declare it in `codes` "
                "and give it a text in every locale file"
            )
        self.code = code
        self.params = {"detail": detail, **params} if detail else params
        self.message = english(code, **self.params)
        super().__init__(self.message)

    @classmethod
    def allowed_codes(cls) -> frozenset[str]:
        allowed: set[str] = set()
        for klass in cls.__mro__:
            if isinstance(klass, type) and issubclass(klass, GenAIError):
                allowed |= {klass.default_code, *klass.codes}
        return frozenset(allowed)


def all_codes() -> frozenset[str]:
    """Every code of every GenAIError class defined so far (import a front-end for its own)."""
    found: set[str] = set()
    pending: list[type[GenAIError]] = [GenAIError]
    while pending:
        klass = pending.pop()
        found |= klass.allowed_codes()
        pending.extend(klass.__subclasses__())
    return frozenset(found)


class InvalidInputError(GenAIError):
    """The user's input (a topic, an image, an argument) cannot be used as given."""

    default_code = "invalid_input"
    codes = frozenset(
        {
            # poem requests (genai_models.text.request)
            "topic_empty",
            "topic_too_long",
            "unknown_form",
            "unknown_language",
            "original_unusable",
            "style_unusable",
            # a line of a poem written together (genai_models.text.together)
            "line_empty",
            "line_too_long",
            # users' images (genai_models.vae.serving.preprocess)
            "image_empty",
            "image_too_large",
            "image_too_many_pixels",
            "not_an_image",
            "image_unreadable",
            "image_blank",
            "image_bad_array",
            # /handwriting: an upload the self-check cannot read as any digit
            "image_not_a_digit",
            # the sampler's arguments
            "bad_digit",
            "bad_count",
            "bad_frames",
        }
    )


class DataError(GenAIError):
    """A training data file is missing, unreadable or malformed."""

    default_code = "bad_data"


class ModelFileError(GenAIError):
    """Model weights or their model card are missing, corrupted or do not match."""

    default_code = "bad_model_file"


class ServiceError(GenAIError):
    """A remote model service failed; `retry_after` (seconds) is set when waiting helps."""

    default_code = "service_error"
    codes = frozenset({"request_rejected", "moderation_unavailable", "endpoint_not_found"})
    # One line for the operator, set where the failure is known (genai_models.text.failures):
    # the URL or model and the setting to check. Never shown to chat users, who get `str()`.
    operator_hint: str | None = None

    def __init__(
        self,
        detail: str | None = None,
        /,
        *,
        code: str | None = None,
        retry_after: float | None = None,
        **params: Any,
    ) -> None:
        if retry_after is not None:
            # A wait reads in seconds up to a minute and a half, in minutes beyond.
            if retry_after < 90:
                params["retry_after_s"] = max(1, math.ceil(retry_after))
            else:
                params["retry_after_min"] = math.ceil(retry_after / 60)
        super().__init__(detail, code=code, retry_after=retry_after, **params)
        self.retry_after = retry_after


class ServiceUnavailableError(ServiceError):
    """Unreachable, timed out, or answering with server errors."""

    default_code = "service_unavailable"
    codes = frozenset({"timeout", "unreachable", "stream_broken", "stream_error", "bad_reply", "empty_reply"})


class RateLimitedError(ServiceError):
    """Too many requests or quota exhausted."""

    default_code = "rate_limited"
    codes = frozenset({"quota_exhausted"})


class AuthenticationError(ServiceError):
    """The API key is missing, wrong or lacks permission (an operator problem, not the user's)."""

    default_code = "auth_failed"
    codes = frozenset({"not_configured"})


class ModelNotFoundError(ServiceError):
    """The configured model does not exist on the server."""

    default_code = "model_not_found"


class ContentFlaggedError(GenAIError):
    """Moderation flagged the request (stage "input"), the generated text ("output"), or a
    person's line of a poem written together ("line")."""

    default_code = "content_flagged"
    codes = frozenset({"content_flagged_output", "line_flagged"})

    def __init__(self, detail: str | None = None, /, *, stage: str, categories: tuple[str, ...] = ()) -> None:
        code = {"output": "content_flagged_output", "line": "line_flagged"}.get(stage, self.default_code)
        super().__init__(detail, code=code, stage=stage, categories=", ".join(categories))
        self.stage = stage
        self.categories = categories


class TrainingError(GenAIError):
    """Training could not start or continue (bad checkpoint, nothing to resume, ...)."""

    default_code = "training_error"
