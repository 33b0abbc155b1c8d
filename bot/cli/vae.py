"""`genai-bot train | digit | morph | handwriting | latent-map`: the VAE from the command line.

TensorFlow is imported inside the handlers only, so `genai-bot --help` stays instant. Whatever
can be checked without the model (ranges, the user's image files, training data) is checked
before it loads, so a typo costs a one-line message, not seconds of TensorFlow start-up.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import logging
import os
from collections.abc import Iterator
from pathlib import Path

from bot.cli import SIGNING_VARIABLES, CliError, add_command
from bot.settings import Settings
from genai_models.errors import GenAIError
from genai_models.vae.files import write_atomic
from genai_models.vae.serving.drawing import (
    DEFAULT_FRAMES,
    LATENT_MAP_CELLS,
    OVERVIEW_CELLS,
    draw_digits,
    draw_handwriting,
    draw_latent_map,
    draw_morph,
)
from genai_models.vae.serving.limits import (
    MAX_COUNT,
    MAX_FRAMES,
    MAX_MAP_SIZE,
    MAX_SEED,
    MIN_FRAMES,
    MIN_MAP_SIZE,
)
from genai_models.vae.training.precision import PRECISIONS

log = logging.getLogger(__name__)


MODEL_VARIABLES = ("GENAI_MODEL_DIR", "GENAI_IMAGE_MARK", *SIGNING_VARIABLES)
# A new run's defaults, TrainingConfig's (not imported here: it would load TensorFlow before the
# arguments are checked). `make train` gives the shipped model's recipe instead: 75 epochs of 128
# at 1e-3 in float32.
NEW_RUN = {"epochs": 31, "batch_size": 64, "learning_rate": 3e-3, "seed": 0, "precision": "auto"}
SEED_HELP = "random seed: the same seed gives the same picture (default: a new one each time)"


def register(subparsers) -> None:
    train = add_command(
        subparsers,
        "train",
        help="train the digit VAE (status + checkpoints)",
        description="Train the digit VAE and its checker, writing status.json and "
        "checkpoints as it goes (what /train-status shows); Ctrl-C stops it "
        "resumably. The folder then serves as GENAI_MODEL_DIR.",
        environment=("GENAI_TRAINING_DIR",),
    )
    # None = not given: a new run takes the defaults, a resumed one what its checkpoint says.
    train.add_argument(
        "--data",
        type=Path,
        default=None,
        help="an .npz (x_train/y_train or x/y) or IDX folder; default: download "
        "MNIST (with --resume: the run's own data)",
    )
    train.add_argument(
        "--epochs",
        type=_whole_number(1),
        default=None,
        help=f"passes over the training digits (default: {NEW_RUN['epochs']}; with --resume: the run's own)",
    )
    train.add_argument(
        "--batch-size",
        type=_whole_number(1),
        default=None,
        help=f"digits per training step (default: {NEW_RUN['batch_size']})",
    )
    train.add_argument(
        "--learning-rate",
        type=_positive_number,
        default=None,
        help="AdamW's starting learning rate, decayed along a cosine to the last epoch "
        f"(default: {NEW_RUN['learning_rate']:g}; with --resume: the run's own)",
    )
    train.add_argument(
        "--seed",
        type=_whole_number(0, MAX_SEED),
        default=None,
        help="seed of the split, the initial weights and the shuffling "
        f"(default: {NEW_RUN['seed']}; with --resume: the run's own)",
    )
    train.add_argument(
        "--out", type=Path, default=None, help="output folder (default: GENAI_TRAINING_DIR, runs/vae)"
    )
    train.add_argument(
        "--resume",
        action="store_true",
        help="continue from the last checkpoint, with the run's own data, epochs and seed unless given",
    )
    train.add_argument(
        "--force",
        action="store_true",
        help="start a new run in a folder that holds an earlier run or model, replacing it",
    )
    train.add_argument(
        "--precision",
        choices=PRECISIONS,
        default=None,
        help="the convolutions' arithmetic: auto (default) = bfloat16 where the CPU "
        "has native bfloat16 instructions (faster), else float32",
    )
    train.add_argument(
        "--decoder-width",
        type=_positive_number,
        default=None,
        help="the decoder's hidden channels, times the default (default: 1; with --resume: the run's own)",
    )
    train.set_defaults(handler=run_train)

    digit = add_command(
        subparsers, "digit", help="write a PNG grid of generated digits", environment=MODEL_VARIABLES
    )
    digit.add_argument(
        "k",
        nargs="?",
        type=_digit,
        default=None,
        metavar="DIGIT",
        help="digit 0-9, the same as --digit (default: any)",
    )
    digit.add_argument(
        "--digit", type=_digit, default=None, dest="digit_option", help="digit 0-9 (default: any)"
    )
    digit.add_argument(
        "--count",
        type=_whole_number(1, MAX_COUNT),
        default=9,
        help=f"how many digits, 1-{MAX_COUNT} (default: 9)",
    )
    digit.add_argument("--seed", type=_whole_number(0, MAX_SEED), default=None, help=SEED_HELP)
    digit.add_argument(
        "--out",
        type=Path,
        default=Path("digits.png"),
        help="the PNG to write (default: digits.png; missing folders are created)",
    )
    digit.set_defaults(out_suffix=".png")
    digit.set_defaults(handler=run_digit)

    morph = add_command(
        subparsers, "morph", help="write a GIF morphing one digit into another", environment=MODEL_VARIABLES
    )
    morph.add_argument(
        "ends",
        nargs="*",
        type=_digit,
        metavar="DIGIT",
        help="the start and end digits 0-9; with --start-image or --end-image, only the other one is needed",
    )
    morph.add_argument(
        "--frames",
        type=_whole_number(MIN_FRAMES, MAX_FRAMES),
        default=DEFAULT_FRAMES,
        help=f"frames from start to end, {MIN_FRAMES}-{MAX_FRAMES} (default: {DEFAULT_FRAMES})",
    )
    morph.add_argument("--seed", type=_whole_number(0, MAX_SEED), default=None, help=SEED_HELP)
    morph.add_argument(
        "--out",
        type=Path,
        default=Path("morph.gif"),
        help="the GIF to write (default: morph.gif; missing folders are created)",
    )
    morph.set_defaults(out_suffix=".gif")
    morph.add_argument(
        "--start-image",
        type=Path,
        default=None,
        help="your own digit to start from (a photo or drawing), instead of a start digit",
    )
    morph.add_argument(
        "--end-image",
        type=Path,
        default=None,
        help="your own digit to end at (a photo or drawing), instead of an end digit",
    )
    morph.set_defaults(handler=run_morph)

    handwriting = add_command(
        subparsers,
        "handwriting",
        help="write the ten digits 0-9 in the hand of your own digit",
        environment=MODEL_VARIABLES,
    )
    handwriting.add_argument(
        "--image", type=Path, required=True, help="a photo or drawing of one handwritten digit"
    )
    handwriting.add_argument(
        "--digit",
        type=_digit,
        default=None,
        help="which digit the image shows, 0-9 (default: the model reads it)",
    )
    handwriting.add_argument(
        "--out",
        type=Path,
        default=Path("handwriting.png"),
        help="the PNG to write (default: handwriting.png; missing folders are created)",
    )
    handwriting.set_defaults(out_suffix=".png")
    handwriting.set_defaults(handler=run_handwriting)

    latent = add_command(
        subparsers,
        "latent-map",
        help="write the style plane: one digit across it, or all ten",
        environment=MODEL_VARIABLES,
    )
    latent.add_argument(
        "--digit",
        type=_digit,
        default=None,
        help="one digit 0-9 across the plane, with its real digits (default: all ten as small multiples)",
    )
    latent.add_argument(
        "--size",
        type=_whole_number(MIN_MAP_SIZE, MAX_MAP_SIZE),
        default=None,
        help=f"cells a side of each grid, {MIN_MAP_SIZE}-{MAX_MAP_SIZE} (default: "
        f"{LATENT_MAP_CELLS} with --digit, else {OVERVIEW_CELLS})",
    )
    latent.add_argument(
        "--out",
        type=Path,
        default=Path("latent-map.png"),
        help="the PNG to write (default: latent-map.png; missing folders are created)",
    )
    latent.set_defaults(out_suffix=".png")
    latent.set_defaults(handler=run_latent_map)


def run_train(args: argparse.Namespace, settings: Settings) -> int:
    out_dir = Path(args.out or settings.training_dir)
    given = {
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "seed": args.seed,
        "precision": args.precision,
        "learning_rate": args.learning_rate,
        "decoder_width": args.decoder_width,
    }
    with _only_run_in(out_dir):
        if not (args.resume or args.force):
            _refuse_replacing(out_dir)
        return _train(args, out_dir, given)


def _train(args: argparse.Namespace, out_dir: Path, given: dict) -> int:
    from genai_models.errors import TrainingError
    from genai_models.vae.training.checkpoint import has_checkpoint, plan_resume
    from genai_models.vae.training.drivers import load_split, sigterm_interrupts

    if args.resume:  # the run's own data, epochs and seed, unless given here
        plan = plan_resume(out_dir, **given)
        data_path, values = args.data or plan.data, plan.config
        log.info("resuming %s from epoch %d of %d", out_dir, plan.epoch, values["epochs"])
    else:
        data_path = args.data
        values = NEW_RUN | {key: value for key, value in given.items() if value is not None}
    data_split = load_split(data_path)  # a missing or bad file fails before TensorFlow loads

    from genai_models.vae.training.trainer import TrainingConfig, train

    config = TrainingConfig.from_fields(values)
    try:
        with sigterm_interrupts():  # `docker stop`: as clean a stop as Ctrl-C, resumable
            status = train(data_split, out_dir, config, resume=args.resume, verbose=_verbosity())
    except KeyboardInterrupt:
        if not has_checkpoint(out_dir):
            raise CliError(
                "training stopped before its first epoch ended: nothing to resume "
                "yet; run the same command again to start over",
                exit_code=130,
            ) from None
        raise CliError(
            f"training interrupted; continue with: genai-bot train --resume --out {out_dir}", exit_code=130
        ) from None
    except (TrainingError, OSError) as exc:  # a diverged run, a full or read-only disk
        reason = str(exc)
        if isinstance(exc, OSError):
            where = f" ({exc.filename})" if exc.filename else ""
            reason = f"training stopped: {exc.strerror or exc}{where}"
        then = (
            f"; the last finished epoch is kept: continue with genai-bot train --resume --out {out_dir}"
            if has_checkpoint(out_dir)
            else ""
        )
        raise CliError(f"{reason}{then}") from None
    print(f"{status.message}; validation loss {status.val_loss:.2f} nats per digit")
    return 0


@contextlib.contextmanager
def _only_run_in(out_dir: Path) -> Iterator[None]:
    """One training at a time in a folder: a second one would mix its checkpoints and model
    files with the first's. Held on the folder itself (flock), so a crashed run holds nothing.
    A folder made here and left empty (bad data, a refusal) is removed again."""
    made_here = not out_dir.exists()
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        folder = os.open(out_dir, os.O_RDONLY | os.O_DIRECTORY)
    except FileExistsError:
        raise CliError(f"--out {out_dir} is a file; give a folder for the run", exit_code=2) from None
    except OSError as exc:
        raise CliError(f"cannot write to {out_dir}: {exc.strerror or exc}", exit_code=2) from None
    try:
        if not os.access(out_dir, os.W_OK | os.X_OK):
            raise CliError(f"cannot write to {out_dir}: this user may not change it", exit_code=2)
        try:
            fcntl.flock(folder, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise CliError(
                f"another genai-bot train is writing into {out_dir}: let it finish, or train into "
                "another --out",
                exit_code=2,
            ) from None
        yield
    finally:
        os.close(folder)  # and with it the lock
        if made_here:
            with contextlib.suppress(OSError):  # not empty: the run's work, kept
                out_dir.rmdir()


def _refuse_replacing(out_dir: Path) -> None:
    """A new run would overwrite what an earlier one left in `out_dir`: its resumable epochs, or
    a finished model. Only --resume (go on with it) or --force (replace it) may."""
    from genai_models.errors import ModelFileError
    from genai_models.vae.serving.card import CARD_FILE, read_card
    from genai_models.vae.training.checkpoint import has_checkpoint
    from genai_models.vae.training.status import read_status

    status = read_status(out_dir) if has_checkpoint(out_dir) else None
    if status is not None and status.state != "finished":
        raise CliError(
            f"{out_dir} holds a run stopped after epoch {status.epoch} of {status.total_epochs}: "
            "continue it with --resume, start it over with --force, or train into another --out",
            exit_code=2,
        )
    if (out_dir / CARD_FILE).is_file() or status is not None:
        try:
            version = read_card(out_dir).get("version", "?")
        except ModelFileError:
            version = "?"
        raise CliError(
            f"{out_dir} holds model {version}: train into another --out, or pass --force to replace it",
            exit_code=2,
        )


def run_digit(args: argparse.Namespace, settings: Settings) -> int:
    _check_out(args)
    if None not in (args.k, args.digit_option) and args.k != args.digit_option:
        raise CliError(
            f"two different digits asked for ({args.k} and --digit {args.digit_option}): give one",
            exit_code=2,
        )
    digit = args.digit_option if args.digit_option is not None else args.k
    seed = _announced_seed(args.seed)
    sampler = _load_sampler(settings)
    _write(args.out, draw_digits(sampler, digit, count=args.count, seed=seed, mark=settings.image_mark))
    return 0


def run_morph(args: argparse.Namespace, settings: Settings) -> int:
    _check_out(args)
    images = [args.start_image, args.end_image]
    wanted = images.count(None)  # the ends no image gives: one digit each, in order
    if len(args.ends) == 2:  # both digits, as before the image options could stand for one
        wanted = 2
    if len(args.ends) != wanted:
        given = " and ".join(
            option
            for option, image in (("--start-image", args.start_image), ("--end-image", args.end_image))
            if image is not None
        )
        needs = {
            2: "a start and an end digit",
            1: f"one digit besides {given}",
            0: f"no digit besides {given}",
        }[wanted]
        raise CliError(
            f"morph takes {needs}, got {len(args.ends)} ({' '.join(map(str, args.ends)) or 'none'})",
            exit_code=2,
        )
    # The user's images first: a wrong path or a non-image fails before the model loads.
    if len(args.ends) == 2:  # an image replaces its digit
        start, end = (
            _user_digit(image) if image is not None else digit
            for image, digit in zip(images, args.ends, strict=True)
        )
    else:
        digits = iter(args.ends)
        start, end = (_user_digit(image) if image is not None else next(digits) for image in images)
    seed = _announced_seed(args.seed)
    sampler = _load_sampler(settings)
    _write(args.out, draw_morph(sampler, start, end, frames=args.frames, seed=seed, mark=settings.image_mark))
    return 0


def run_handwriting(args: argparse.Namespace, settings: Settings) -> int:
    _check_out(args)
    image = _user_digit(args.image)  # a wrong path or a non-image fails before the model loads
    sampler = _load_sampler(settings)
    try:
        png, written = draw_handwriting(sampler, image, args.digit, mark=settings.image_mark)
    except GenAIError as exc:
        raise CliError(f"{args.image}: {exc}") from None
    article = "an" if written.digit == 8 else "a"
    if written.given:
        print(f"{args.image} shows {article} {written.digit} (as given)")
    else:
        print(f"{args.image} reads as {article} {written.digit} ({written.confidence:.0%} sure)")
    _write(args.out, png)
    return 0


def run_latent_map(args: argparse.Namespace, settings: Settings) -> int:
    _check_out(args)
    sampler = _load_sampler(settings)
    _write(args.out, draw_latent_map(sampler, args.digit, cells=args.size, mark=settings.image_mark))
    return 0


def _load_sampler(settings: Settings):
    from genai_models.vae.serving.sampler import DigitSampler

    return DigitSampler.load(settings.model_dir, cache_dir=settings.data_dir / "model-cache")


def _check_out(args: argparse.Namespace) -> None:
    """Refuse an --out that cannot be written, before anything loads: the format its name says
    must be the one the command writes (a .jpg holding PNG bytes misleads every viewer), and
    the nearest existing folder on its path must be writable."""
    import os

    out: Path = args.out
    if out.suffix.lower() != args.out_suffix:
        kind = args.out_suffix[1:].upper()
        raise CliError(
            f"--out {out}: this command writes {kind} images; give a file name ending in {args.out_suffix}",
            exit_code=2,
        )
    if out.is_dir():
        raise CliError(f"--out {out} is a folder; name the file to write in it", exit_code=2)
    for option in ("image", "start_image", "end_image"):  # the user's own picture, never written over
        given = getattr(args, option, None)
        if given is not None and out.resolve() == given.resolve():
            raise CliError(
                f"--out {out} is the picture given with --{option.replace('_', '-')}; "
                "name another file to write",
                exit_code=2,
            )
    folder = out.absolute().parent
    while not folder.exists():
        folder = folder.parent
    if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
        raise CliError(f"cannot write {out}: {folder} is not a folder this user can write to", exit_code=2)


def _announced_seed(seed: int | None) -> int:
    """`seed`, or a new one, said on the terminal so the same picture can be drawn again."""
    if seed is not None:
        return seed
    from genai_models.vae.serving.drawing import new_seed

    seed = new_seed()
    print(f"seed {seed} (pass --seed {seed} to draw the same again)")
    return seed


def _user_digit(path: Path) -> bytes:
    """The user's picture of a digit, its file's bytes, once they read as an image of ink (NumPy
    and Pillow, before any model loads). The bytes, not the pixels, go on to the sampler, as an
    upload does in the bot: the image's Content Credentials then name the file's own format and
    hash, which its owner can check."""
    from genai_models.vae.serving.preprocess import MAX_UPLOAD_BYTES, refuse_if_too_large, to_mnist

    try:
        with path.open("rb") as file:
            refuse_if_too_large(os.fstat(file.fileno()).st_size)  # a file's own size, unread
            # Where there is no size to ask (a pipe), one byte over the limit is enough for
            # to_mnist to refuse it, without reading all of a huge stream first.
            data = file.read(MAX_UPLOAD_BYTES + 1)
        to_mnist(data)
        return data
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror or exc}") from None
    except GenAIError as exc:
        raise CliError(f"{path}: {exc}") from None


def _write(path: Path, data: bytes) -> None:
    try:
        write_atomic(path, data)  # a full disk leaves no partial image behind
    except OSError as exc:
        raise CliError(f"cannot write {path}: {exc.strerror or exc}") from None
    print(f"wrote {path} ({len(data) // 1024 or 1} KiB)")


def _verbosity() -> int:
    import sys

    return 1 if sys.stdout.isatty() else 2  # a live progress bar only where someone watches


def _positive_number(text: str) -> float:
    """An argparse type for a number above 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a number above 0, got {text}")
    return value


def _whole_number(low: int, high: int | None = None):
    """An argparse type for a whole number in [low, high] (no upper bound when high is None)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if high is None and value < low:
            raise argparse.ArgumentTypeError(f"must be at least {low}, got {value}")
        if high is not None and not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be between {low} and {high}, got {value}")
        return value

    return parse


def _digit(text: str) -> int:
    if text not in tuple("0123456789"):
        raise argparse.ArgumentTypeError(f"expected a digit 0-9, got {text!r}")
    return int(text)
