"""PyTorch parity (torch==2.13.0, CPU): same start, same batches, same
order; per-step losses and final weights must agree, for the reference
engine and for the NumPy fast path (reproducing the NumPy model with a
framework, answered exactly)."""
import numpy as np
import pytest

from softmaxlab.nn import mlp, softmax_regression
from softmaxlab.optim import SGD, Adam
from softmaxlab.train import Callback, Trainer

torch = pytest.importorskip("torch")

EPOCHS, BATCH, SEED = 3, 64, 11


def _torch_model(model):
    """The same architecture in torch, initialised with our weights
    (torch stores Linear weights as (out, in): ours transposed)."""
    mods = []
    for layer in model.layers:
        name = type(layer).__name__
        if name == "Linear":
            lin = torch.nn.Linear(layer.n_in, layer.n_out, dtype=torch.float64)
            with torch.no_grad():
                lin.weight.copy_(torch.from_numpy(layer.params["W"].T.copy()))
                lin.bias.copy_(torch.from_numpy(layer.params["b"].copy()))
            mods.append(lin)
        else:
            mods.append({"ReLU": torch.nn.ReLU, "Tanh": torch.nn.Tanh}[name]())
    return torch.nn.Sequential(*mods)


class _Losses(Callback):
    def __init__(self):
        self.values = []

    def on_batch_end(self, trainer, batch, logs):
        self.values.append(logs["loss"])


CASES = {
    "softmax-sgd-momentum": (lambda rng: softmax_regression(64, 10, rng=rng, dtype=np.float64),
                             "sgd"),
    "mlp-relu-sgd-momentum": (lambda rng: mlp(64, [32, 16], 10, activation="relu", rng=rng,
                                              dtype=np.float64), "sgd"),
    "mlp-tanh-sgd-nesterov": (lambda rng: mlp(64, [32, 16], 10, activation="tanh", rng=rng,
                                              dtype=np.float64), "nesterov"),
    "softmax-adam": (lambda rng: softmax_regression(64, 10, rng=rng, dtype=np.float64), "adam"),
    "mlp-relu-adam": (lambda rng: mlp(64, [32, 16], 10, activation="relu", rng=rng,
                                      dtype=np.float64), "adam"),
    "mlp-tanh-adam": (lambda rng: mlp(64, [32, 16], 10, activation="tanh", rng=rng,
                                      dtype=np.float64), "adam"),
}


@pytest.mark.parametrize("engine", ["reference", "fast"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_parity_with_pytorch(case, engine, digits_split):
    Xtr, _, ytr, _ = digits_split
    build, opt_name = CASES[case]
    rng = np.random.default_rng(SEED)
    model = build(rng)
    # Weight decay on, to check it is applied the same way (weights and biases
    # in torch's param groups below; ours decays weights only, so torch gets a
    # group without decay for biases).
    wd = 1e-3
    tmodel = _torch_model(model)
    decay = [p for n, p in tmodel.named_parameters() if n.endswith("weight")]
    no_decay = [p for n, p in tmodel.named_parameters() if n.endswith("bias")]
    groups = [{"params": decay, "weight_decay": wd}, {"params": no_decay, "weight_decay": 0.0}]
    if opt_name == "adam":
        opt = Adam(model.parameters(), lr=0.01, weight_decay=wd)
        topt = torch.optim.Adam(groups, lr=0.01)
    else:
        nesterov = opt_name == "nesterov"
        opt = SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=nesterov, weight_decay=wd)
        topt = torch.optim.SGD(groups, lr=0.05, momentum=0.9, nesterov=nesterov)

    ours = _Losses()
    trainer = Trainer(model, opt, rng=np.random.default_rng(SEED), batch_size=BATCH,
                      callbacks=[ours], engine=engine)
    trainer.fit(Xtr, ytr, epochs=EPOCHS)
    assert trainer.engine_used == engine

    # Replay the trainer's batches: one permutation per epoch from a Generator
    # seeded the same way.
    order_rng = np.random.default_rng(SEED)
    Xt, yt = torch.from_numpy(Xtr), torch.from_numpy(ytr.astype(np.int64))
    theirs = []
    ce = torch.nn.CrossEntropyLoss()
    for _ in range(EPOCHS):
        perm = torch.from_numpy(order_rng.permutation(len(Xtr)))
        for s in range(0, len(Xtr), BATCH):
            idx = perm[s:s + BATCH]
            topt.zero_grad()
            loss = ce(tmodel(Xt[idx]), yt[idx])
            loss.backward()
            topt.step()
            theirs.append(loss.item())

    assert len(ours.values) == len(theirs) == EPOCHS * int(np.ceil(len(Xtr) / BATCH))
    np.testing.assert_allclose(ours.values, theirs, rtol=1e-6)
    tw = [m for m in tmodel if isinstance(m, torch.nn.Linear)]
    for lin, layer in zip(tw, model.linear_layers, strict=True):
        np.testing.assert_allclose(layer.params["W"], lin.weight.detach().numpy().T, rtol=1e-5,
                                   atol=1e-9)
        np.testing.assert_allclose(layer.params["b"], lin.bias.detach().numpy(), rtol=1e-5,
                                   atol=1e-9)
