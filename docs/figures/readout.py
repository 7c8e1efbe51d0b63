"""Make docs/images/readout.png: a raw frame of the 16-amplifier sensor, as the README shows it.

Usage: python docs/figures/readout.py [OUT.png]   (default: docs/images/readout.png)

The named camera ``sixteen-amp`` with its data section cut to 1000 x 1016
pixels (2 x 8 amplifiers of 500 x 127, each with its 3 prescan columns, 64
serial overscan columns and 48 parallel overscan rows). Left: a bias as read
out, each amplifier at its own level. Middle: the serial and parallel
overscans of a flat, mean over every amplifier against the distance from the
data: the charge the traps release after the last data pixel (EPER). Right:
a science frame with one saturated star in amplifier B, and the crosstalk
ghost it leaves in amplifier C at the same read-out position.
"""

import sys
from pathlib import Path

import numpy as np
from astropy.table import Table
from astropy.visualization import ImageNormalize, ZScaleInterval
from matplotlib.figure import Figure

from ccdsim import Camera
from ccdsim.camera.named import camera_parameters
from ccdsim.io import atomic_path
from ccdsim.readout.segments import read_order

PARAMS = {**camera_parameters("sixteen-amp"), "shape": (1000, 1016), "cosmic_ray_rate": 0.0}


def bias_panel(ax, cam):
    data = cam.expose(0.0, rng=1).data
    norm = ImageNormalize(data, interval=ZScaleInterval(contrast=0.05))
    ax.imshow(data, origin="lower", cmap="gray", norm=norm, interpolation="nearest")
    for amp in cam.geometry.amplifiers:
        d = amp.data
        ax.text((d.x0 + d.x1) / 2, (d.y0 + d.y1) / 2, amp.name, color="yellow", ha="center",
                va="center", fontsize=9)
    ax.set(title="Bias: 16 amplifiers, each its own level,\nprescan and overscans",
           xlabel="column", ylabel="row")


def eper_panel(ax, cam):
    flat = cam.expose(20.0, sky=10000.0, quantize=False, rng=2)
    serial, parallel = [], []
    for amp in cam.geometry.amplifiers:
        data = read_order(flat.data[amp.segment.slices], amp.reads_towards)
        # Read order: prescan, data, serial overscan; data rows, then the overscan rows.
        h, first = amp.data.shape[0], amp.prescan.shape[1] + amp.data.shape[1]
        serial.append(data[:h, first:].mean(axis=0))
        parallel.append(data[h:, amp.prescan.shape[1]:first].mean(axis=1))
    for name, trail in (("serial: overscan columns", serial), ("parallel: overscan rows",
                                                                  parallel)):
        trail = np.mean(trail, axis=0)  # all 16 amplifiers
        level = np.median(trail[-16:])
        ax.plot(np.arange(1, trail.size + 1), trail - level, ".-", label=name)
    ax.set_yscale("symlog", linthresh=0.1)
    ax.axhline(0, color="gray", lw=0.5)
    ax.set(title="Flat of 16,000 e-: EPER, the traps' charge\nreleased after the last data pixel",
           xlabel="overscan column (row) after the data", ylabel="ADU above the overscan level",
           xlim=(0.5, 25))
    ax.legend(fontsize=8)


def ghost_panel(ax, cam):
    b, c = cam.geometry.amplifiers[1], cam.geometry.amplifiers[2]
    # A star in B at read-out position (row 200, column 60): where C reads that position.
    x = b.detector.x0 + 60
    stars = Table({"x_0": [float(x)], "y_0": [200.0], "flux": [4e6]})
    frame = cam.expose(30.0, sky=50.0, stars=stars, star_sigma=2.0, rng=3)
    data = frame.data.astype(float)
    for amp in (b, c):  # each amplifier's own bias level and sky off, as a reduction would
        data[amp.segment.slices] -= np.median(data[amp.serial_overscan.slices])
        data[amp.data.slices] -= np.median(data[amp.data.slices])
    ghost_x = c.data.x0 + 60  # C reads towards the same corner here: same column offset
    window = data[150:250, b.data.x0 + 20:c.data.x1 - 20]
    norm = ImageNormalize(vmin=-15, vmax=40)
    extent = (b.data.x0 + 20, c.data.x1 - 20, 150, 250)
    ax.imshow(window, origin="lower", cmap="gray", norm=norm, extent=extent,
              interpolation="nearest")
    ax.annotate("saturated star (B)", (x, 200), (x - 10, 235), color="yellow", fontsize=8,
                arrowprops=dict(color="yellow", arrowstyle="->"))
    ax.annotate("crosstalk ghost (C)", (ghost_x, 200), (ghost_x - 40, 165), color="yellow",
                fontsize=8, arrowprops=dict(color="yellow", arrowstyle="->"))
    ax.set(title="Crosstalk: 2e-4 of B's signal in C,\nsame read-out position",
           xlabel="column", ylabel="row")


def main(out):
    cam = Camera(**PARAMS)
    fig = Figure(figsize=(15, 4.6), layout="constrained")
    axes = fig.subplots(1, 3, width_ratios=[1.4, 1, 1.2])
    bias_panel(axes[0], cam)
    eper_panel(axes[1], cam)
    ghost_panel(axes[2], cam)
    with atomic_path(out, overwrite=True) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    print(f"wrote {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/images/readout.png"))
