"""A fitted logistic model, as the matcher's two decisions use it: which entry a question
asks (``fusion``) and which answer item (``items``). The weights are fitted by scripts in
``bench/`` (``fit_entries.py``, ``fit_items.py``) and stored as JSON beside this file, with
the feature names they were fitted for, so that a model never meets features it was not
fitted on."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path


class StaleModel(ValueError):
    """The model file was fitted for other features than the code computes."""


@dataclass(frozen=True)
class LogisticModel:
    """Standardised features, weights, bias; ``extra`` holds the fitted thresholds."""

    mean: tuple[float, ...]
    scale: tuple[float, ...]
    weights: tuple[float, ...]
    bias: float
    extra: dict = field(default_factory=dict)
    _columns: tuple = field(init=False, repr=False, compare=False)

    @property
    def threshold(self) -> float:
        """The probability from which the model's choice is used."""
        return self.extra["threshold"]

    @property
    def hint_p(self) -> float:
        """The item model's probability from which a sure item turns an unknown into a
        suggestion led by that item (bench/fit_items.py chooses it)."""
        return self.extra["hint_p"]

    def __post_init__(self) -> None:
        # (weight, mean, scale) per feature, zipped once: a question computes dozens of
        # probabilities (the same arithmetic, in the same order)
        object.__setattr__(self, "_columns", tuple(zip(self.weights, self.mean, self.scale)))

    def probability(self, row: list[float]) -> float:
        z = self.bias
        for (w, m, s), x in zip(self._columns, row):
            z += w * (x - m) / s
        return 1 / (1 + math.exp(-max(-30.0, min(30.0, z))))

    @classmethod
    def load(cls, path: Path, features: tuple[str, ...], fitted_by: str,
             part: str | None = None) -> LogisticModel:
        """The model in a JSON file (or in its ``models[part]``), refused when it was
        fitted for other features than ``features``."""
        data = json.loads(path.read_text(encoding="utf-8"))
        if part is not None:
            if part not in data.get("models", {}):
                raise StaleModel(f"{path.name}: has no {part} model; run {fitted_by}")
            data = data["models"][part]
        if tuple(data["features"]) != features:
            raise StaleModel(f"{path.name}: fitted for other features; run {fitted_by}")
        known = {"mean", "scale", "weights", "bias", "features"}
        return cls(tuple(data["mean"]), tuple(data["scale"]), tuple(data["weights"]),
                   data["bias"], {k: v for k, v in data.items() if k not in known})

    def as_dict(self, features: tuple[str, ...]) -> dict:
        """What ``load`` reads back."""
        return {"features": list(features), "mean": self.mean, "scale": self.scale,
                "weights": self.weights, "bias": self.bias}
