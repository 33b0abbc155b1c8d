"""The source article's VAE (the keras.io example) in Keras 3, class-conditional and wider.

Encoder: Conv2D 32 and 64 (3×3, stride 2) → Dense 64 → (z_mean, z_log_var) → Sampling.
Decoder: [z, class] → Dense 7·7·64 → Conv2DTranspose 64 and 32 (stride 2) → Conv2D 32 →
Conv2DTranspose 1, as logits. Loss: summed binary cross-entropy + KL, as in the source article; the KL is
taken against the digit's class prior N(mean_label, I) instead of N(0, I) (see `ClassPrior`).

What differs from the source article, and why: its 2-D code and 16-unit encoder bottleneck cannot
tell one writer's 7 from another's, so every 7 came back as one average, blurred 7 (recall of
real handwriting near zero, docs/model.md "Digit quality"). A 16-D code, a 64-unit encoder layer and one
more convolution at full resolution (strokes drawn from their neighbours, not one transposed
convolution's guess) keep each writer's slant, width and stroke. The latent map and Explore
still walk a 2-D plane through the code, along measured slant and width (serving/plane.py).
"""

from __future__ import annotations

from genai_models.vae.backend import keras, layers, ops
from genai_models.vae.layers import DEFAULT_PRIOR_RADIUS, PACKAGE, ClassPrior, Sampling

IMAGE_SHAPE = (28, 28, 1)
NUM_CLASSES = 10
DEFAULT_LATENT_DIM = 16
ENCODER_HIDDEN_UNITS = 64  # the source article's VAE had 16: too narrow to carry a hand (module docstring)


def build_encoder(
    latent_dim: int = DEFAULT_LATENT_DIM, seed: int = 1337, hidden_units: int = ENCODER_HIDDEN_UNITS
) -> keras.Model:
    """The heavy layers follow Keras's global dtype policy (training may set mixed_bfloat16,
    see precision.py). The latent code and its sampling are float32 whatever the policy: the KL
    and the sampler's latent statistics need its full precision."""
    images = keras.Input(shape=IMAGE_SHAPE, name="image")
    x = layers.Conv2D(32, 3, activation="relu", strides=2, padding="same")(images)
    x = layers.Conv2D(64, 3, activation="relu", strides=2, padding="same")(x)
    x = layers.Flatten()(x)
    x = layers.Dense(hidden_units, activation="relu")(x)
    z_mean = layers.Dense(latent_dim, name="z_mean", dtype="float32")(x)
    z_log_var = layers.Dense(latent_dim, name="z_log_var", dtype="float32")(x)
    z = Sampling(seed=seed, name="z", dtype="float32")([z_mean, z_log_var])
    return keras.Model(images, [z_mean, z_log_var, z], name="encoder")


def build_decoder(
    latent_dim: int = DEFAULT_LATENT_DIM, num_classes: int = NUM_CLASSES, width: float = 1.0
) -> keras.Model:
    """(z, class probabilities) → logits: the loss uses them directly (stable), serving applies
    a sigmoid. The heavy layers follow Keras's global dtype policy; the logits layer is float32
    whatever it is, because the summed cross-entropy over 784 pixels needs float32's precision.

    `width` scales every hidden layer's channels (1: the widths above). A wider decoder is a
    capacity to try where it draws some digits with less of their real variety than others
    (docs/fairness.md); the saved model keeps its layers' widths, so it loads whatever its width.

    The class input is the one change to the source article's decoder. An unconditional 2-D plane has to
    hold both which digit and how it is written, and crowded classes (4/9, 3/5/8) end up sharing
    a region that decodes to neither (docs/model.md, "Why it differs"). Told the class, the decoder draws
    any k crisply and the plane holds the style.
    """
    z = keras.Input(shape=(latent_dim,), name="z")
    classes = keras.Input(shape=(num_classes,), name="class_probabilities")
    x = layers.Concatenate()([z, classes])
    wide, narrow = decoder_channels(64, width), decoder_channels(32, width)
    x = layers.Dense(7 * 7 * wide, activation="relu")(x)
    x = layers.Reshape((7, 7, wide))(x)
    x = layers.Conv2DTranspose(wide, 3, activation="relu", strides=2, padding="same")(x)
    x = layers.Conv2DTranspose(narrow, 3, activation="relu", strides=2, padding="same")(x)
    x = layers.Conv2D(narrow, 3, activation="relu", padding="same")(x)  # see the module docstring
    logits = layers.Conv2DTranspose(1, 3, padding="same", name="pixel_logits", dtype="float32")(x)
    return keras.Model([z, classes], logits, name="decoder")


