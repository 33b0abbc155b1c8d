"""Where a command may be installed and used, for the commands that steer a server or the whole
bot: only where a server added the bot, never through a user's own install, in DMs or in servers
without it. Every other command takes the client's default (bot/client.py): both installs,
every context."""

from discord import app_commands

SERVER_INSTALL = app_commands.AppInstallationType(guild=True, user=False)
IN_SERVERS = app_commands.AppCommandContext(guild=True, dm_channel=False, private_channel=False)
