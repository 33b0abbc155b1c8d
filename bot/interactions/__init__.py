"""What every command passes through: admission (shutdown, access, option values, fair use),
the error replies, responses and paced edits, attachments, owner-only views, Discord's limits
and the user's language."""
