"""Operating the bot: health and metrics endpoints, gateway state, logs, the audit log,
stop signals, shutdown and garbage-collector pauses."""
