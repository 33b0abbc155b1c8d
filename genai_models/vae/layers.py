"""Custom Keras layers of the VAE, registered so saved models reload without custom_objects."""

from __future__ import annotations

from genai_models.vae.backend import keras, layers, ops

PACKAGE = "genai_models"
# Class means sit on a circle this wide: neighbours about 2.5 prior standard deviations apart.
DEFAULT_PRIOR_RADIUS = 4.0


@keras.saving.register_keras_serializable(package=PACKAGE)
class Sampling(layers.Layer):
    """Draws z = mean + exp(log_var / 2) * eps with a seeded generator (the reparameterisation trick)."""

    def __init__(self, seed: int = 1337, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        epsilon = keras.random.normal(ops.shape(z_mean), seed=self.seed_generator)
        return z_mean + ops.exp(0.5 * z_log_var) * epsilon

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


@keras.saving.register_keras_serializable(package=PACKAGE)
class ClassPrior(layers.Layer):
    """One Gaussian N(mean_k, I) per digit class: the prior that KL pulls each code towards.

    The means are placed on a circle in the code's first two axes; they stay there unless the
    layer is made trainable (build_vae's `learn_prior_means`), when training moves them. Real
    digits' codes do not fill N(mean_k, I): the decoder is told the class, so the code is free to
    hold style, and each class's codes spread round its mean and overlap their neighbours' (a
    2-D code shrinks them all towards the origin). /digit therefore samples the codes real
    digits have (sampler.py), not this prior.
    """

    def __init__(
        self, num_classes: int = 10, latent_dim: int = 16, radius: float = DEFAULT_PRIOR_RADIUS, **kwargs
    ):
        super().__init__(**kwargs)
        self.num_classes = num_classes
        self.latent_dim = latent_dim
        self.radius = radius

    def build(self, input_shape=None):
        self.means = self.add_weight(
            name="means",
            shape=(self.num_classes, self.latent_dim),
            initializer=keras.initializers.Constant(self._initial_means()),
            trainable=True,
        )
        self.built = True

    def _initial_means(self):
        import numpy as np

        angles = 2 * np.pi * np.arange(self.num_classes) / self.num_classes
        means = np.zeros((self.num_classes, self.latent_dim), dtype="float32")
        means[:, 0] = self.radius * np.cos(angles)
        if self.latent_dim > 1:
            means[:, 1] = self.radius * np.sin(angles)
        return means

    def call(self, labels):
        """Prior means for integer labels, shape (batch, latent_dim)."""
        return ops.take(self.means, ops.cast(labels, "int32"), axis=0)

    def get_config(self):
        return {
            **super().get_config(),
            "num_classes": self.num_classes,
            "latent_dim": self.latent_dim,
            "radius": self.radius,
        }
