"""tsuchida2019 Figs. 3, 4: layer-wise normalized kernels of the trained autoencoders.

At every checkpoint of every member (one optimizer setting) and for each weight layer ``l``,
the normalized kernel (eq. 1, weights only: ``sigma(W^l x)``, ReLU, no bias) of pairs ``(x, y)``
built by Procedure 1 from test points at angle ``theta ~ U[0, pi]``: *with* the lettered steps
(zero coordinate sums, Fig. 3, ``inputs = "zero_sum"``) or without (Fig. 4, ``"nonzero_sum"``).
Since every layer is as wide as the input, a test point can be fed to any layer. The arc-cosine
kernel (eq. 9) is the prediction of Proposition 6. ``layer = "full"``: the pairs go through all
layers, ``sigma(W^L ... sigma(W^1 x))`` (the ReLU applied after the last layer as well, so each
layer is the map of eq. 1), against the arc-cosine kernel composed ``L`` times. The same pairs
(per input kind and layer) serve every member and checkpoint.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from ...data import load
from ...kernels import arccos_kernel
from ...kernels.tsuchida import en_squared, normalized_kernel, procedure1
from ...models import ensemble_at
from ...runs import read_run
from ...seeding import derive_seed
from .plan import SWEPT

ZERO_SUM = {"zero_sum": True, "nonzero_sum": False}


def member_settings(run) -> list[dict]:
    """``{"optimizer", "lr", "eps", "replicate"}`` of each member of a run (its per-member
    values; ``replicate``: the rank of its init seed among the run's distinct seeds in order of
    first appearance, see :mod:`.plan`)."""
    train = run.train
    seeds = [int(s) for s in run.seeds]
    n = len(seeds)
    rank = {s: r for r, s in enumerate(dict.fromkeys(seeds))}
    lrs = train.member_lr or (train.lr,) * n
    eps = train.member_eps or (train.eps,) * n
    if train.optimizer in ("sgd", "gd"):
        eps = (0.0,) * n
    return [{"optimizer": train.optimizer, "lr": float(a), "eps": float(b),
             "replicate": rank[s]} for a, b, s in zip(lrs, eps, seeds, strict=True)]


LOSS_WINDOW = 10  # training steps averaged into the loss recorded at a checkpoint


def checkpoint_losses(run, step: int) -> np.ndarray:
    """Per member: the mean training (minibatch) loss over the ``LOSS_WINDOW`` steps up to
    ``step`` (the last recorded steps at the end of the run; step 0 alone at t = 0), NaN for a
    member stopped before."""
    losses = np.asarray(run.losses, dtype=np.float64)
    end = min(int(step), len(losses) - 1)
    window = losses[max(0, end - LOSS_WINDOW + 1):end + 1]
    with np.errstate(invalid="ignore"):
        return window.mean(axis=0)


def mean_image_loss(dataset_path) -> float:
    """The training objective ``1/(2Sk) sum ||f(x) - x||^2`` of the best constant predictor,
    the mean image: half the mean per-pixel variance, estimated on the test split. A network
    whose loss is not well below it has learned little beyond the mean image."""
    x, _ = load(dataset_path, "test")
    return float(0.5 * x.numpy().var(axis=0).mean())


def hypothesis3(x) -> np.ndarray:
    """``m^(1/4) max_i |x_i| / ||x||`` per row (Hypothesis 3 asks it to tend to 0 with m)."""
    x = np.asarray(x, dtype=np.float64)
    return x.shape[1] ** 0.25 * np.abs(x).max(axis=1) / np.linalg.norm(x, axis=1)


def composed_arccos(theta, depth: int) -> np.ndarray:
    """The normalized arc-cosine kernel applied ``depth`` times (a ``depth``-layer ReLU net)."""
    k = np.cos(np.asarray(theta, dtype=np.float64))
    for _ in range(depth):
        k = arccos_kernel(np.arccos(np.clip(k, -1.0, 1.0)))
    return k


def relu_features(weights, x) -> np.ndarray:
    """``sigma(W^L ... sigma(W^1 x))`` for rows of ``x``, float64."""
    h = np.asarray(x, dtype=np.float64)
    for w in weights:
        h = np.maximum(h @ np.asarray(w, dtype=np.float64).T, 0.0)
    return h


def cosine_rows(a, b) -> np.ndarray:
    num = np.einsum("ij,ij->i", a, b)
    with np.errstate(invalid="ignore", divide="ignore"):
        return num / np.sqrt(np.einsum("ij,ij->i", a, a) * np.einsum("ij,ij->i", b, b))


def procedure1_pairs(dataset_path, pairs: int, seed: int, inputs: str, layer) -> tuple:
    """Procedure 1 pairs from ``pairs`` test points (a fixed subset per input kind and layer)."""
    rng = np.random.default_rng(derive_seed(seed, "tsuchida_pairs", inputs, str(layer)))
    x, _ = load(dataset_path, "test", n=pairs, seed=derive_seed(seed, "tsuchida_test", inputs,
                                                                   str(layer)))
    theta = rng.uniform(0.0, np.pi, size=x.shape[0])
    return procedure1(x.numpy(), theta, rng, zero_sum=ZERO_SUM[inputs])


def kernel_table(settings: dict, inputs: dict, log=None) -> pd.DataFrame:
    """Rows ``optimizer, eps, lr, replicate, member, status, loss, loss_mean_image, inputs,
    layer, step, pair, theta, theta_achieved, k_measured, k_arccos, n_skipped, hyp3_x``:
    ``loss`` the training loss at the checkpoint (:func:`checkpoint_losses`),
    ``loss_mean_image`` that of the mean image (:func:`mean_image_loss`), ``hyp3_x``
    Hypothesis 3's statistic of the pair's ``x`` (:func:`hypothesis3`)."""
    run = read_run(inputs["run"])
    members = member_settings(run)
    depth = run.spec.n_layers
    layers = [*range(1, depth + 1), "full"]
    pair_sets = {(kind, layer): procedure1_pairs(inputs["dataset"], int(settings["pairs"]),
                                                 int(settings["seed"]), kind, layer)
                 for kind in settings["inputs"] for layer in layers}
    frames = []
    floor = mean_image_loss(inputs["dataset"])
    for step in run.checkpoint_steps:
        ws = [w for w, _ in run.params(int(step))]
        losses = checkpoint_losses(run, int(step))
        for e, setting in enumerate(members):
            for (kind, layer), pr in pair_sets.items():
                if layer == "full":
                    k = cosine_rows(relu_features([w[e] for w in ws], pr.x),
                                    relu_features([w[e] for w in ws], pr.y))
                    k_ref = composed_arccos(pr.achieved, depth)
                else:
                    k = normalized_kernel(ws[layer - 1][e], pr.x, pr.y)
                    k_ref = arccos_kernel(pr.achieved)
                frames.append(pd.DataFrame({
                    **setting, "member": e, "status": run.status[e],
                    "loss": float(losses[e]), "loss_mean_image": floor, "inputs": kind,
                    "layer": str(layer), "step": int(step), "pair": np.arange(len(k)),
                    "theta": pr.theta, "theta_achieved": pr.achieved, "k_measured": k,
                    "k_arccos": k_ref, "n_skipped": len(pr.skipped),
                    "hyp3_x": hypothesis3(pr.x)}))
        if log is not None:
            log.info("step %d done", step)
    return pd.concat(frames, ignore_index=True)


def weight_table(settings: dict, inputs: dict, log=None) -> pd.DataFrame:
    """Rows ``optimizer, eps, lr, replicate, member, status, layer, step, en_squared, loss,
    loss_mean_image, displacement``: ``(E^n)^2 = max_j (mean_i W_ji)^2`` (Sec. 5.2) of each
    layer at each checkpoint, the training loss there (:func:`checkpoint_losses`), that of the
    mean image (:func:`mean_image_loss`) and how far the layer moved,
    ``||W_t - W_0||_F / ||W_0||_F``."""
    run = read_run(inputs["run"])
    floor = mean_image_loss(inputs["dataset"])
    rows = []
    w0 = [np.asarray(w, dtype=np.float64) for w, _ in run.params(int(run.checkpoint_steps[0]))]
    for step in run.checkpoint_steps:
        ws = [np.asarray(w, dtype=np.float64) for w, _ in run.params(int(step))]
        losses = checkpoint_losses(run, int(step))
        for e, setting in enumerate(member_settings(run)):
            for layer, (w, first) in enumerate(zip(ws, w0, strict=True), start=1):
                moved = np.linalg.norm(w[e] - first[e]) / np.linalg.norm(first[e])
                rows.append({**setting, "member": e, "status": run.status[e], "layer": layer,
                             "step": int(step), "en_squared": en_squared(w[e]),
                             "loss": float(losses[e]), "loss_mean_image": floor,
                             "displacement": float(moved)})
    return pd.DataFrame(rows)


def reconstruction_table(settings: dict, inputs: dict, log=None) -> pd.DataFrame:
    """Rows ``optimizer, eps, lr, replicate, member, image, pixel, original, reconstruction``:
    the network at its last checkpoint on a fixed set of test images."""
    run = read_run(inputs["run"])
    x, _ = load(inputs["dataset"], "test", n=int(settings["images"]),
                seed=derive_seed(int(settings["seed"]), "tsuchida_reconstructions"))
    with torch.no_grad():  # every member at once, in float64
        recon = ensemble_at(run, dtype="float64")(x.to(torch.float64)).numpy()  # [E, n, d]
    x = x.numpy()
    frames = []
    for e, setting in enumerate(member_settings(run)):
        h = recon[e]
        for i in range(x.shape[0]):
            frames.append(pd.DataFrame({**setting, "member": e, "image": i,
                                        "pixel": np.arange(x.shape[1]), "original": x[i],
                                        "reconstruction": h[i]}))
    return pd.concat(frames, ignore_index=True)


def row_label(setting: dict) -> str:
    swept = SWEPT[setting["optimizer"]]
    return f"{setting['optimizer']} {swept}={setting[swept]:g}"


def _select(frame: pd.DataFrame, setting: dict) -> pd.DataFrame:
    """The rows of one setting, every replicate."""
    mask = frame.optimizer == setting["optimizer"]
    for key in ("lr", "eps"):
        mask &= np.isclose(frame[key], setting[key], rtol=1e-9, atol=0)
    return frame[mask]


def _image(values, shape):
    img = np.clip(np.asarray(values, dtype=np.float64), 0.0, 1.0).reshape(shape)
    return img


def draw(tables, settings):
    """Rows: the chosen optimizer settings; columns: layers 1..L, the full network, and test
    reconstructions (originals above, reconstructions below). Replicate 0 is drawn; the CSV
    holds every replicate of the rows (the claims read them)."""
    import matplotlib.pyplot as plt
    from matplotlib import cm

    kernels = pd.concat([t for t in tables if "k_measured" in t], ignore_index=True)
    recon = pd.concat([t for t in tables if "reconstruction" in t], ignore_index=True)
    kernels = kernels[kernels.inputs == settings["inputs"]]
    kernels["layer"] = kernels.layer.astype(str)
    layers = sorted((v for v in kernels.layer.unique() if v != "full"), key=int) + ["full"]
    steps = sorted(kernels.step.unique())
    # blue (t = 0) to red (the last checkpoint), evenly by checkpoint: t is roughly log-spaced
    colors = {s: cm.coolwarm(i / max(len(steps) - 1, 1)) for i, s in enumerate(steps)}
    rows = settings["rows"]
    shape = tuple(settings["image_shape"])
    ncols = len(layers) + 1
    fig, axes = plt.subplots(len(rows), ncols, figsize=(2.4 * ncols, 2.3 * len(rows)),
                             squeeze=False)
    grid = np.linspace(0, np.pi, 200)
    plotted = []
    for r, setting in enumerate(rows):
        everyone = _select(kernels, setting)
        plotted.append(everyone)
        sub = everyone[everyone.replicate == 0] if "replicate" in everyone else everyone
        for c, layer in enumerate(layers):
            ax = axes[r, c]
            cell = sub[sub.layer == layer]
            for step in steps:
                pts = cell[cell.step == step]
                ax.scatter(pts.theta_achieved, pts.k_measured, s=2, color=colors[step], alpha=0.6,
                           label=f"t={step}")
            if layer == "full":
                ax.plot(grid, composed_arccos(grid, len(layers) - 1), "k", lw=1)
            else:
                ax.plot(grid, arccos_kernel(grid), "k", lw=1)
            ax.set_xlim(0, np.pi)
            ax.set_ylim(-0.05, 1.05)
            if r == 0:
                ax.set_title(f"layer {layer}" if layer != "full" else "full network", fontsize=9)
            if r == len(rows) - 1:
                ax.set_xlabel("theta")
            if c == 0:
                ax.set_ylabel(row_label(setting), fontsize=8)
        ax = axes[r, -1]
        rec = _select(recon, setting)
        rec = rec[rec.replicate == 0] if "replicate" in rec else rec
        images = sorted(rec.image.unique())
        tiles = []
        for i in images:
            one = rec[rec.image == i].sort_values("pixel")
            tiles.append(np.concatenate([_image(one.original, shape),
                                         _image(one.reconstruction, shape)], axis=0))
        if tiles:
            ax.imshow(np.concatenate(tiles, axis=1), cmap="gray" if len(shape) == 2 else None,
                      vmin=0, vmax=1)
        ax.set_xticks([])
        ax.set_yticks([])
        if r == 0:
            ax.set_title("test: original / reconstruction", fontsize=8)
    axes[0, 0].legend(fontsize=6, markerscale=3, loc="lower left")
    n_rep = kernels.replicate.nunique() if "replicate" in kernels else 1
    fig.suptitle(f"tsuchida2019 Fig. {settings['figure']}: "
                 f"{'zero' if settings['inputs'] == 'zero_sum' else 'non-zero'} coordinate sums"
                 + (f" (replicate 0 of {n_rep})" if n_rep > 1 else ""), fontsize=10)
    fig.tight_layout()
    return fig, pd.concat(plotted, ignore_index=True)
