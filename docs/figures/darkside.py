"""Make docs/images/darkside.png: a glowing dark frame and its hot-pixel population.

Usage: python docs/figures/darkside.py OUT.png
"""

import sys

import numpy as np
from matplotlib.figure import Figure

from ccdsim import Camera, show_image
from ccdsim.physics.hotpixels import population_table
from ccdsim.io import atomic_path

# The guide's thermo-electrically cooled camera (gain, read noise, dark
# current) with glow on both edges and the guide's hot-pixel tail.
CAMERA = dict(shape=(512, 512), gain=1.5, read_noise=10.0, dark_current=0.01, bad_columns=0,
              hot_pixel_fraction=0.0, glow_rate=3.0, glow_length=15.0,
              glow_sources="left,right", glow_readout_time=20.0, hot_above_1=1e-3,
              hot_above_4=2.6e-4)


def main(out):
    cam = Camera(**CAMERA)
    t = 300.0
    dark = cam.expose(t, sky=0, rng=1).data.astype(float)
    # The tail alone (no glow), from a 1000 s dark: (dark - bias) x gain / t.
    big = Camera(**dict(CAMERA, shape=(2048, 2048), glow_rate=0.0))
    rate = ((big.expose(1000.0, sky=0, rng=2).data.astype(float)
             - big.expose(0, sky=0, rng=3).data) * big.gain / 1000.0)
    fig = Figure(figsize=(13, 5.5), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2)
    show_image(dark, ax=ax1, percl=1, percu=99.5,
               title="Dark, 300 s: glow on both edges, hot pixels (ADU)")
    bins = np.logspace(-2, 3, 101)
    ax2.hist(np.clip(rate.ravel(), 1e-2, None), bins=bins, histtype="step", color="k",
             label="measured: 1000 s dark - bias, 2048x2048")
    truth = population_table(big)["rate"] + big.dark_current
    ax2.hist(truth, bins=bins, histtype="step", color="tab:orange",
             label="truth: hot-pixel population")
    for x, f in ((1.0, big.hot_above_1), (4.0, big.hot_above_4)):
        found = np.mean(rate > x)
        ax2.axvline(x, color="tab:blue", ls="--")
        ax2.text(x * 1.1, 3e5 if x == 1 else 6e4, f"> {x:g} e-/s:\n{100 * found:.3f}% "
                 f"(set {100 * f:.3f}%)", color="tab:blue")
    ax2.set(xscale="log", yscale="log", xlabel="dark current (e-/s)", ylabel="pixels",
            title="Hot-pixel population: a power-law tail to saturation")
    ax2.legend(loc="lower left")
    with atomic_path(out) as tmp:
        fig.savefig(tmp, dpi=80, format="png")


if __name__ == "__main__":
    main(sys.argv[1])
