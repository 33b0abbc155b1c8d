"""The one place that reads the environment (and `.env`). Settings are frozen and validated.

Importing this module is cheap: no TensorFlow, no discord.py, so `genai-bot --help` and
settings checks stay fast.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from bot.fair_use.limits import COMMAND_RESOURCES, DEFAULT_COOLDOWNS_S, AccessLists, FairUseLimits
from genai_models.text.config import DEFAULT_LOCAL_CONCURRENCY, DEFAULT_OPENAI_CONCURRENCY, PoetConfig

# Variables an older release read, and what took their place: set, they change nothing, and
# the bot says so at start-up instead of ignoring them without a word.
RETIRED = {
    "GENAI_TEXT_CONCURRENCY": "poems wait in one queue, as wide as OPENAI_MAX_CONCURRENCY",
    "OPENAI_MAX_QUEUE": "GENAI_QUEUE_SIZE bounds that one queue",
}


# Prefixes that are ours alone: a name with one of them that no setting reads is a mistake.
OWN_PREFIXES = ("GENAI_",)
# How alike (difflib's ratio) a name must be to one of ours to be taken for a misspelling of it;
# other tools' variables in the same .env (POSTGRES_PASSWORD, OPENAI_ORG_ID) are far enough.
MISSPELLING_CUTOFF = 0.85
# Names that guides and other libraries give our settings, too unlike ours for the cutoff.
OTHER_NAMES = {
    "OPENAI_KEY": "OPENAI_API_KEY",
    "OPENAI_URL": "OPENAI_BASE_URL",
    "OPENAI_API_BASE": "OPENAI_BASE_URL",  # openai-python before 1.0
    "OPENAI_API_URL": "OPENAI_BASE_URL",
    "OPENAI_ENDPOINT": "OPENAI_BASE_URL",
    "BOT_TOKEN": "DISCORD_TOKEN",
}


def setting_notices(settings: Settings) -> list[str]:
    """One line for each retired variable still set, and for each that no setting reads but
    looks like one (a misspelling changes nothing, so the user must hear of it)."""
    notices = [
        f"{name} is no longer read ({RETIRED[name]}): remove it from the environment or .env"
        for name in settings.retired
    ]
    for name, meant in settings.unread:
        guess = f" (did you mean {meant}?)" if meant else ""
        notices.append(f"{name} is not a setting genai-bot reads{guess}: it changes nothing")
    return notices


def unread_settings(names: Iterable[str]) -> tuple[tuple[str, str | None], ...]:
    """The names among `names` that look like settings but are none, each with the setting it
    is most likely a misspelling of (None when none is close)."""
    import difflib

    known = [*ENVIRONMENT, *RETIRED]
    found = []
    for name in sorted(names):
        if name in known:
            continue
        upper = name.upper()  # the environment's names are case-sensitive: openai_model is not read
        meant = OTHER_NAMES.get(upper) or (upper if upper in known else None)
        if meant is None:
            close = difflib.get_close_matches(upper, known, n=1, cutoff=MISSPELLING_CUTOFF)
            meant = close[0] if close else None
        if meant or upper.startswith(OWN_PREFIXES):
            found.append((name, meant))
    return tuple(found)


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable and how to fix it."""


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Every setting, grouped by what it governs; each field's default is THE default (the
    help lines and .env.example read it from here, the text endpoint's from PoetConfig, fair
    use's from FairUseLimits)."""

    # Discord
    discord_token: str | None = field(default=None, repr=False)
    dev_guild_id: int | None = None
    # Gateway sharding: None = one process takes every shard Discord advises, unsharded
    # below its threshold; shard_ids None with a count = this process takes all of them.
    shard_count: int | None = None
    shard_ids: tuple[int, ...] | None = None
    # Text endpoint
    poet: PoetConfig = field(default_factory=PoetConfig)
    # Digits and training
    model_dir: Path | None = None  # None: the weights shipped inside genai_models
    training_dir: Path = Path("runs/vae")
    workers: int = max(1, os.cpu_count() or 1)
    command_timeout_s: float = 60.0
    image_mark: bool = True  # the visible "AI" corner mark; the file's metadata is always written
    owner_ids: frozenset[int] = frozenset()
    # Servers whose admins may train and roll back the one model every server shares (empty: any).
    training_guilds: frozenset[int] = frozenset()
    training_data: Path | None = None  # None: MNIST through keras.datasets
    swap_max_elbo_increase: float = 2.0
    swap_min_fidelity: float = 0.98
    swap_max_digit_drop: float = 0.05  # how far a new model's worst digit may fall (0-1)
    # Content Credentials: the operator's signing certificate chain and key (PEM files);
    # None: a local certificate authority under data_dir/c2pa (tamper-evident, not trusted).
    c2pa_cert: Path | None = None
    c2pa_key: Path | None = field(default=None, repr=False)
    c2pa_alg: str = "es256"
    # Fair use
    fair_use: FairUseLimits = field(default_factory=FairUseLimits)
    # Storage
    data_dir: Path = Path("data")
    database_url: str | None = field(default=None, repr=False)  # None: a file in data_dir
    audit_retention_days: float = 90.0
    # Operations
    log_level: str = "INFO"
    log_format: str = "text"
    operator_contact: str | None = None  # shown by /about: how users reach the operator
    shutdown_grace_s: float = 20.0  # inside compose.yaml's stop_grace_period; the Dockerfile sets 8
    metrics_port: int | None = None  # None: no health/metrics endpoint
    metrics_host: str = "127.0.0.1"
    # Variables an older release read that are set here: said by every command (setting_notices).
    retired: tuple[str, ...] = ()
    # Variables set that no setting reads, each with the setting it may be a misspelling of.
    unread: tuple[tuple[str, str | None], ...] = ()

    @property
    def text_configured(self) -> bool:
        """A text endpoint is usable: an API key, or a base URL of a keyless local server."""
        return bool(self.poet.api_key or self.poet.base_url)

    @property
    def sharded(self) -> bool:
        return self.shard_count is not None

    @property
    def syncs_commands(self) -> bool:
        """This process publishes the slash commands: it holds shard 0 (or is the only one), so
        exactly one process of a cluster does, and the others never race it."""
        return self.shard_ids is None or 0 in self.shard_ids


