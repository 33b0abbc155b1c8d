"""Alembic's environment and the schema revisions, shipped with the package."""
