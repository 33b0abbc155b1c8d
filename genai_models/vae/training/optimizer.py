"""Keras's Adam with decoupled weight decay (AdamW), with its per-step scalars worked out once.

Keras computes Adam's bias-corrected step size (two powers, a square root, a division) inside
`update_step`, once for every variable, and its weight decay evaluates the learning-rate
schedule once for every variable too. The VAE has 18 trainable variables, so its traced training
step had 1,533 graph nodes; computing each scalar once a step leaves 955 (the seed's plain Adam
step has 1,059). On this 2-core CPU that saved 1-3% of a step (runs interleaved with the seed's,
close to the machine's noise): small, but free. The arithmetic per variable is Keras's own, in
the same order, so the weights come out bit for bit the same (tests/vae/test_optimizer.py), and
checkpoints written with keras.optimizers.AdamW resume into it.
"""

from __future__ import annotations

from genai_models.vae.backend import keras, ops
from genai_models.vae.layers import PACKAGE


@keras.saving.register_keras_serializable(package=PACKAGE)
class SharedStepAdam(keras.optimizers.Adam):
    """`keras.optimizers.Adam` (pass `weight_decay` for AdamW) computing per-step scalars once."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.amsgrad:
            raise ValueError("SharedStepAdam does not implement amsgrad; use keras.optimizers.Adam")
        self._step_size = None  # set for the span of one _backend_update_step

    def _backend_update_step(self, grads, trainable_variables, learning_rate):
        # Every variable is float32 (under mixed_bfloat16 too: Keras keeps float32 master
        # weights, tests/vae/test_training.py), so one dtype serves all.
        dtype = trainable_variables[0].dtype
        local_step = ops.cast(self.iterations + 1, dtype)
        beta_1_power = ops.power(ops.cast(self.beta_1, dtype), local_step)
        beta_2_power = ops.power(ops.cast(self.beta_2, dtype), local_step)
        self._step_size = (ops.cast(learning_rate, dtype) * ops.sqrt(1 - beta_2_power)
                           / (1 - beta_1_power))
        try:
            super()._backend_update_step(grads, trainable_variables, learning_rate)
        finally:
            self._step_size = None

    def update_step(self, gradient, variable, learning_rate):
        """Keras's Adam update for one variable, with the step size computed above."""
        gradient = ops.cast(gradient, variable.dtype)
        m = self._momentums[self._get_variable_index(variable)]
        v = self._velocities[self._get_variable_index(variable)]
        self.assign_add(m, ops.multiply(ops.subtract(gradient, m), 1 - self.beta_1))
        self.assign_add(v, ops.multiply(ops.subtract(ops.square(gradient), v), 1 - self.beta_2))
        self.assign_sub(variable, ops.divide(ops.multiply(m, self._step_size),
                                             ops.add(ops.sqrt(v), self.epsilon)))

    def _apply_weight_decay(self, variables):
        if self.weight_decay is None:
            return
        learning_rate = self.learning_rate  # evaluates the schedule: once, not per variable
        for variable in variables:
            if self._use_weight_decay(variable):
                # Keras's expression and order: variable * wd * lr.
                variable.assign_sub(variable * ops.cast(self.weight_decay, variable.dtype)
                                    * ops.cast(learning_rate, variable.dtype))
