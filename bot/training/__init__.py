"""Training from chat, the service side: the job process, its supervisor in the bot, the model
registry and the model that serves.

- job_process.py: the separate training process (`python -m bot.training.job_process JOB_DIR`),
  through the engine's own trainer; it writes status.json as it goes and evaluation.json at the end.
- launcher.py: starts that process, detached from the bot's session; spec.py: what it is told.
- job_store.py / registry.py: the training_jobs and model_versions tables (bot.storage).
- swap.py: the checks a new model must pass before it serves.
- supervisor.py: follows the running job from the bot's event loop, records it, and on success
  swaps the new model into serving.py (the one holder of the serving model); follower.py
  serves what other processes swap in.
"""