# Every default is written once, in the fields of Settings, PoetConfig and FairUseLimits; the
# help lines below (`--help`, and .env.example, which `python -m bot.settings` writes) read them.
_D = Settings()
_COOLDOWNS = ",".join(f"{name}={seconds:g}" for name, seconds in DEFAULT_COOLDOWNS_S.items())

# Every variable the settings read, grouped by what it governs, with the line `--help` shows.
GROUPS: dict[str, dict[str, str]] = {
    "Discord": {
        "DISCORD_TOKEN": "the bot's token (Discord developer portal > your app > Bot); "
        "without it `make run` runs the offline demo",
        "DEV_GUILD_ID": "a test server's id: commands sync there at once instead of globally",
        "SHARD_COUNT": "gateway shards across ALL processes (default: one process, as Discord advises)",
        "SHARD_IDS": "the shards this process runs, e.g. 0,1 or 0-3 (default: all of SHARD_COUNT)",
    },
    "Text endpoint (/poem): OpenAI or any OpenAI-compatible server": {
        "OPENAI_API_KEY": "API key of the text service (a local server usually needs none)",
        "OPENAI_BASE_URL": "an OpenAI-compatible server, e.g. http://localhost:11434/v1 (default: OpenAI)",
        "OPENAI_MODEL": f"chat model name (default: {_D.poet.model})",
        "OPENAI_TEMPERATURE": f"sampling temperature, 0-2 (default: {_D.poet.temperature})",
        "OPENAI_MAX_TOKENS": f"most tokens one poem may use, 16-4096 (default: {_D.poet.max_tokens})",
        "OPENAI_TOKEN_LIMIT_PARAM": f"max_tokens or max_completion_tokens (OpenAI's reasoning models) "
        f"(default: {_D.poet.token_limit_param})",
        "OPENAI_TIMEOUT": f"seconds to wait for the text service, 1-600 (default: {_D.poet.timeout_s:g})",
        "OPENAI_MAX_RETRIES": f"retries on 429/5xx/connection errors, 0-10 (default: {_D.poet.max_retries})",
        "OPENAI_MODERATION": f"auto (on for OpenAI only), on or off (default: {_D.poet.moderation})",
        "OPENAI_MAX_CONCURRENCY": (
            "poems the text service serves at once, 1-64; more wait in the bot's queue (default: "
            f"{DEFAULT_LOCAL_CONCURRENCY} for a local server, {DEFAULT_OPENAI_CONCURRENCY} for OpenAI)"
        ),
        "OPENAI_DEADLINE": "seconds one poem may take once sent, retries included, 5-600 "
        f"(default: {_D.poet.deadline_s:g})",
        "OPENAI_SYSTEM_PROMPT": "system, or user for servers that drop the system message "
        f"(default: {_D.poet.system_prompt_role})",
    },
    "Digits (/digit, /morph, /handwriting, /latent-map) and training": {
        "GENAI_MODEL_DIR": "a trained model's folder, as `genai-bot train` writes it (default: shipped)",
        "GENAI_TRAINING_DIR": "where `genai-bot train` writes status and checkpoints "
        f"(default: {_D.training_dir})",
        "GENAI_WORKERS": "model worker threads (default: the number of CPU cores)",
        "GENAI_COMMAND_TIMEOUT": "seconds one command's model work may take "
        f"(default: {_D.command_timeout_s:g})",
        "GENAI_IMAGE_MARK": "on or off: a small AI mark in a corner of every image "
        f"(default: {'on' if _D.image_mark else 'off'})",
        "GENAI_OWNER_IDS": "user ids (comma-separated) allowed to /train and /model rollback besides "
        "members with Manage Server, and exempt from cooldowns and per-user limits",
        "GENAI_TRAINING_GUILDS": "server ids (comma-separated) whose admins may /train and /model "
        "rollback: the model serves every server, so set it on a bot others can invite (default: any server)",
        "GENAI_TRAINING_DATA": "an .npz or IDX folder that /train start trains on (default: download MNIST)",
        "GENAI_SWAP_MAX_ELBO_INCREASE": "nats a new model's validation -ELBO may exceed the serving "
        f"one's and still serve (default: {_D.swap_max_elbo_increase:g})",
        "GENAI_SWAP_MIN_FIDELITY": "fraction of drawn digits the checker must read as the asked class "
        f"for a new model to serve, 0-1 (default: {_D.swap_min_fidelity:g})",
        "GENAI_SWAP_MAX_DIGIT_DROP": "how far (0-1) a new model's worst digit may fall below the "
        "serving one's fidelity or recall and still serve "
        f"(default: {_D.swap_max_digit_drop:g})",
        "GENAI_C2PA_CERT": "PEM file: the Content Credentials signing certificate, then its "
        "issuers (default: a local, untrusted authority under GENAI_DATA_DIR/c2pa)",
        "GENAI_C2PA_KEY": "PEM file: the private key of GENAI_C2PA_CERT",
        "GENAI_C2PA_ALG": "the key's signing algorithm: es256, es384, es512, ps256, ps384, ps512 or "
        f"ed25519 (default: {_D.c2pa_alg})",
    },
    "Fair use: who may use what, when, in which order": {
        "GENAI_COOLDOWNS": f"seconds between uses per user, as name=seconds,… (default: {_COOLDOWNS})",
        "GENAI_JOBS_PER_USER": "requests one user may have running or queued at once "
        f"(default: {_D.fair_use.jobs_per_user})",
        "GENAI_JOBS_PER_GUILD": "model or text jobs one server may run at once "
        f"(default: {_D.fair_use.jobs_per_guild})",
        "GENAI_MODEL_CONCURRENCY": "digit jobs running at once (default: GENAI_WORKERS)",
        "GENAI_QUEUE_SIZE": "requests that may wait their turn, per resource (digits, poems); more "
        f"are asked to retry (default: {_D.fair_use.queue_size})",
        "GENAI_ALLOW_GUILDS": "server ids the bot answers in (comma-separated; default: all)",
        "GENAI_DENY_GUILDS": "server ids the bot never answers in",
        "GENAI_ALLOW_CHANNELS": "channel ids the bot answers in (default: all)",
        "GENAI_DENY_CHANNELS": "channel ids the bot never answers in",
        "GENAI_ALLOW_ROLES": "role ids: only members with one of them may use the bot (default: anyone)",
        "GENAI_DENY_ROLES": "role ids whose members may not use the bot",
    },
    "Storage": {
        "GENAI_DATA_DIR": f"the bot's database, training jobs and model registry (default: ./{_D.data_dir})",
        "GENAI_DATABASE_URL": "SQLAlchemy URL of the database (default: GENAI_DATA_DIR/genai-bot.db, "
        "SQLite; PostgreSQL for shard processes)",
        "GENAI_AUDIT_RETENTION_DAYS": "days the audit log keeps each generation; 0 keeps none "
        f"(default: {_D.audit_retention_days:g})",
    },
    "Operations": {
        "LOG_LEVEL": f"DEBUG, INFO, WARNING or ERROR; DEBUG also shows TensorFlow's own lines "
        f"(default: {_D.log_level})",
        "LOG_FORMAT": f"text or json: one JSON object per line (default: {_D.log_format})",
        "GENAI_OPERATOR_CONTACT": "how users reach the operator, shown by /about (default: none)",
        "GENAI_SHUTDOWN_GRACE": "seconds work in flight may take to finish on SIGTERM/SIGINT "
        f"(default: {_D.shutdown_grace_s:g})",
        "GENAI_METRICS_PORT": "port of /healthz, /readyz and /metrics (default: off)",
        "GENAI_METRICS_HOST": f"address that endpoint binds to (default: {_D.metrics_host})",
    },
}
ENVIRONMENT = {name: line for group in GROUPS.values() for name, line in group.items()}
TEXT_VARIABLES = tuple(name for name in ENVIRONMENT if name.startswith("OPENAI_"))

