"""One file per schema change, oldest first (Alembic reads `down_revision` for the order)."""
