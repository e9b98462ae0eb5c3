"""Logistic regression for the matcher's fitted models (``bot/matcher/model.py``):
L2-regularised, gradient descent on standardised features, numpy only, deterministic.
Used by ``fit_entries.py`` and ``fit_items.py``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.matcher.model import LogisticModel  # noqa: E402

L2, STEPS, RATE = 1.0, 3000, 1.0


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = L2) -> LogisticModel:
    """Fit on rows ``x`` with labels ``y`` (1 right, 0 wrong; rows labelled -1 are not
    learnt from)."""
    x, y = x[y >= 0], y[y >= 0]
    mean, scale = x.mean(0), np.maximum(x.std(0), 1e-3)  # constant columns: no nan
    z = (x - mean) / scale
    w, b = np.zeros(z.shape[1]), 0.0
    for _ in range(STEPS):
        p = 1 / (1 + np.exp(-(z @ w + b)))
        w -= RATE * (z.T @ (p - y) + l2 * w) / len(y)
        b -= RATE * float((p - y).mean())
    return LogisticModel(tuple(mean.round(6)), tuple(scale.round(6)), tuple(w.round(6)),
                         round(b, 6))


def write_model(path: Path, model: LogisticModel, features: tuple[str, ...],
                **extra) -> None:
    """Write a fitted model as ``LogisticModel.load`` reads it."""
    path.write_text(json.dumps({**extra, **model.as_dict(features)}, indent=1) + "\n",
                    encoding="utf-8")