# What earlier copies of .env.example held: a .env still carrying one is not configured yet.
PLACEHOLDERS = {
    "DISCORD_TOKEN": "your-discord-bot-token",
    "DEV_GUILD_ID": "123456789012345678",
    "OPENAI_API_KEY": "sk-your-key",
}


PROJECT_DIR = Path(__file__).resolve().parent.parent  # a checkout's root (.env.example is there)


def dotenv_candidates() -> list[Path]:
    """Where a `.env` is looked for, in order: the working directory, then, in a checkout,
    beside the project (so `genai-bot` run from another folder of it still finds it)."""
    candidates = [Path.cwd() / ".env"]
    # Only a checkout has a project root; installed as a package (the container's image),
    # PROJECT_DIR is site-packages, where no .env belongs.
    if (PROJECT_DIR / "pyproject.toml").is_file():
        candidates.append(PROJECT_DIR / ".env")
    return list(dict.fromkeys(path.resolve() for path in candidates))


def dotenv_file() -> Path | None:
    """The `.env` settings are read from: the first of `dotenv_candidates` that exists."""
    return next((path for path in dotenv_candidates() if path.is_file()), None)


def where_settings_come_from() -> str:
    """For messages about a missing setting: which .env was read, or where none was found."""
    found = dotenv_file()
    if found is not None:
        return f"the environment and {found}"
    return "the environment (no .env in " + " or ".join(str(p.parent) for p in dotenv_candidates()) + ")"


