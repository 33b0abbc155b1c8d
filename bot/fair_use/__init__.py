"""Fair use: who may use the bot where, how often, and in what order when it is busy.

- limits.py: the configured limits (frozen, from settings);
- access.py: allow and deny lists for guilds, channels and roles, and who the bot's admins are;
- store.py: cooldowns and jobs in flight per user, behind a small interface (in memory for one
  process);
- shared_store.py: the same in the PostgreSQL database shard processes share, falling back to
  memory while the database is away;
- scheduler.py: per-guild and global caps with a bounded queue that serves users in turn;
- gate.py: the one entry point commands go through (`take_turn`), holding the bot's only
  queues: one per resource, the poems' as wide as the text endpoint serves at once. The
  Discord layer (bot.interactions.admission) shows a waiting user their place.

Import the submodules themselves: settings import limits.py without pulling in discord.py.
"""
