"""``softmaxlab gradcheck``: gradients of a small random model against finite differences."""
from __future__ import annotations

import numpy as np

__all__ = ["format_checks", "gradcheck"]


def gradcheck(model="mlp", hidden=(8, 8), activation="tanh", n_samples=6, n_features=5,
              n_classes=4, seed=0, rtol=None) -> list:
    """Every parameter of a small random float64 model, every entry, compared
    by :func:`softmaxlab.gradcheck.compare_model_gradients` (its Notes say
    why the verdict has a relative tolerance and an absolute noise floor).

    Returns
    -------
    list of ParamCheck
    """
    from softmaxlab.gradcheck import MODEL_RTOL, compare_model_gradients
    from softmaxlab.nn import mlp, softmax_regression

    rng = np.random.default_rng(seed)
    if model == "softmax":
        net = softmax_regression(n_features, n_classes, rng=rng, dtype=np.float64)
    else:
        net = mlp(n_features, list(hidden), n_classes, activation=activation, rng=rng,
                  dtype=np.float64)
    X = rng.standard_normal((n_samples, n_features))
    y = rng.integers(0, n_classes, n_samples)
    return compare_model_gradients(net, X, y, rtol=MODEL_RTOL if rtol is None else rtol)


def format_checks(checks, rtol: float) -> tuple[list[str], bool]:
    """The report's lines (one per parameter, then the verdict) and whether all passed."""
    from softmaxlab.gradcheck import ENTRY_ATOL

    lines = []
    for c in checks:
        state = "ok" if c.passed else "FAIL"
        if c.passed and not c.measurable:
            state = "ok (below the rounding floor: nothing measurable)"
        elif c.passed and not c.resolved:
            state = "ok (tiny gradient: agrees within the rounding floor)"
        lines.append(f"  {c.name:<8} {c.checked:>5} entries  relative error {c.error:.2e}  "
                     f"|g| {c.norm_analytic:.2e}  {state}")
    ok = all(c.passed for c in checks)
    worst = max([c.error for c in checks if c.resolved or not c.passed] or [0.0])
    lines.append(f"{'PASS' if ok else 'FAIL'}: max relative error {worst:.2e} (pass: "
                 f"||g - n|| <= {rtol:g} max(||g||, ||n||) + {ENTRY_ATOL:g} sqrt(entries))")
    return lines, ok
