"""compose.yaml loads with no variable set (Compose interpolates the whole file before it picks
profiles, so one `${VAR:?…}` anywhere stops a plain `docker compose up`), and a .env copied from
.env.example changes no default: every key in it is empty or commented out."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from dotenv import dotenv_values

REPO = Path(__file__).resolve().parents[2]
COMPOSE = REPO / "compose.yaml"
# Compose's interpolation: $$ (a literal $), ${NAME}, ${NAME:-default}, ${NAME-default},
# ${NAME:?error}, ${NAME?error}, ${NAME:+other}, ${NAME+other}, and a bare $NAME.
REFERENCE = re.compile(
    r"\$(?:(?P<escaped>\$)|\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\}"
    r"|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))"
)


def interpolate(text: str, variables: dict[str, str]) -> str:
    """compose.yaml as Compose sees it with `variables` set (the shell's and .env's)."""

    def replace(match: re.Match[str]) -> str:
        if match["escaped"]:
            return "$"
        name = match["braced"] or match["bare"]
        value, op, arg = variables.get(name), match["op"], match["arg"]
        if op in (":-", "-"):
            return value if value or (op == "-" and value is not None) else arg
        if op in (":?", "?") and (value is None or (op == ":?" and not value)):
            raise LookupError(f"{name}: {arg}")
        if op in (":+", "+"):
            return arg if value or (op == "+" and value is not None) else ""
        return value or ""

    return REFERENCE.sub(replace, text)


def _references() -> list[re.Match[str]]:
    return [m for m in REFERENCE.finditer(COMPOSE.read_text()) if not m["escaped"]]


def test_every_variable_the_compose_file_uses_has_a_default():
    references = _references()
    assert references, "compose.yaml uses no variable: is the pattern right?"
    without_default = [m[0] for m in references if m["op"] not in (":-", "-")]
    assert not without_default, f"these stop `docker compose up` when unset: {without_default}"


@pytest.mark.parametrize("variables", ["none", "a copied .env.example"])
def test_the_compose_file_loads_and_each_profile_has_its_services(variables):
    values = (
        {} if variables == "none" else {k: v or "" for k, v in dotenv_values(REPO / ".env.example").items()}
    )
    compose = yaml.safe_load(interpolate(COMPOSE.read_text(), values))
    profiles = {name: tuple(service.get("profiles", ())) for name, service in compose["services"].items()}
    assert profiles == {
        "bot": (),
        "ollama": ("local-llm",),
        "ollama-pull": ("local-llm",),
        "prometheus": ("monitoring",),
        "grafana": ("monitoring",),
        "postgres": ("shards",),
        "shard-0": ("shards",),
        "shard-1": ("shards",),
    }
    for name in ("bot", "shard-0", "shard-1"):
        environment = compose["services"][name]["environment"]
        assert environment["GENAI_METRICS_HOST"] == "0.0.0.0" and environment["GENAI_METRICS_PORT"] == "8080"
        assert float(environment["GENAI_SHUTDOWN_GRACE"]) < 30  # inside stop_grace_period: 30s
    for name in ("shard-0", "shard-1"):
        url = compose["services"][name]["environment"]["GENAI_DATABASE_URL"]
        assert url == "postgresql://genai:genai@postgres/genai"
    assert compose["services"]["postgres"]["environment"]["POSTGRES_PASSWORD"] == "genai"
    assert compose["networks"]["database"]["internal"] is True
    networks = {name: service.get("networks") for name, service in compose["services"].items()}
    assert networks == {
        "postgres": ["database"],
        "shard-0": ["default", "database"],
        "shard-1": ["default", "database"],
        **{name: ["default"] for name in ("bot", "ollama", "ollama-pull", "prometheus", "grafana")},
    }
    assert "ports" not in compose["services"]["postgres"]  # the default password stays inside


def test_the_monitoring_profile_mounts_files_that_exist():
    compose = yaml.safe_load(interpolate(COMPOSE.read_text(), {}))
    for name in ("prometheus", "grafana"):
        for volume in compose["services"][name]["volumes"]:
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (REPO / source).exists(), f"{name} mounts {source}, which is not in the repository"


def test_the_ollama_model_is_the_one_the_docs_name():
    compose = yaml.safe_load(interpolate(COMPOSE.read_text(), {}))
    (model,) = compose["services"]["ollama-pull"]["command"][1:]
    docs = (REPO / "docs/container.md").read_text()
    assert f"OPENAI_MODEL={model}" in docs and f"OPENAI_MODEL={model}" in COMPOSE.read_text()


def test_every_key_of_env_example_is_empty_or_commented_out():
    """docker run --env-file and Compose's env_file pass each `KEY=value` to the container, over
    the image's own defaults: a copied .env.example must set nothing."""
    set_keys = {key: value for key, value in dotenv_values(REPO / ".env.example").items() if value}
    assert not set_keys, f"give these their default by leaving them empty: {sorted(set_keys)}"


@pytest.mark.parametrize(
    ("text", "variables", "expected"),
    [
        ("${A:-x}", {}, "x"),
        ("${A:-x}", {"A": ""}, "x"),
        ("${A-x}", {"A": ""}, ""),
        ("${A:-x}", {"A": "y"}, "y"),
        ("$$A", {"A": "y"}, "$A"),
        ("$A/${B}", {"A": "1"}, "1/"),
    ],
)
def test_interpolation_follows_compose(text, variables, expected):
    assert interpolate(text, variables) == expected


def test_every_pulled_image_is_named_in_full_so_podman_finds_it():
    compose = yaml.safe_load(interpolate(COMPOSE.read_text(), {}))
    for name, service in compose["services"].items():
        if "build" not in service:
            assert service["image"].startswith("docker.io/"), name
