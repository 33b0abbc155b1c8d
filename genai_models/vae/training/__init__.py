"""Training the digit VAE: data, the trainer, checkpoints, the self-check classifier, evaluation
and the status file `/train-status` reads. The bot itself only reads `status`; nothing here runs
while it serves. Importing the package is cheap; `trainer` imports TensorFlow.
"""
