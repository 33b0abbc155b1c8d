"""SharedStepAdam trains exactly as Keras's Adam/AdamW does, with fewer ops per step."""

from __future__ import annotations

import collections

import numpy as np
import pytest

EPOCHS, STEPS_PER_EPOCH = 2, 4  # 400 digits in batches of 128: 8 steps, a partial batch each epoch


def _train(mnist_slice, optimizer_factory):
    """Our VAE after two epochs with the training job's schedule, from the same seeds."""
    import tensorflow as tf

    from genai_models.vae.backend import keras
    from genai_models.vae.model import build_vae

    tf.config.experimental.enable_op_determinism()  # as training.train does
    keras.utils.set_random_seed(11)
    vae = build_vae(seed=11)
    schedule = keras.optimizers.schedules.CosineDecay(1e-3, decay_steps=EPOCHS * STEPS_PER_EPOCH,
                                                      alpha=0.05)
    vae.compile(optimizer=optimizer_factory(schedule), jit_compile=False)
    vae({"image": mnist_slice.images[:1], "label": mnist_slice.labels[:1]})
    initial = [w.copy() for w in vae.get_weights()]
    vae.fit({"image": mnist_slice.images[:400], "label": mnist_slice.labels[:400]},
            batch_size=128, epochs=EPOCHS, shuffle=True, verbose=0)
    return vae, initial


def _assert_same_state(ours, keras_own):
    assert int(ours.optimizer.iterations) == int(keras_own.optimizer.iterations) == 8
    for mine, theirs in zip(ours.get_weights(), keras_own.get_weights(), strict=True):
        np.testing.assert_array_equal(mine, theirs)
    for mine, theirs in zip(ours.optimizer.variables, keras_own.optimizer.variables, strict=True):
        np.testing.assert_array_equal(np.asarray(mine), np.asarray(theirs), err_msg=mine.path)


@pytest.mark.parametrize("weight_decay", [0.01, None], ids=["adamw", "adam"])
def test_training_matches_keras_bit_for_bit(mnist_slice, weight_decay):
    from genai_models.vae.backend import keras
    from genai_models.vae.training.optimizer import SharedStepAdam

    ours, initial = _train(mnist_slice,
                           lambda lr: SharedStepAdam(lr, weight_decay=weight_decay))
    keras_own, _ = _train(mnist_slice,
                          lambda lr: keras.optimizers.Adam(lr, weight_decay=weight_decay))
    moved = [not np.array_equal(w, w0) for w, w0 in zip(ours.get_weights(), initial, strict=True)]
    assert sum(moved) >= 18  # every trainable variable moved (the prior's means are frozen)
    _assert_same_state(ours, keras_own)


def _traced_step_ops(optimizer) -> collections.Counter:
    import tensorflow as tf

    from genai_models.vae.backend import keras
    from genai_models.vae.model import build_vae

    keras.utils.set_random_seed(0)
    vae = build_vae()
    vae.compile(optimizer=optimizer, jit_compile=False)
    batch = {"image": np.zeros((8, 28, 28, 1), "float32"), "label": np.arange(8) % 10}
    vae(batch)
    graph = tf.function(vae.train_step).get_concrete_function(batch).graph
    return collections.Counter(op.type for op in graph.get_operations())


def test_each_step_scalar_is_computed_once_per_step_not_per_variable():
    from genai_models.vae.backend import keras
    from genai_models.vae.training.optimizer import SharedStepAdam

    def schedule():
        return keras.optimizers.schedules.CosineDecay(1e-3, decay_steps=100, alpha=0.05)

    ours = _traced_step_ops(SharedStepAdam(schedule(), weight_decay=0.01))
    keras_own = _traced_step_ops(keras.optimizers.AdamW(schedule(), weight_decay=0.01))
    # β1^t and β2^t: Keras takes both powers for each of the 18 variables, we take them once.
    assert keras_own["Pow"] == 2 * 18 and ours["Pow"] == 2
    # The cosine schedule: Keras evaluates it for the step and again for every variable's weight
    # decay; we evaluate it for the step and once for the decay.
    assert keras_own["Cos"] == 1 + 18 and ours["Cos"] == 2
    assert sum(ours.values()) < 0.7 * sum(keras_own.values())


def test_amsgrad_is_refused_rather_than_silently_ignored():
    from genai_models.vae.training.optimizer import SharedStepAdam

    with pytest.raises(ValueError, match="amsgrad"):
        SharedStepAdam(1e-3, amsgrad=True)
