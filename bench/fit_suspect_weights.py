"""Fit the suspect model's weights by maximum likelihood on generated training scenarios.

Run by hand:  .venv/bin/python bench/fit_suspect_weights.py [--per-family 15] [--first-seed 1001]

The model is a conditional logit: in each incident exactly one option is true — one of the
candidate changes, or "no change is to blame". Its likelihood is the softmax the analysis uses,
so the fitted weights give scores that mean what they say. Training seeds (1001 and up) are
disjoint from the evaluation suite's (1-8), so the suite measures, not memorises.

The generator is not the world: its people name the culprit in chat more reliably, and its bad
changes run larger, than real ones do. So the fit is a MAP estimate — a quadratic penalty pulls
each weight toward the documented prior (the hand-set weights), and each weight's sign and size
are bounded by what the evidence can mean (a mention is weak evidence; being healthy is never
evidence for). The data sharpen the prior; they do not get to learn the generator's habits. Paste the printed WEIGHTS into
src/afteraction/analysis/suspects.py.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from scipy.optimize import minimize

from afteraction.generate.bundle import scenario_bundle
from afteraction.generate.families import FAMILIES, build
from afteraction.analysis.suspects import FEATURES, WEIGHTS
from afteraction.pipeline import analyze_bundle

warnings.filterwarnings("ignore")


PRIOR = np.array([WEIGHTS.get(f, 0.0) for f in FEATURES] + [WEIGHTS["none"]])
BOUNDS: dict[str, tuple[float | None, float | None]] = {
    "lag": (0.3, 1.5), "merge_only": (-3.0, 0.0), "root": (0.0, 3.0), "first_moved": (0.0, 1.5),
    "victim": (-1.0, 0.5), "upstream": (-1.0, 1.0), "healthy": (-3.0, 0.0),
    "unrelated": (-4.0, 0.0), "undone_recovery": (1.0, 5.0), "undone_no_recovery": (-3.0, 0.0),
    "not_undone": (-4.0, 0.0), "rollout_worse": (0.0, 4.0), "rollout_same": (-3.0, 0.0),
    "callers_rose": (0.0, 3.0), "callers_flat": (-2.0, 0.0), "named": (0.0, 1.0),
    "big": (0.0, 1.0), "tiny": (-1.0, 0.0), "flag_up": (0.0, 1.5), "none": (0.0, 10.0),
}


def collect(per_family: int, first_seed: int) -> list[tuple[np.ndarray, int | None]]:
    """Per incident: the candidates' feature matrix, and the culprit's row (None: no culprit)."""
    rows = []
    for family in FAMILIES:
        for seed in range(first_seed, first_seed + per_family):
            scenario = build(family, seed)
            evidence, analysis = analyze_bundle(scenario_bundle(scenario))
            by_id = {e.id: e for e in evidence.events}
            x = np.array([[c.features.get(f, 0.0) for f in FEATURES]
                          for c in analysis.candidates]).reshape(-1, len(FEATURES))
            target = None
            culprit = scenario.truth.culprit
            for i, c in enumerate(analysis.candidates):
                e = by_id[c.event.id]
                if culprit is not None and culprit.matches(str(e.kind), c.service, e.attrs):
                    target = i
                    break
            if culprit is not None and target is None:
                continue  # the culprit was not even a candidate: nothing to learn about weights
            rows.append((x, target))
    return rows


def negative_log_likelihood(theta: np.ndarray, rows: list[tuple[np.ndarray, int | None]],
                            l2: float) -> tuple[float, np.ndarray]:
    w, none = theta[:-1], theta[-1]
    total, grad = 0.0, np.zeros_like(theta)
    for x, target in rows:
        logits = np.concatenate((x @ w, [none])) if len(x) else np.array([none])
        top = logits.max()
        p = np.exp(logits - top)
        p /= p.sum()
        chosen = target if target is not None else len(logits) - 1
        total -= np.log(max(p[chosen], 1e-300))
        feats = np.vstack((x, np.zeros(len(FEATURES)))) if len(x) else np.zeros((1, len(FEATURES)))
        grad[:-1] -= feats[chosen] - p @ feats
        grad[-1] -= (1.0 if chosen == len(logits) - 1 else 0.0) - p[-1]
    dev = theta - PRIOR
    total += l2 * float(dev @ dev)
    grad += 2 * l2 * dev
    return total, grad


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-family", type=int, default=15)
    parser.add_argument("--first-seed", type=int, default=1001)
    parser.add_argument("--l2", type=float, default=0.5,
                        help="strength of the pull toward the prior weights")
    args = parser.parse_args()
    started = time.time()
    rows = collect(args.per_family, args.first_seed)
    print(f"{len(rows)} training incidents in {time.time() - started:.0f} s")
    theta0 = PRIOR.copy()
    bounds = [BOUNDS[f] for f in [*FEATURES, "none"]]
    result = minimize(negative_log_likelihood, theta0, args=(rows, args.l2), jac=True,
                      method="L-BFGS-B", bounds=bounds)
    print(f"negative log-likelihood {result.fun:.2f} (start "
          f"{negative_log_likelihood(theta0, rows, args.l2)[0]:.2f})")
    fitted = dict(zip([*FEATURES, "none"], result.x, strict=True))
    print("WEIGHTS: dict[str, float] = {")
    for name, value in fitted.items():
        print(f'    "{name}": {value:.2f},')
    print("}")


if __name__ == "__main__":
    main()
