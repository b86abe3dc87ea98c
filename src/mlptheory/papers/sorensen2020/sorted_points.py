"""sorensen2020 Fig. 2: the points r, g, b before and after sorting their coordinates."""

from __future__ import annotations

import numpy as np
import pandas as pd

# sorensen2020 Sec. 5, Fig. 2
FIG2_POINTS = {"r": (1.4, -3.0, 5.6), "g": (5.0, 1.2, -2.4), "b": (-3.2, 0.9, 6.0)}


def fig2_points() -> pd.DataFrame:
    """sorensen2020 Fig. 2: the points r, g, b and the same points with sorted coordinates."""
    rows = []
    for name, point in FIG2_POINTS.items():
        for coordinates, values in (("original", point), ("sorted", sorted(point))):
            rows.append({"point": name, "coordinates": coordinates,
                         "x1": values[0], "x2": values[1], "x3": values[2]})
    return pd.DataFrame(rows)


def table(settings: dict, inputs, log=None) -> pd.DataFrame:
    return fig2_points()


def draw(tables, settings):
    """r, g, b before (left) and after (right) sorting their coordinates."""
    import matplotlib.pyplot as plt

    frame = tables[0]
    fig = plt.figure(figsize=(10, 4.8))
    lim = 1.1 * max(abs(frame[["x1", "x2", "x3"]].to_numpy()).max(), 1)
    titles = {"original": "original coordinates", "sorted": "coordinates sorted increasingly"}
    for i, coordinates in enumerate(("original", "sorted")):
        ax = fig.add_subplot(1, 2, i + 1, projection="3d")
        for axis in np.eye(3):
            ax.plot(*np.stack([-lim * axis, lim * axis]).T, color="0.6", lw=0.8)
        part = frame[frame["coordinates"] == coordinates]
        for _, row in part.iterrows():
            xyz = row[["x1", "x2", "x3"]].to_numpy(dtype=float)
            label = row["point"] + ("'" if coordinates == "sorted" else "")
            ax.plot(*np.stack([np.zeros(3), xyz]).T, color=row["point"], lw=1, alpha=0.6)
            ax.scatter(*xyz, color=row["point"], s=40, depthshade=False,
                       label=f"{label} = ({xyz[0]:g}, {xyz[1]:g}, {xyz[2]:g})")
            ax.text(*xyz, f" {label}", fontsize=9)
        ax.legend(fontsize=8, loc="upper left")
        ax.view_init(elev=20, azim=-60)
        ax.set(xlim=(-lim, lim), ylim=(-lim, lim), zlim=(-lim, lim), xlabel="x1", ylabel="x2",
               zlabel="x3", title=titles[coordinates])
    fig.suptitle("sorensen2020 Fig. 2: sorting coordinates moves r, g, b into one region")
    fig.tight_layout()
    return fig, frame
