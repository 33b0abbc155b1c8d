"""Every module that declares tables, imported here so Alembic's autogenerate sees them all.

Add one import line per new module (see the package docstring).
"""

from bot.storage.audit_schema import Generation
from bot.storage.component_state_schema import ComponentState
from bot.storage.fair_use_schema import Cooldown, JobInFlight
from bot.storage.schema import Base, ModelVersion, TrainingJob
from bot.storage.server_settings_schema import (
    GuildSetting,
    SettingsChange,
    SettingsVersion,
    UserPreference,
)

__all__ = [
    "Base",
    "ComponentState",
    "Cooldown",
    "Generation",
    "GuildSetting",
    "JobInFlight",
    "ModelVersion",
    "SettingsChange",
    "SettingsVersion",
    "TrainingJob",
    "UserPreference",
]
