"""Every module that declares tables, imported here so Alembic's autogenerate sees them all.

Add one import line per new module (see the package docstring).
"""

from bot.storage.schema import Base, ModelVersion, TrainingJob

__all__ = ["Base", "ModelVersion", "TrainingJob"]
