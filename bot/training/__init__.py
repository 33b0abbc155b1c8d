"""Training from chat: the job process, its supervisor in the bot, and the model registry.

- job.py: the separate training process (`python -m bot.training.job JOB_DIR`), through the
  engine's own trainer; it writes status.json as it goes and evaluation.json at the end.
- launcher.py: starts that process, detached from the bot's session.
- jobs.py / registry.py: the training_jobs and model_versions tables (bot.storage).
- swap.py: the checks a new model must pass before it serves.
- supervisor.py: follows the running job from the bot's event loop, records it, and on success
  hot-swaps the bot's sampler.
"""
