"""/handwriting on held-out real digits used as uploads, judged by the evaluation judge.

Each upload is a validation digit sent as a user would send it: a PNG, dark ink on white and
enlarged, through `DigitSampler.handwriting` (the same path as the bot and the CLI), with no
`digit` given, so the model's own reading is part of what is measured.
(a) class fidelity: the share of the ten generated cells the judge reads as their own class;
(b) style faithfulness: the cell of the upload's own class, compared (judge features) with the
    upload and with every other validation digit of that class: the share of those other writers
    nearer to it than the upload is. 0 = the upload is its nearest; the goal is a median within
    the nearest 10%.
"""

from __future__ import annotations

import io

import numpy as np

from genai_models.vae.training.generative_metrics import nearness_rank

FIDELITY_GOAL = 0.95
RANK_GOAL = 0.10


def measure_handwriting(sampler, data, judge, *, per_class: int = 20) -> dict:
    from PIL import Image

    from genai_models.errors import InvalidInputError

    images, labels = data.validation.images[..., 0], data.validation.labels
    features = judge.features(images)
    cells_right, ranks, refused, misread = [], [], 0, 0
    for k in range(10):
        members = np.flatnonzero(labels == k)
        for index in members[:per_class]:
            ink = Image.fromarray((255 - images[index] * 255).round().astype("uint8"))
            buffer = io.BytesIO()
            ink.resize((112, 112), Image.Resampling.BILINEAR).save(buffer, format="PNG")
            try:
                written = sampler.handwriting(buffer.getvalue())
            except InvalidInputError:
                refused += 1
                continue
            misread += written.digit != k
            cells_right.append(np.mean(judge.classify(written.images) == np.arange(10)))
            others = members[members != index]
            cell = judge.features(written.images[k : k + 1])[0]
            ranks.append(nearness_rank(cell, features[index], features[others]))
    fidelity, median_rank = float(np.mean(cells_right)), float(np.median(ranks))
    print(
        f"\n/handwriting: {len(ranks)} validation digits as uploads ({per_class} per class, "
        f"no digit given; {refused} refused, {misread} read as another digit)"
    )
    print(
        f"  (a) cells the {judge.name} judge reads as their own class: {fidelity:.1%} "
        f"(goal ≥ {FIDELITY_GOAL:.0%})"
    )
    print(
        f"  (b) style: other writers of the class nearer to the cell than the upload: median "
        f"{median_rank:.1%}, quartiles {np.percentile(ranks, 25):.1%}–"
        f"{np.percentile(ranks, 75):.1%} (goal: median ≤ {RANK_GOAL:.0%})"
    )
    return {"fidelity": fidelity, "median_rank": median_rank, "refused": refused, "misread": misread}
