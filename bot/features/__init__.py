"""One folder per feature: its cog (the slash commands), views (buttons) and embeds."""
