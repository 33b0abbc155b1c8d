"""server settings and user preferences (and the settings version row the processes poll)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 18:40:29.893534
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "guild_settings",
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("guild_id", "key", name=op.f("pk_guild_settings")),
    )
    op.create_table(
        "settings_changes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=True),
        sa.Column("actor_hash", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("old", sa.JSON(), nullable=True),
        sa.Column("new", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_settings_changes")),
    )
    with op.batch_alter_table("settings_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_settings_changes_actor_hash"), ["actor_hash"], unique=False)
        batch_op.create_index(batch_op.f("ix_settings_changes_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_settings_changes_guild_id"), ["guild_id"], unique=False)

    op.create_table(
        "settings_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_settings_version")),
    )
    # The one row every change increments; the processes poll it (bot.guild_rules.cache).
    op.execute(sa.text("INSERT INTO settings_version (id, version) VALUES (1, 0)"))
    op.create_table(
        "user_preferences",
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "key", name=op.f("pk_user_preferences")),
    )


def downgrade() -> None:
    op.drop_table("user_preferences")
    op.drop_table("settings_version")
    with op.batch_alter_table("settings_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_settings_changes_guild_id"))
        batch_op.drop_index(batch_op.f("ix_settings_changes_created_at"))
        batch_op.drop_index(batch_op.f("ix_settings_changes_actor_hash"))

    op.drop_table("settings_changes")
    op.drop_table("guild_settings")