def load_settings(environ: Mapping[str, str] | None = None, *, dotenv: bool = True) -> Settings:
    """Build settings from `environ` (default: os.environ, after loading `.env` if present).

    A variable set to the empty string means its default, as if it were not set: a `.env`
    copied from .env.example changes nothing."""
    found, from_file = None, set()
    if environ is None:
        found = dotenv_file() if dotenv else None
        if found is not None:
            for name, value in _read_dotenv(found).items():
                if name not in os.environ:  # real environment variables win over the file
                    os.environ[name] = value
                    from_file.add(name)
        environ = os.environ
    try:
        settings = _settings_from(environ)
    except SettingsError as exc:
        # Say where a bad value was written, when it was the .env file.
        named = next((name for name in from_file if str(exc).startswith(name)), None)
        if named is None:
            raise
        raise SettingsError(f"{exc} (in {found})") from None
    # A checkout's .env read from another folder: its data folder (the default, or a relative
    # one it names) is the checkout's, not a new empty one wherever the command runs.
    chosen_here = "GENAI_DATA_DIR" in environ and "GENAI_DATA_DIR" not in from_file
    if found is not None and not chosen_here and not settings.data_dir.is_absolute():
        if found.parent != Path.cwd().resolve():
            settings = replace(settings, data_dir=found.parent / settings.data_dir)
    return settings


