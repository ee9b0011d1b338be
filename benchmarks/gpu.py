"""The GPU check: (b) and (c) on CUDA through softmaxlab and through PyTorch's own loop.

One command, under 5 minutes on one GPU, figures to a JSON file::

    python benchmarks/gpu.py                      # CUDA: Fashion-MNIST, 3 epochs each
    python benchmarks/gpu.py --dry-run            # the same code on CPU tensors, tiny data

Workloads: (b) MLP 784-256-10, SGD lr 0.01; (c) the same MLP, Adam lr 1e-3;
batch 256, Fashion-MNIST's 60 000 training rows (pixels / 255, float32),
data moved to the device once before timing. Peers, alternating per workload:

* ``softmaxlab-trainer-torch``: ``Trainer`` on torch tensors (the reference
  engine on the array API: ``model.to(xp, device)``);
* ``softmaxlab-estimator-torch``: ``MLPClassifier.fit`` on torch tensors
  inside ``sklearn.config_context(array_api_dispatch=True)``;
* ``softmaxlab-trainer-cupy``: ``Trainer`` on CuPy arrays (when CuPy is
  installed and a GPU is present; recorded as skipped otherwise);
* ``torch``: PyTorch's own loop (``randperm`` + index gather,
  ``nn.CrossEntropyLoss``, ``torch.optim``), the same initial weights.

Clock: each epoch ends with a device synchronisation, so a time is the
work done, not the work queued. Reported: each run's median epoch.
Then the CUDA tests (``pytest tests -k cuda``) run and their summary line is
recorded; ``--dry-run`` only collects them.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

# scikit-learn's array-API dispatch needs SciPy's array-API mode, read when
# SciPy is first imported.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

WORKLOADS = {"b": dict(opt="sgd", lr=0.01), "c": dict(opt="adam", lr=0.001)}
HIDDEN, BATCH, SEED = 256, 256, 0
CUDA_TEST_MODULES = ("test_array_api.py", "test_estimators_array_api.py", "test_sklearn_checks.py")


def _sync(device: str):
    import torch

    if device.startswith("cuda"):
        torch.cuda.synchronize()


def _initial_model():
    from softmaxlab.nn import mlp

    return mlp(784, [HIDDEN], 10, rng=np.random.default_rng(SEED))


def _timed_trainer(X, y, device, xp, spec, epochs, sync):
    """softmaxlab's Trainer on arrays of namespace ``xp`` on ``device``;
    ``sync()`` waits for the device at each epoch's end."""
    from softmaxlab.optim import SGD, Adam
    from softmaxlab.train import Callback, Trainer

    model = _initial_model().to(xp, device)
    params = model.parameters()
    opt = SGD(params, lr=spec["lr"]) if spec["opt"] == "sgd" else Adam(params, lr=spec["lr"])
    stamps = []

    class Clock(Callback):
        def on_epoch_end(self, trainer, epoch, logs):
            sync()
            stamps.append(time.perf_counter())

    trainer = Trainer(model, opt, batch_size=BATCH, rng=SEED + 1, callbacks=[Clock()])
    t0 = time.perf_counter()
    trainer.fit(X, y, epochs=epochs)
    secs = np.diff([t0, *stamps]).tolist()
    return {"epoch_seconds": secs, "engine": trainer.engine_used,
            "train_loss": float(trainer.history.train_loss[-1])}


def run_trainer_torch(data, device, spec, epochs):
    import array_api_compat
    import torch

    X, y = data["torch"]
    xp = array_api_compat.array_namespace(torch.zeros(1))
    return _timed_trainer(X, y, torch.device(device), xp, spec, epochs, lambda: _sync(device))


def run_trainer_cupy(data, device, spec, epochs):
    if not device.startswith("cuda"):
        return {"skipped": "CuPy needs a CUDA device (dry run on the CPU)"}
    try:
        import cupy
    except ImportError:
        return {"skipped": "CuPy is not installed (pip install cupy-cuda12x)"}
    import array_api_compat

    X, y = cupy.asarray(data["numpy"][0]), cupy.asarray(data["numpy"][1])
    xp = array_api_compat.array_namespace(X)
    return _timed_trainer(X, y, X.device, xp, spec, epochs, cupy.cuda.Device().synchronize)


def run_estimator_torch(data, device, spec, epochs):
    import sklearn

    import softmaxlab as sl

    X, y = data["torch"]
    kw = dict(hidden_layer_sizes=(HIDDEN,), batch_size=BATCH, learning_rate_init=spec["lr"],
              alpha=0.0, max_iter=epochs, tol=0.0, n_iter_no_change=10**6, random_state=SEED)
    if spec["opt"] == "sgd":
        kw.update(solver="sgd", momentum=0.0, nesterovs_momentum=False)
    else:
        kw.update(solver="adam")
    clf = sl.MLPClassifier(**kw)
    import warnings

    t0 = time.perf_counter()
    with sklearn.config_context(array_api_dispatch=True), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # max_iter reached: expected
        clf.fit(X, y)
    _sync(device)
    wall = time.perf_counter() - t0
    return {"epoch_seconds": list(clf.history_.seconds), "fit_wall": wall,
            "coef_device": str(clf.coefs_[0].device), "train_loss": float(clf.loss_)}


