""".env.example documents every setting, every value in it is one the settings accept, and a
copy of it left as it is configures nothing: no placeholder token or guild id reaches Discord."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from dotenv import dotenv_values

import bot.settings as settings_module
from bot.settings import (
    ENVIRONMENT,
    GROUPS,
    PLACEHOLDERS,
    Settings,
    SettingsError,
    env_example,
    load_settings,
)

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / ".env.example"


def commented_keys() -> list[str]:
    """The keys .env.example lists, each as a commented-out `# KEY=` line."""
    return re.findall(r"^# ([A-Z][A-Z0-9]*_[A-Z0-9_]+)=$", EXAMPLE.read_text(), re.MULTILINE)


def test_every_variable_the_settings_read_is_documented():
    from bot.settings import OTHER_NAMES, RETIRED

    named = set(re.findall(r'"([A-Z][A-Z0-9]*_[A-Z0-9_]+)"', (REPO / "bot/settings.py").read_text()))
    read = named - set(RETIRED) - set(OTHER_NAMES)  # named only to say they are not read
    documented = set(commented_keys())
    assert read, "no variable names found in bot/settings.py"
    assert read <= documented, sorted(read - documented)
    assert documented <= read, sorted(documented - read)  # nothing stale either
    assert set(ENVIRONMENT) == documented  # and each has its --help line


def test_the_example_copied_as_it_is_loads_without_errors_and_configures_no_secrets():
    values = {k: v or "" for k, v in dotenv_values(EXAMPLE).items()}
    settings = load_settings(values)
    assert settings.discord_token is None  # so `make run` runs the demo, not a doomed login
    assert settings.dev_guild_id is None
    assert settings.poet.api_key is None and not settings.text_configured
    assert settings.workers >= 1 and settings.training_dir == Path("runs/vae")


@pytest.mark.parametrize("name", sorted(PLACEHOLDERS))
def test_an_old_placeholder_value_is_refused_by_name(name):
    with pytest.raises(SettingsError, match=f"^{name} is still the example value"):
        load_settings({name: PLACEHOLDERS[name]})


def test_dotenv_is_read_from_the_working_directory(tmp_path, monkeypatch):
    (tmp_path / ".env").write_text("GENAI_WORKERS=3\nOPENAI_MODEL=from-the-working-dir\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(os, "environ", dict(os.environ))  # what .env adds goes with the test
    monkeypatch.setenv("OPENAI_MODEL", "from-the-environment")
    settings = load_settings()
    assert settings.workers == 3
    assert settings.poet.model == "from-the-environment"  # real variables win over .env


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b'DISCORD_TOKEN="abc.def.ghi\n', ".env, line 1: cannot read this line (a quote left open?)"),
        ("GENAI_WORKERS=3\n".encode("utf-16"), ".env is not UTF-8 text"),
        (b"GENAI_WORKERS=many\n", "GENAI_WORKERS must be a whole number, got 'many' (in "),
    ],
    ids=["open-quote", "utf-16", "bad-value"],
)
def test_a_dotenv_the_settings_cannot_use_is_named_in_the_message(tmp_path, monkeypatch, content, fragment):
    (tmp_path / ".env").write_bytes(content)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(os, "environ", dict(os.environ))
    monkeypatch.delenv("GENAI_WORKERS", raising=False)
    with pytest.raises(SettingsError) as refused:
        load_settings()
    assert fragment in str(refused.value)
    assert "abc.def.ghi" not in str(refused.value)  # never the secret itself


def test_a_bad_value_from_the_environment_is_not_blamed_on_the_dotenv(tmp_path, monkeypatch):
    (tmp_path / ".env").write_text("GENAI_WORKERS=3\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(os, "environ", dict(os.environ))
    monkeypatch.setenv("GENAI_WORKERS", "many")
    with pytest.raises(SettingsError) as refused:
        load_settings()
    assert str(refused.value) == "GENAI_WORKERS must be a whole number, got 'many'"


def test_the_example_is_the_one_the_settings_write():
    assert EXAMPLE.read_text() == env_example(), "run: python -m bot.settings > .env.example"


def test_every_key_of_the_example_is_commented_out_so_a_copy_changes_no_default():
    # Nothing a copied .env sets: `docker run --env-file .env` overrides none of the image's
    # own settings (an empty GENAI_METRICS_PORT= would).
    assert dotenv_values(EXAMPLE) == {}
    assert sorted(commented_keys()) == sorted(ENVIRONMENT)
    assert len(commented_keys()) == len(set(commented_keys()))


@pytest.mark.parametrize("name", sorted(ENVIRONMENT))
def test_a_variable_set_to_the_empty_string_means_its_default(name):
    assert load_settings({name: ""}) == load_settings({}) == load_settings({name: "   "})


def test_an_empty_metrics_port_keeps_the_default_not_a_blank_port():
    assert load_settings({"GENAI_METRICS_PORT": ""}).metrics_port == Settings().metrics_port


def test_each_group_documents_its_own_variables_once():
    names = [name for group in GROUPS.values() for name in group]
    assert len(names) == len(set(names)) == len(ENVIRONMENT)


def test_help_lines_state_the_defaults_the_settings_use():
    defaults = Settings()
    assert f"(default: {defaults.poet.model})" in ENVIRONMENT["OPENAI_MODEL"]
    assert f"(default: {defaults.fair_use.queue_size})" in ENVIRONMENT["GENAI_QUEUE_SIZE"]
    assert f"(default: {defaults.shutdown_grace_s:g})" in ENVIRONMENT["GENAI_SHUTDOWN_GRACE"]


def test_dotenv_beside_the_project_is_read_when_the_working_directory_has_none(tmp_path, monkeypatch):
    project, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    project.mkdir()
    elsewhere.mkdir()
    (project / "pyproject.toml").write_text("")  # a checkout
    (project / ".env").write_text("OPENAI_MODEL=from-beside-the-project\n")
    monkeypatch.setattr(settings_module, "PROJECT_DIR", project)
    monkeypatch.chdir(elsewhere)
    monkeypatch.setattr(os, "environ", dict(os.environ))
    monkeypatch.delenv("OPENAI_MODEL", raising=False)
    assert load_settings().poet.model == "from-beside-the-project"
    assert settings_module.where_settings_come_from() == f"the environment and {project / '.env'}"


def test_without_any_dotenv_the_settings_say_where_they_looked(tmp_path, monkeypatch):
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "pyproject.toml").write_text("")  # a checkout
    monkeypatch.setattr(settings_module, "PROJECT_DIR", tmp_path / "project")
    monkeypatch.chdir(tmp_path)
    where = settings_module.where_settings_come_from()
    assert where == f"the environment (no .env in {tmp_path.resolve()} or {tmp_path / 'project'})"


def test_an_installed_copy_looks_for_env_in_the_working_directory_only(tmp_path, monkeypatch):
    # Installed as a package (the container's image), the code's folder is site-packages: no
    # .env belongs there, and a message naming it would send the operator looking for one.
    (tmp_path / "site-packages" / ".env").parent.mkdir()
    (tmp_path / "site-packages" / ".env").write_text("OPENAI_MODEL=from-site-packages\n")
    monkeypatch.setattr(settings_module, "PROJECT_DIR", tmp_path / "site-packages")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(os, "environ", dict(os.environ))
    monkeypatch.delenv("OPENAI_MODEL", raising=False)
    assert load_settings().poet.model != "from-site-packages"
    assert settings_module.dotenv_candidates() == [tmp_path.resolve() / ".env"]
    assert settings_module.where_settings_come_from() == f"the environment (no .env in {tmp_path.resolve()})"


@pytest.mark.parametrize("value", ["3", "digit", "digit:3"])
def test_cooldowns_without_a_name_and_seconds_say_the_expected_form(value):
    with pytest.raises(SettingsError, match=r"^GENAI_COOLDOWNS must be name=seconds pairs") as caught:
        load_settings({"GENAI_COOLDOWNS": value})
    assert "digit=3," in str(caught.value) and repr(value) in str(caught.value)


def test_cooldowns_naming_an_unknown_command_list_the_names_and_the_form():
    with pytest.raises(SettingsError, match="names 'dance'; the names are digit, morph") as caught:
        load_settings({"GENAI_COOLDOWNS": "dance=3"})
    assert "name=seconds" in str(caught.value)


def test_a_retired_variable_still_set_is_named_with_what_took_its_place():
    from bot.settings import load_settings, setting_notices

    settings = load_settings({"GENAI_TEXT_CONCURRENCY": "3", "OPENAI_MAX_QUEUE": ""}, dotenv=False)
    assert settings.retired == ("GENAI_TEXT_CONCURRENCY",)  # an empty value is no value
    assert setting_notices(settings) == [
        "GENAI_TEXT_CONCURRENCY is no longer read (poems wait in one queue, as wide as "
        "OPENAI_MAX_CONCURRENCY): remove it from the environment or .env"
    ]
    assert setting_notices(load_settings({}, dotenv=False)) == []


def test_a_misspelt_setting_is_named_with_the_one_it_looks_like_and_other_tools_names_are_not():
    from bot.settings import load_settings, setting_notices

    settings = load_settings(
        {
            "GENAI_METRIC_PORT": "9000",  # GENAI_METRICS_PORT
            "OPENAI_MODLE": "llama3",  # OPENAI_MODEL
            "GENAI_NO_SUCH_THING": "1",  # ours by its prefix, like nothing we read
            "POSTGRES_PASSWORD": "x",  # compose's, in the same .env
            "OPENAI_ORG_ID": "org",  # the openai library's own
            "PATH": "/usr/bin",
            "OPENAI_KEY": "sk-x",  # what guides call OPENAI_API_KEY
            "OPENAI_API_BASE": "http://x/v1",  # openai-python 0.x's name
            "openai_model": "llama3",  # the environment's names are case-sensitive
        },
        dotenv=False,
    )
    assert setting_notices(settings) == [
        "GENAI_METRIC_PORT is not a setting genai-bot reads (did you mean GENAI_METRICS_PORT?): "
        "it changes nothing",
        "GENAI_NO_SUCH_THING is not a setting genai-bot reads: it changes nothing",
        "OPENAI_API_BASE is not a setting genai-bot reads (did you mean OPENAI_BASE_URL?): "
        "it changes nothing",
        "OPENAI_KEY is not a setting genai-bot reads (did you mean OPENAI_API_KEY?): it changes nothing",
        "OPENAI_MODLE is not a setting genai-bot reads (did you mean OPENAI_MODEL?): it changes nothing",
        "openai_model is not a setting genai-bot reads (did you mean OPENAI_MODEL?): it changes nothing",
    ]


def test_every_command_says_which_settings_in_dotenv_change_nothing(tmp_path):
    import subprocess
    import sys

    (tmp_path / ".env").write_text("GENAI_METRIC_PORT=9000\nPOSTGRES_PASSWORD=compose-s\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GENAI_", "OPENAI_"))}
    run = subprocess.run(
        [sys.executable, "-c", "from bot.cli import main; raise SystemExit(main())", "verify", "none.png"],
        cwd=tmp_path, env=env | {"PYTHONPATH": str(REPO)}, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert (
        "GENAI_METRIC_PORT is not a setting genai-bot reads (did you mean GENAI_METRICS_PORT?)" in run.stderr
    )
    assert "POSTGRES_PASSWORD" not in run.stderr and "compose-s" not in run.stderr


def test_the_checkouts_env_read_from_another_folder_keeps_the_checkouts_data(tmp_path, monkeypatch):
    """Run from elsewhere, a command reads the checkout's .env: it must find the checkout's
    database and signing keys, not start an empty data folder wherever it runs."""
    import bot.settings
    from bot.settings import load_settings

    checkout, elsewhere = tmp_path / "checkout", tmp_path / "elsewhere"
    for folder in (checkout, elsewhere):
        folder.mkdir()
    (checkout / "pyproject.toml").write_text("")
    (checkout / ".env").write_text("# the operator's settings\n")
    monkeypatch.setattr(bot.settings, "PROJECT_DIR", checkout)
    monkeypatch.delenv("GENAI_DATA_DIR", raising=False)
    monkeypatch.chdir(elsewhere)
    assert load_settings().data_dir == checkout.resolve() / "data"
    monkeypatch.setenv("GENAI_DATA_DIR", "mine")  # chosen in this shell: relative to it
    assert load_settings().data_dir == Path("mine")
    monkeypatch.delenv("GENAI_DATA_DIR")
    monkeypatch.chdir(checkout)  # in the checkout itself, as the docs write it
    assert load_settings().data_dir == Path("data")


@pytest.mark.parametrize(
    "token", ["Bot MTIzNDU2.abc.def", "MTIzNDU2.abc.def trailing-words", "MTIz\tNDU2.abc.def"]
)
def test_a_token_copied_with_more_than_the_token_is_refused_without_showing_it(token):
    with pytest.raises(SettingsError) as refused:
        load_settings({"DISCORD_TOKEN": token}, dotenv=False)
    assert str(refused.value).startswith("DISCORD_TOKEN has a space in it: copy the token alone")
    assert "MTIz" not in str(refused.value) and "abc" not in str(refused.value)
    assert (
        load_settings({"DISCORD_TOKEN": "  MTIzNDU2.abc.def\n"}, dotenv=False).discord_token
        == "MTIzNDU2.abc.def"
    )