def _read_dotenv(path: Path) -> dict[str, str]:
    """The variables `path` sets, refusing a file python-dotenv cannot read line by line (it
    would skip such a line with a warning naming no file) or one that is not UTF-8 text."""
    import io

    from dotenv import dotenv_values

    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise SettingsError(
            f"{path} is not UTF-8 text (saved as UTF-16?): save it as plain UTF-8 and try again"
        ) from None
    except OSError as exc:
        raise SettingsError(f"cannot read {path}: {exc.strerror or exc}") from None
    unreadable: list[int] = []

    class _Unreadable(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            unreadable.extend(arg for arg in record.args or () if isinstance(arg, int))

    parser_log = logging.getLogger("dotenv.main")
    catcher, propagate = _Unreadable(), parser_log.propagate
    parser_log.addHandler(catcher)
    parser_log.propagate = False
    try:
        values = dotenv_values(stream=io.StringIO(text))
    finally:
        parser_log.removeHandler(catcher)
        parser_log.propagate = propagate
    if unreadable:
        raise SettingsError(
            f"{path}, line {unreadable[0]}: cannot read this line (a quote left open?); mend it or delete it"
        )
    return {name: value for name, value in values.items() if value is not None}


def _settings_from(environ: Mapping[str, str]) -> Settings:
    env = {k: v.strip() for k, v in environ.items() if v.strip() != ""}
    _refuse_placeholders(env)
    retired = tuple(name for name in RETIRED if name in env)

    poet = _D.poet
    poet = PoetConfig(
        api_key=env.get("OPENAI_API_KEY"),
        base_url=_url(env, "OPENAI_BASE_URL"),
        model=env.get("OPENAI_MODEL", poet.model),
        temperature=_float(env, "OPENAI_TEMPERATURE", poet.temperature, low=0.0, high=2.0),
        max_tokens=_int(env, "OPENAI_MAX_TOKENS", poet.max_tokens, low=16, high=4096),
        token_limit_param=_choice(
            env, "OPENAI_TOKEN_LIMIT_PARAM", poet.token_limit_param, ("max_tokens", "max_completion_tokens")
        ),
        timeout_s=_float(env, "OPENAI_TIMEOUT", poet.timeout_s, low=1.0, high=600.0),
        max_retries=_int(env, "OPENAI_MAX_RETRIES", poet.max_retries, low=0, high=10),
        moderation=_choice(env, "OPENAI_MODERATION", poet.moderation, ("auto", "on", "off")),
        max_concurrency=_int(env, "OPENAI_MAX_CONCURRENCY", poet.max_concurrency, low=1, high=64),
        deadline_s=_float(env, "OPENAI_DEADLINE", poet.deadline_s, low=5.0, high=600.0),
        system_prompt_role=_choice(env, "OPENAI_SYSTEM_PROMPT", poet.system_prompt_role, ("system", "user")),
    )
    model_dir = env.get("GENAI_MODEL_DIR")
    training_data = env.get("GENAI_TRAINING_DATA")
    owner_ids = _ids(env, "GENAI_OWNER_IDS")
    return Settings(
        retired=retired,
        unread=unread_settings(env),
        discord_token=env.get("DISCORD_TOKEN"),
        dev_guild_id=_int(env, "DEV_GUILD_ID", _D.dev_guild_id, low=1, high=2**64 - 1),
        **_sharding(env),
        poet=poet,
        model_dir=Path(model_dir) if model_dir else _D.model_dir,
        training_dir=Path(env.get("GENAI_TRAINING_DIR", str(_D.training_dir))),
        workers=_int(env, "GENAI_WORKERS", _D.workers, low=1, high=64),
        command_timeout_s=_float(env, "GENAI_COMMAND_TIMEOUT", _D.command_timeout_s, low=1.0, high=900.0),
        image_mark=_choice(env, "GENAI_IMAGE_MARK", "on" if _D.image_mark else "off", ("on", "off")) == "on",
        owner_ids=owner_ids,
        training_guilds=_ids(env, "GENAI_TRAINING_GUILDS", "server"),
        training_data=Path(training_data) if training_data else _D.training_data,
        swap_max_elbo_increase=_float(
            env, "GENAI_SWAP_MAX_ELBO_INCREASE", _D.swap_max_elbo_increase, low=0.0, high=1000.0
        ),
        swap_min_fidelity=_float(env, "GENAI_SWAP_MIN_FIDELITY", _D.swap_min_fidelity, low=0.0, high=1.0),
        swap_max_digit_drop=_float(
            env, "GENAI_SWAP_MAX_DIGIT_DROP", _D.swap_max_digit_drop, low=0.0, high=1.0
        ),
        **_content_credentials(env),
        fair_use=_fair_use(env, owner_ids),
        data_dir=Path(env.get("GENAI_DATA_DIR", str(_D.data_dir))),
        database_url=env.get("GENAI_DATABASE_URL"),
        audit_retention_days=_float(
            env, "GENAI_AUDIT_RETENTION_DAYS", _D.audit_retention_days, low=0.0, high=36_500.0
        ),
        log_level=_choice(env, "LOG_LEVEL", _D.log_level, ("DEBUG", "INFO", "WARNING", "ERROR"), upper=True),
        log_format=_choice(env, "LOG_FORMAT", _D.log_format, ("text", "json")),
        operator_contact=env.get("GENAI_OPERATOR_CONTACT"),
        shutdown_grace_s=_float(env, "GENAI_SHUTDOWN_GRACE", _D.shutdown_grace_s, low=0.0, high=600.0),
        metrics_port=_int(env, "GENAI_METRICS_PORT", _D.metrics_port, low=1, high=65535),
        metrics_host=env.get("GENAI_METRICS_HOST", _D.metrics_host),
    )


def _content_credentials(env: Mapping[str, str]) -> dict:
    """GENAI_C2PA_CERT and GENAI_C2PA_KEY go together: one without the other is a mistake."""
    cert, key = env.get("GENAI_C2PA_CERT") or None, env.get("GENAI_C2PA_KEY") or None
    if bool(cert) != bool(key):
        raise SettingsError(
            "set both GENAI_C2PA_CERT and GENAI_C2PA_KEY (the signing "
            "certificate and its key), or neither for a local authority"
        )
    return {
        "c2pa_cert": Path(cert) if cert else None,
        "c2pa_key": Path(key) if key else None,
        "c2pa_alg": _choice(
            env,
            "GENAI_C2PA_ALG",
            _D.c2pa_alg,
            ("es256", "es384", "es512", "ps256", "ps384", "ps512", "ed25519"),
        ),
    }


def _fair_use(env: Mapping[str, str], owner_ids: frozenset[int]) -> FairUseLimits:
    limits = _D.fair_use
    return FairUseLimits(
        cooldowns_s=_cooldowns(env),
        jobs_per_user=_int(env, "GENAI_JOBS_PER_USER", limits.jobs_per_user, low=1, high=1000),
        jobs_per_guild=_int(env, "GENAI_JOBS_PER_GUILD", limits.jobs_per_guild, low=1, high=1000),
        model_concurrency=_int(env, "GENAI_MODEL_CONCURRENCY", limits.model_concurrency, low=1, high=256),
        queue_size=_int(env, "GENAI_QUEUE_SIZE", limits.queue_size, low=0, high=10_000),
        owner_ids=owner_ids,
        access=AccessLists(
            allowed_guilds=_ids(env, "GENAI_ALLOW_GUILDS", "server"),
            denied_guilds=_ids(env, "GENAI_DENY_GUILDS", "server"),
            allowed_channels=_ids(env, "GENAI_ALLOW_CHANNELS", "channel"),
            denied_channels=_ids(env, "GENAI_DENY_CHANNELS", "channel"),
            allowed_roles=_ids(env, "GENAI_ALLOW_ROLES", "role"),
            denied_roles=_ids(env, "GENAI_DENY_ROLES", "role"),
        ),
    )


def _ids(env: Mapping[str, str], name: str, kind: str = "user") -> frozenset[int]:
    """Discord ids (of users, servers, channels or roles), separated by commas or spaces."""
    raw = env.get(name, "")
    ids = set()
    for part in raw.replace(",", " ").split():
        if not part.isdigit():
            raise SettingsError(f"{name} must be Discord {kind} ids separated by commas, got {part!r}")
        ids.add(int(part))
    return frozenset(ids)


def _cooldowns(env: Mapping[str, str]) -> dict[str, float]:
    """GENAI_COOLDOWNS: `command=seconds` pairs; commands left out keep their default."""
    cooldowns = dict(DEFAULT_COOLDOWNS_S)
    raw = env.get("GENAI_COOLDOWNS", "")
    form = f"name=seconds pairs separated by commas, e.g. {_COOLDOWNS}"
    for part in raw.replace(",", " ").split():
        command, equals, seconds = part.partition("=")
        if not equals:
            raise SettingsError(f"GENAI_COOLDOWNS must be {form}; got {raw!r}")
        if command not in COMMAND_RESOURCES:
            raise SettingsError(
                f"GENAI_COOLDOWNS names {command!r}; the names are "
                f"{', '.join(COMMAND_RESOURCES)}, as in {form}"
            )
        try:
            cooldowns[command] = _float({command: seconds}, command, 0.0, low=0.0, high=86_400.0)
        except SettingsError as exc:
            raise SettingsError(f"GENAI_COOLDOWNS: {exc}") from None
    return cooldowns


MAX_SHARDS = 16_384  # far past any bot's need; a typo like 20000 is caught at start-up


def _sharding(env: Mapping[str, str]) -> dict:
    """SHARD_COUNT and SHARD_IDS, checked together: ids within the count, none twice."""
    count = _int(env, "SHARD_COUNT", None, low=1, high=MAX_SHARDS)
    raw_ids = env.get("SHARD_IDS")
    if raw_ids is None:
        return {"shard_count": count, "shard_ids": None}
    if count is None:
        raise SettingsError(
            "SHARD_IDS is set but SHARD_COUNT is not: set SHARD_COUNT to the number of shards "
            "across all processes (e.g. SHARD_COUNT=2, with SHARD_IDS=0 in one process and "
            "SHARD_IDS=1 in the other)"
        )
    ids = parse_shard_ids(raw_ids)
    outside = [i for i in ids if i >= count]
    if outside:
        raise SettingsError(
            f"SHARD_IDS has shard {outside[0]}, but with SHARD_COUNT={count} the shards are "
            f"0 to {count - 1}: raise SHARD_COUNT or fix SHARD_IDS"
        )
    return {"shard_count": count, "shard_ids": ids}


def parse_shard_ids(raw: str) -> tuple[int, ...]:
    """`0,1` or `0-3` or `0,2-3` → (0, 2, 3), in order; a shard listed twice is refused."""
    ids: list[int] = []
    for part in raw.split(","):
        low, dash, high = part.strip().partition("-")
        try:
            first = int(low)
            last = int(high) if dash else first
        except ValueError:
            raise SettingsError(
                f"SHARD_IDS must list shard numbers such as 0,1 or 0-3; got {raw!r}"
            ) from None
        if first < 0 or last < first:
            raise SettingsError(
                f"SHARD_IDS has the range {part.strip()!r}: write low-high, "
                "with whole numbers from 0, e.g. 0-3"
            )
        ids.extend(range(first, last + 1))
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise SettingsError(f"SHARD_IDS lists shard {repeated[0]} more than once; got {raw!r}")
    return tuple(sorted(ids))


def _refuse_placeholders(env: Mapping[str, str]) -> None:
    for name, placeholder in PLACEHOLDERS.items():
        if env.get(name) == placeholder:
            raise SettingsError(
                f"{name} is still the example value {placeholder!r}: put your own value in .env, "
                "or leave it empty (see .env.example)"
            )
    # A token never holds a space: one that does was copied with "Bot " before it, or with
    # something after it, and would only be refused by Discord, online, later. Not shown.
    if any(char.isspace() for char in env.get("DISCORD_TOKEN", "").strip()):
        raise SettingsError(
            "DISCORD_TOKEN has a space in it: copy the token alone from the Bot page of your "
            "application (no 'Bot ' before it, nothing after it)"
        )


def _int(env: Mapping[str, str], name: str, default: int | None, *, low: int, high: int):
    return _number(env, name, default, int, "a whole number", low=low, high=high)


def _float(env: Mapping[str, str], name: str, default: float, *, low: float, high: float) -> float:
    return _number(env, name, default, float, "a number", low=low, high=high)


def _number(env: Mapping[str, str], name: str, default, parse, kind: str, *, low, high):
    """`env[name]` parsed by `parse` and within [low, high]; `default` when unset."""
    raw = env.get(name)
    if raw is None:
        return default
    try:
        value = parse(raw)
    except ValueError:
        raise SettingsError(f"{name} must be {kind}, got {raw!r}") from None
    if not low <= value <= high:
        raise SettingsError(f"{name} must be between {low} and {high}, got {value}")
    return value


def _choice(env, name: str, default: str, choices: tuple[str, ...], *, upper: bool = False):
    raw = env.get(name, default)
    value = raw.upper() if upper else raw.lower()
    if value not in choices:
        raise SettingsError(f"{name} must be one of {', '.join(choices)}; got {raw!r}")
    return value


def _url(env: Mapping[str, str], name: str) -> str | None:
    raw = env.get(name)
    if raw is None:
        return None
    if not raw.startswith(("http://", "https://")):
        raise SettingsError(f"{name} must start with http:// or https://, got {raw!r}")
    return raw.rstrip("/")


ENV_EXAMPLE_HEADER = """\
# genai-bot settings. Copy to .env in the folder you run genai-bot from (or beside the project),
# then uncomment and fill in what you need; real environment variables win over .env. Every key
# is commented out here, so a copy changes no default, and `docker run --env-file .env` passes
# nothing that would override the image's own settings. A key set empty means its default too.
# Never commit .env: it holds secrets (.gitignore already lists it).
# Written by `python -m bot.settings > .env.example` from bot/settings.py; edit it there.
"""


def env_example() -> str:
    """.env.example: every variable, grouped as in GROUPS, with its help line, commented out."""
    lines = [ENV_EXAMPLE_HEADER]
    for group, variables in GROUPS.items():
        lines.append(f"# --- {group} " + "-" * max(3, 92 - len(group)))
        for name, help_line in variables.items():
            lines += [f"# {help_line[0].upper()}{help_line[1:]}.", f"# {name}="]
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


REFERENCE_START = "<!-- settings reference: written by `python -m bot.settings --markdown` -->"
REFERENCE_END = "<!-- end of the settings reference -->"


def settings_reference() -> str:
    """docs/configuration.md's tables: every variable, grouped as in GROUPS, with its help line."""
    lines = [REFERENCE_START]
    for group, variables in GROUPS.items():
        lines += ["", f"### {group}", "", "| setting | what it does |", "|---|---|"]
        lines += [f"| `{name}` | {_cell(help_line)} |" for name, help_line in variables.items()]
    lines += ["", REFERENCE_END]
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


if __name__ == "__main__":
    import sys

    print(settings_reference() if "--markdown" in sys.argv[1:] else env_example(), end="")