def run_torch(data, device, spec, epochs):
    import torch
    from torch import nn

    X, y = data["torch"]
    from peers import torch_copy

    net = torch_copy(_initial_model()).to(device)
    opt = (torch.optim.SGD(net.parameters(), lr=spec["lr"]) if spec["opt"] == "sgd"
           else torch.optim.Adam(net.parameters(), lr=spec["lr"]))
    loss_fn = nn.CrossEntropyLoss()
    gen = torch.Generator(device=device).manual_seed(SEED + 1)
    secs = []
    for _ in range(epochs):
        t0 = time.perf_counter()
        order = torch.randperm(X.shape[0], device=device, generator=gen)
        for s in range(0, X.shape[0], BATCH):
            idx = order[s:s + BATCH]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(net(X[idx]), y[idx])
            loss.backward()
            opt.step()
        _sync(device)
        secs.append(time.perf_counter() - t0)
    return {"epoch_seconds": secs, "train_loss": float(loss.detach())}


PEERS = {"softmaxlab-trainer-torch": run_trainer_torch,
         "softmaxlab-estimator-torch": run_estimator_torch,
         "softmaxlab-trainer-cupy": run_trainer_cupy,
         "torch": run_torch}


def load_data(dry_run: bool, rows: int | None, device: str) -> dict:
    """NumPy arrays and the same on ``device`` as torch tensors."""
    import torch

    if dry_run:
        rng = np.random.default_rng(SEED)
        n = rows or 512
        X = rng.random((n, 784), dtype=np.float32)
        y = rng.integers(0, 10, n).astype(np.int64)
    else:
        from common import load_fashion

        X, y, _, _ = load_fashion(rows)
    Xt = torch.asarray(X, device=device)
    yt = torch.asarray(y, device=device)
    return {"numpy": (X, y), "torch": (Xt, yt)}


def cuda_tests(dry_run: bool, timeout: float) -> dict:
    """``pytest tests -k cuda``: the CUDA tests (they skip without a GPU)."""
    # Only the array-API modules (where the CUDA cases live: by name, or as
    # scikit-learn's namespace/device parameters): collecting the whole suite
    # imports everything and takes minutes on a busy machine.
    files = [str(ROOT / "tests" / f) for f in CUDA_TEST_MODULES if (ROOT / "tests" / f).exists()]
    cmd = [sys.executable, "-m", "pytest", *files, "-k", "cuda", "-q", "-rs",
           "-p", "no:cacheprovider"]
    if dry_run:
        cmd.append("--collect-only")
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"command": " ".join(cmd[1:]), "error": f"timed out after {timeout:.0f} s"}
    lines = [ln for ln in proc.stdout.splitlines() if ln.strip()]
    return {"command": " ".join(cmd[1:]), "returncode": proc.returncode,
            "summary": lines[-1] if lines else proc.stderr[-500:],
            "selected": sum("::" in ln for ln in lines) if dry_run else None}


def device_info(device: str) -> dict:
    import torch

    info = {"device": device, "torch": torch.__version__, "numpy": np.__version__}
    if device.startswith("cuda"):
        info["gpu"] = torch.cuda.get_device_name(0)
        info["cuda"] = torch.version.cuda
    try:
        import cupy

        info["cupy"] = cupy.__version__
    except ImportError:
        info["cupy"] = None
    return info


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dry-run", action="store_true",
                    help="CPU tensors, tiny random data, 1 epoch; CUDA tests only collected")
    ap.add_argument("--epochs", type=int, default=None, help="default 3 (dry run: 1)")
    ap.add_argument("--rows", type=int, default=None, help="default all 60 000 (dry run: 512)")
    ap.add_argument("--workloads", default="b,c")
    ap.add_argument("--no-tests", action="store_true", help="skip the CUDA tests")
    ap.add_argument("--out", default=str(HERE / "results" / "gpu.json"))
    args = ap.parse_args(argv)

    import torch

    device = "cpu" if args.dry_run else "cuda"
    if device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("gpu.py: no CUDA device is visible to PyTorch "
                         f"(torch {torch.__version__}); run it on a GPU machine, or use --dry-run")
    epochs = args.epochs or (1 if args.dry_run else 3)
    t_start = time.perf_counter()
    data = load_data(args.dry_run, args.rows, device)
    results = {"info": device_info(device), "dry_run": args.dry_run, "epochs": epochs,
               "rows": int(data["numpy"][0].shape[0]), "runs": {}}
    for w in args.workloads.split(","):
        for name, run in PEERS.items():
            res = run(data, device, WORKLOADS[w], epochs)
            if "epoch_seconds" in res:
                res["median_epoch"] = statistics.median(res["epoch_seconds"])
            results["runs"][f"({w}) {name}"] = res
            shown = res.get("median_epoch", res.get("skipped"))
            print(f"({w}) {name}: {shown}", flush=True)
    if not args.no_tests:
        results["cuda_tests"] = cuda_tests(args.dry_run, timeout=240)
        print("CUDA tests:", results["cuda_tests"]["summary"], flush=True)
    results["total_seconds"] = time.perf_counter() - t_start
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=1))
    print(f"wrote {args.out} ({results['total_seconds']:.1f} s)")
    return results


if __name__ == "__main__":
    main()
