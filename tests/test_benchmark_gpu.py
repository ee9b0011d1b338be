"""benchmarks/gpu.py cannot rot: its --dry-run runs the same code on CPU
tensors with tiny random data and writes the JSON it promises."""
import importlib.util
import json
from pathlib import Path

import pytest

GPU_PY = Path(__file__).resolve().parents[1] / "benchmarks" / "gpu.py"


def test_gpu_benchmark_dry_run_writes_every_peer(tmp_path):
    pytest.importorskip("torch")
    spec = importlib.util.spec_from_file_location("gpu_benchmark", GPU_PY)
    gpu = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gpu)
    out = tmp_path / "gpu.json"
    gpu.main(["--dry-run", "--no-tests", "--rows", "300", "--out", str(out)])
    res = json.loads(out.read_text())
    assert res["dry_run"] is True and res["info"]["device"] == "cpu" and res["rows"] == 300
    runs = res["runs"]
    assert set(runs) == {f"({w}) {p}" for w in "bc" for p in gpu.PEERS}
    for w in "bc":
        for peer in ("softmaxlab-trainer-torch", "softmaxlab-estimator-torch", "torch"):
            r = runs[f"({w}) {peer}"]
            assert len(r["epoch_seconds"]) == 1 and r["median_epoch"] > 0, (w, peer, r)
            assert r["train_loss"] < 3.0  # 10 classes: about log(10) = 2.3 at the start
        # torch tensors take the array-API (reference) engine, not the NumPy fast path
        assert runs[f"({w}) softmaxlab-trainer-torch"]["engine"] == "reference"
        assert runs[f"({w}) softmaxlab-estimator-torch"]["coef_device"] == "cpu"
        assert "skipped" in runs[f"({w}) softmaxlab-trainer-cupy"]
