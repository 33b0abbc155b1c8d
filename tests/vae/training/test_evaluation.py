"""The held-out bound: the class-prior estimate agrees with the closed form where one exists."""

import numpy as np
import pytest

from genai_models.vae.training.evaluation import estimate_negative_elbo

LN2 = np.log(2)


def _model(z_mean, z_log_var, *, logit_for_class=None):
    encode = lambda images: (z_mean[: len(images)], z_log_var[: len(images)])  # noqa: E731

    def decode(z, classes=None):
        if logit_for_class is None:  # logits 0 everywhere: p = 1/2, whatever the class
            return np.zeros((len(z), 28, 28, 1), "float32")
        logit = (np.asarray(classes) @ np.asarray(logit_for_class, "float32"))[:, None, None, None]
        return np.broadcast_to(logit, (len(z), 28, 28, 1))

    return encode, decode


def _codes(count, seed=3):
    rng = np.random.default_rng(seed)
    return (
        rng.normal(size=(count, 2)).astype("float32"),
        rng.normal(-1, 0.3, size=(count, 2)).astype("float32"),
    )


def test_one_class_at_the_origin_is_the_standard_normal_bound():
    z_mean, z_log_var = _codes(400)
    images = np.zeros((400, 28, 28, 1), "float32")
    encode, decode = _model(z_mean, z_log_var)

    standard = estimate_negative_elbo(encode, decode, images, decoder_gives_logits=True)
    one_class = estimate_negative_elbo(
        encode, decode, images, prior_means=np.zeros((1, 2)), decoder_gives_logits=True
    )

    assert standard.reconstruction == pytest.approx(784 * LN2, rel=1e-6)
    assert one_class.negative_elbo == pytest.approx(standard.negative_elbo, rel=1e-9)


def test_two_identical_classes_cost_nothing_more():
    z_mean, z_log_var = _codes(200)
    images = np.zeros((200, 28, 28, 1), "float32")
    encode, decode = _model(z_mean, z_log_var)

    one = estimate_negative_elbo(
        encode, decode, images, prior_means=np.zeros((1, 2)), decoder_gives_logits=True
    )
    two = estimate_negative_elbo(
        encode, decode, images, prior_means=np.zeros((2, 2)), decoder_gives_logits=True
    )

    assert two.negative_elbo == pytest.approx(one.negative_elbo, rel=1e-9)


def test_the_bound_follows_the_class_that_explains_the_digit_without_its_label():
    # Blank digits: class 0 draws them (logit -10), class 1 draws full ink (logit +10).
    z_mean, z_log_var = _codes(100)
    images = np.zeros((100, 28, 28, 1), "float32")
    encode, decode = _model(z_mean, z_log_var, logit_for_class=[-10.0, 10.0])

    estimate = estimate_negative_elbo(
        encode, decode, images, prior_means=np.zeros((2, 2)), decoder_gives_logits=True
    )
    kl = 0.5 * (np.exp(z_log_var) - 1 - z_log_var + z_mean**2).sum(axis=1).mean()
    expected = 784 * np.log1p(np.exp(-10.0)) + kl + LN2  # the right class, plus ln 2 for not knowing

    assert estimate.negative_elbo == pytest.approx(expected, rel=1e-4)


@pytest.mark.slow
def test_the_exported_decoder_gives_the_bound_keras_gives(mnist_slice):
    """The export and the job score with the ONNX decoder (faster): the same bound as Keras's
    decoder, to the card's rounding, on the shipped model and real digits."""
    from genai_models.vae.backend import keras
    from genai_models.vae.model import VAE  # noqa: F401  (registers the VAE's classes with Keras)
    from genai_models.vae.serving.card import PRETRAINED_DIR, VAE_FILE
    from genai_models.vae.serving.runtime import DECODER_ONNX
    from genai_models.vae.training.evaluation import onnx_decoder, vae_negative_elbo

    vae = keras.saving.load_model(PRETRAINED_DIR / VAE_FILE, compile=False)
    images = mnist_slice.images[:150]
    by_keras = vae_negative_elbo(vae, images)
    by_onnx = vae_negative_elbo(vae, images, decode=onnx_decoder(PRETRAINED_DIR / DECODER_ONNX, threads=2))
    assert abs(by_onnx.negative_elbo - by_keras.negative_elbo) < 1e-4
    assert abs(by_onnx.reconstruction - by_keras.reconstruction) < 1e-4
    assert by_onnx.kl == by_keras.kl  # the encoder is Keras's in both


@pytest.mark.slow
def test_the_background_scoring_is_the_same_estimate_and_stops_when_told(mnist_slice):
    """The export scores in a thread while it vets: the same numbers as scoring in line; and a
    failed or interrupted export does not leave it decoding."""
    import threading

    from genai_models.vae.backend import keras
    from genai_models.vae.model import VAE  # noqa: F401  (registers the VAE's classes with Keras)
    from genai_models.vae.serving.card import PRETRAINED_DIR, VAE_FILE
    from genai_models.vae.serving.runtime import DECODER_ONNX
    from genai_models.vae.training.evaluation import (
        BackgroundElbo,
        ScoringStopped,
        onnx_decoder,
        vae_negative_elbo,
    )

    vae = keras.saving.load_model(PRETRAINED_DIR / VAE_FILE, compile=False)
    images = mnist_slice.images[:520]  # two of its batches: their codes must come back in order
    decode = onnx_decoder(PRETRAINED_DIR / DECODER_ONNX, threads=2)
    in_line = vae_negative_elbo(vae, images, samples=2, decode=decode)
    assert BackgroundElbo(vae, images, samples=2, decode=decode).result() == in_line

    decoding, release, calls = threading.Event(), threading.Event(), []

    def slow_decode(z, classes):
        calls.append(len(z))
        decoding.set()
        release.wait(10)
        return np.zeros((len(z), 28, 28, 1), "float32")

    scoring = BackgroundElbo(vae, images, decode=slow_decode)
    assert decoding.wait(10)
    threading.Timer(1.0, release.set).start()  # the first decode ends after stop() is called
    scoring.stop()
    assert calls == [10 * 500]  # it gave up at its next decode (of 16: 8 samples, 2 batches)
    with pytest.raises(ScoringStopped):
        scoring.result()
