"""How a fresh run starts, as mtl's trainer starts it (src/train/priors.ts, weight-check.ts).

One pass over the training rows in file order finds each labelled task's
prior, the weighted mean label of the first PRIORS["rows"] rows (a row's
weight is its mask: the `where` value times the sample weight), and, when
a task has a sample weight, whether its weights sum to more than 0 over
every row. A dense head's bias then starts at its prior (logit of the
clamped rate for a binary task, the mean for a regression): a CTR head at
logit(4%) instead of 50% skips the first epoch's large, useless steps.
"""

import math

import numpy as np

from encoding import _checked
from spec import HEAD_LAYERS, PRIORS, TASKS, ZERO_WEIGHTS

# Rows encoded at a time; any size gives the same sums.
_CHUNK = 4096


class ZeroWeights(Exception):
    """A task whose sample weights are 0 on every training row: `problem` is spec.py's ZERO_WEIGHTS entry."""

    def __init__(self, problem):
        super().__init__(problem["message"])
        self.problem = problem


def scan(encoder, records):
    """The priors by task, after checking the sample weights (ZeroWeights when a task's are all 0)."""
    weighted = [t for t in encoder.tasks if t.weight is not None]
    labelled = [t for t in encoder.tasks if t.label is not None]
    sums = {t.name: [0.0, 0.0] for t in labelled}
    totals = {t.name: 0.0 for t in weighted}
    seen = 0
    chunk = []
    for record in records:
        chunk.append(record)
        if len(chunk) == _CHUNK:
            seen = _add(chunk, seen, labelled, weighted, sums, totals)
            chunk = []
            # The weight check needs every row; the priors only the first ones.
            if not weighted and seen >= PRIORS["rows"]:
                break
    if chunk:
        _add(chunk, seen, labelled, weighted, sums, totals)
    for task in weighted:
        if not totals[task.name] > 0:
            raise ZeroWeights(ZERO_WEIGHTS[task.name])
    return _priors(sums)


def _add(chunk, seen, labelled, weighted, sums, totals):
    """Adds a chunk of records' labels and masks, as float32 as mtl holds them; the rows seen after it."""
    take = max(0, min(len(chunk), PRIORS["rows"] - seen))
    for task in set(labelled) | set(weighted):
        pairs = [_checked(line, task.encode, fields) for line, fields in chunk]
        labels = np.array([y if y is not None else 0.0 for y, _ in pairs], dtype=np.float32).astype(np.float64)
        masks = np.array([m for _, m in pairs], dtype=np.float32).astype(np.float64)
        if task in weighted:
            totals[task.name] += float(masks.sum())
        if task.label is not None and take > 0:
            w = masks[:take] if task.masked else np.ones(take)
            sums[task.name][0] += float((w * labels[:take]).sum())
            sums[task.name][1] += float(w.sum())
    return seen + len(chunk)


def _priors(sums):
    priors = {name: total / count for name, (total, count) in sums.items() if count > 0}
    # A latent factor's rate follows from its product's: p(cvr) = p(ctcvr) / p(ctr).
    for task in TASKS:
        head = task["head"]
        if head["op"] != "product" or task["type"] != "binary" or task["name"] not in priors:
            continue
        unknown = [f for f in head["factors"] if f not in priors]
        if len(unknown) != 1:
            continue
        known = math.prod(priors[f] for f in head["factors"] if f in priors)
        if known > 0:
            priors[unknown[0]] = priors[task["name"]] / known
    return priors


def initialise_heads(model, priors, tfjs_weights):
    """Sets each dense head's bias to its task's prior; `tfjs_weights` is model.py's TFJS_WEIGHTS, which names the bias parameter."""
    import torch

    parameters = dict(model.named_parameters())
    by_tfjs = {tfjs: name for tfjs, name, _ in tfjs_weights}
    with torch.no_grad():
        for task in TASKS:
            prior = priors.get(task["name"])
            layer = HEAD_LAYERS.get(task["name"])
            name = by_tfjs.get(f"{layer}/bias")
            if prior is None or name is None or not math.isfinite(prior):
                continue
            if task["type"] == "binary":
                rate = min(max(prior, PRIORS["clamp"]), 1 - PRIORS["clamp"])
                prior = math.log(rate / (1 - rate))
            parameters[name].fill_(prior)
