"""The small fitted models that turn claim features into a support probability (numpy only at run time).

Both are fitted by ``eval/fit_grounding.py`` and stored as plain JSON in ``qa/grounding_weights.json``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))


@dataclass
class Logistic:
    """Logistic regression on standardised features."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    def prob(self, x: np.ndarray) -> np.ndarray:
        if len(x) == 0:
            return np.zeros(0)
        return _sigmoid(((x - self.mean) / self.scale) @ self.coef + self.intercept)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "logistic",
            "mean": self.mean.round(6).tolist(),
            "scale": self.scale.round(6).tolist(),
            "coef": self.coef.round(6).tolist(),
            "intercept": round(float(self.intercept), 6),
        }


@dataclass
class Trees:
    """Gradient-boosted shallow trees: each node ``[feature, threshold, left, right]``, each leaf a float."""

    base: float
    trees: list[Any]

    def prob(self, x: np.ndarray) -> np.ndarray:
        if len(x) == 0:
            return np.zeros(0)
        z = np.full(len(x), self.base)
        for tree in self.trees:
            z += np.array([_leaf(tree, row) for row in x])
        return _sigmoid(z)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "trees", "base": round(self.base, 6), "trees": self.trees}


def _leaf(node: Any, row: np.ndarray) -> float:
    while isinstance(node, list):
        feature, threshold, left, right = node
        node = left if row[feature] <= threshold else right
    return float(node)


def model_from_dict(d: dict[str, Any]) -> Logistic | Trees:
    if d["kind"] == "logistic":
        return Logistic(
            np.asarray(d["mean"], dtype=np.float64),
            np.asarray(d["scale"], dtype=np.float64),
            np.asarray(d["coef"], dtype=np.float64),
            float(d["intercept"]),
        )
    if d["kind"] == "trees":
        return Trees(float(d["base"]), list(d["trees"]))
    raise ValueError(f"unknown grounding model kind {d['kind']!r}")
