"""One exception tree for every model service.

Each error carries a message that is safe to show a user (no secrets, no tracebacks, no
internal paths beyond what the user gave us), a short `code` that front-ends use to translate
it, and the `params` used to fill the translated text.
"""

from __future__ import annotations

from typing import Any


class GenAIError(Exception):
    """Base class: `str(error)` is an English, user-safe message."""

    default_code = "error"

    def __init__(self, message: str, *, code: str | None = None, **params: Any) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.params = params


class InvalidInputError(GenAIError):
    """The user's input (a topic, an image, an argument) cannot be used as given."""

    default_code = "invalid_input"


class DataError(GenAIError):
    """A training data file is missing, unreadable or malformed."""

    default_code = "bad_data"


class ModelFileError(GenAIError):
    """Model weights or their model card are missing, corrupted or do not match."""

    default_code = "bad_model_file"


class ServiceError(GenAIError):
    """A remote model service failed; `retry_after` (seconds) is set when waiting helps."""

    default_code = "service_error"

    def __init__(
        self, message: str, *, code: str | None = None, retry_after: float | None = None, **params: Any
    ) -> None:
        super().__init__(message, code=code, retry_after=retry_after, **params)
        self.retry_after = retry_after


class ServiceUnavailableError(ServiceError):
    """Unreachable, timed out, or answering with server errors."""

    default_code = "service_unavailable"


class RateLimitedError(ServiceError):
    """Too many requests or quota exhausted."""

    default_code = "rate_limited"


class AuthenticationError(ServiceError):
    """The API key is missing, wrong or lacks permission (an operator problem, not the user's)."""

    default_code = "auth_failed"


class ModelNotFoundError(ServiceError):
    """The configured model does not exist on the server."""

    default_code = "model_not_found"


class ContentFlaggedError(GenAIError):
    """Moderation flagged the request or the generated text."""

    default_code = "content_flagged"

    def __init__(self, message: str, *, stage: str, categories: tuple[str, ...] = ()) -> None:
        super().__init__(message, stage=stage, categories=", ".join(categories))
        self.stage = stage  # "input" or "output"
        self.categories = categories


class TrainingError(GenAIError):
    """Training could not start or continue (bad checkpoint, nothing to resume, ...)."""

    default_code = "training_error"
