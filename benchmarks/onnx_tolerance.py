"""How far the float32 ONNX graph is from softmaxlab's own probabilities,
for float32 and float64 models (docs/export.md, "Numerics").

    .venv/bin/python benchmarks/onnx_tolerance.py

Part 1: StandardScaler + MLPClassifier((64,)) fitted (200 epochs, seed 0) on
each of scikit-learn's digits, iris, wine and breast cancer, in float32 and in
float64; every row of the data set through the exported graph (float32 rows)
against ``pipe.predict_proba`` on the float64 rows. Part 2: a random float64
50-128-64-10 tanh network with 3x Glorot weights on N(0, s^2) inputs for
s = 1, 10, 100 (inputs rounded to float32 on both sides), showing how the
difference grows with the size of the inputs. Measures, never asserts.
"""
from __future__ import annotations

import sys
import warnings

import numpy as np


def session(onx):
    import onnxruntime as ort

    return ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])


def main() -> int:
    from sklearn import datasets
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    import softmaxlab as sl
    from softmaxlab.export import to_onnx

    print("| data set | model dtype | max abs difference of probabilities | labels equal |")
    print("|---|---|---|---|")
    for name in ("digits", "iris", "wine", "breast_cancer"):
        d = getattr(datasets, f"load_{name}")()
        for dtype in ("float64", "float32"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                pipe = make_pipeline(StandardScaler(), sl.MLPClassifier(
                    (64,), max_iter=200, dtype=dtype, random_state=0)).fit(d.data, d.target)
            label, proba = session(to_onnx(pipe)).run(None, {"X": d.data.astype(np.float32)})
            gap = np.abs(proba - pipe.predict_proba(d.data)).max()
            same = np.mean(label == pipe.predict(d.data))
            print(f"| {name} | {dtype} | {gap:.2e} | {same:.2%} |")

    print("\n| input scale s | largest logit | max abs difference | labels equal |")
    print("|---|---|---|---|")
    rng = np.random.default_rng(0)
    for scale in (1, 10, 100):
        net = sl.mlp(50, [128, 64], 10, activation="tanh", init="glorot", rng=rng,
                     dtype=np.float64)
        for layer in net.linear_layers:
            layer.params["W"] *= 3
        X = (scale * rng.standard_normal((5000, 50))).astype(np.float32)
        label, proba = session(to_onnx(net)).run(None, {"X": X})
        X64 = X.astype(np.float64)
        gap = np.abs(proba - net.predict_proba(X64)).max()
        big = np.abs(net.predict_logits(X64)).max()
        print(f"| {scale} | {big:.1f} | {gap:.2e} | {np.mean(label == net.predict(X64)):.2%} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