def decoder_channels(channels: int, width: float) -> int:
    """A hidden layer's channels at `width` times the default, at least one."""
    if not width > 0:
        raise ValueError(f"decoder width must be positive, got {width}")
    return max(1, round(channels * width))


@keras.saving.register_keras_serializable(package=PACKAGE)
class VAE(keras.Model):
    """Encoder + class-conditional decoder + class prior, trained on
    {"image": (B,28,28,1) in [0,1], "label": (B,)}.

    `compute_loss` returns reconstruction + kl_weight × KL per digit (nats: the negative ELBO
    when kl_weight is 1) and feeds two named trackers, `reconstruction_loss` and `kl_loss`
    (unweighted); Keras's own tracker reports the loss as `loss`, and its default test_step
    reports the same three on validation data with a `val_` prefix.

    `kl_weight` below 1 (a β-VAE's β) lets each code say more about its digit: reconstructions
    keep more of each writer's stroke, so the drawings /digit makes from the training digits'
    codes cover more of the real variety (docs/fairness.md, "What retraining tried").
    """

    def __init__(
        self, encoder: keras.Model, decoder: keras.Model, prior: ClassPrior, kl_weight: float = 1.0, **kwargs
    ):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder
        self.prior = prior
        self.kl_weight = float(kl_weight)
        self.reconstruction_tracker = keras.metrics.Mean(name="reconstruction_loss")
        self.kl_tracker = keras.metrics.Mean(name="kl_loss")

    @property
    def latent_dim(self) -> int:
        return int(self.decoder.inputs[0].shape[-1])

    def call(self, inputs, training=False):
        z_mean, z_log_var, z = self.encoder(inputs["image"], training=training)
        classes = ops.one_hot(ops.cast(inputs["label"], "int32"), NUM_CLASSES)
        return {
            "logits": self.decoder([z, classes], training=training),
            "z_mean": z_mean,
            "z_log_var": z_log_var,
            "prior_mean": self.prior(inputs["label"]),
        }

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        reconstruction = ops.mean(
            ops.sum(
                ops.binary_crossentropy(x["image"], y_pred["logits"], from_logits=True),
                axis=(1, 2, 3),
            )
        )
        kl = ops.mean(gaussian_kl(y_pred["z_mean"], y_pred["z_log_var"], y_pred["prior_mean"]))
        self.reconstruction_tracker.update_state(reconstruction)
        self.kl_tracker.update_state(kl)
        return reconstruction + self.kl_weight * kl

    def get_config(self):
        return {
            **super().get_config(),
            "kl_weight": self.kl_weight,
            "encoder": keras.saving.serialize_keras_object(self.encoder),
            "decoder": keras.saving.serialize_keras_object(self.decoder),
            "prior": keras.saving.serialize_keras_object(self.prior),
        }

    @classmethod
    def from_config(cls, config):
        parts = {
            name: keras.saving.deserialize_keras_object(config.pop(name))
            for name in ("encoder", "decoder", "prior")
        }
        return cls(**parts, **config)


def gaussian_kl(z_mean, z_log_var, prior_mean):
    """KL(N(z_mean, exp(z_log_var)) || N(prior_mean, I)) per example, summed over latent dims."""
    return -0.5 * ops.sum(1 + z_log_var - ops.square(z_mean - prior_mean) - ops.exp(z_log_var), axis=1)


def build_vae(
    latent_dim: int = DEFAULT_LATENT_DIM,
    seed: int = 1337,
    prior_radius: float = DEFAULT_PRIOR_RADIUS,
    learn_prior_means: bool = False,
    kl_weight: float = 1.0,
    decoder_width: float = 1.0,
) -> VAE:
    vae = VAE(
        build_encoder(latent_dim, seed=seed),
        build_decoder(latent_dim, width=decoder_width),
        # float32 whatever the global policy: its means enter the KL beside the float32 code.
        ClassPrior(NUM_CLASSES, latent_dim, radius=prior_radius, name="class_prior", dtype="float32"),
        kl_weight=kl_weight,
        name="vae",
    )
    vae.prior.build()
    # Fixed means pull each class's codes towards its own point of a ring in the first two
    # axes (they still overlap); learned ones drift together, the ELBO barely paying for overlap.
    # The decoder is told the class, so neither is needed to draw the right digit.
    vae.prior.trainable = learn_prior_means
    return vae
