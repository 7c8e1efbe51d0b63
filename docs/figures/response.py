"""Make docs/images/response.png: a linearity test and a persistence ghost, as the README shows them.

Usage: python docs/figures/response.py [OUT.png]   (default: docs/images/response.png)

Top: twelve flats of increasing exposure from the guide's camera made
nonlinear (-1% at 55,000 ADU, gain 1.5 e-/ADU): mean counts against exposure
time with the line fitted to the low part, and each flat's deviation from it
beside the truth curve. Bottom: a star far over the full well in a science
frame and its after-image in the darks taken after it.
"""

import dataclasses
import sys
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
from astropy.table import Table
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure

from ccdsim import Camera
from ccdsim.io import atomic_path
from ccdsim.plans.model import FrameSpec
from ccdsim.plans.night import plan_night
from ccdsim.plans.make import run_frame
from ccdsim.physics.response import response_coefficient, response_curve

GAIN, NONLIN, LEVEL = 1.5, -0.01, 55000.0  # e-/ADU, fraction, ADU above bias


def linearity(ax_counts, ax_dev):
    """Flats of 1..12 s at 5,000 ADU/s: mean counts, a line fitted below 20,000 ADU, deviations."""
    cam = Camera(shape=(256, 256), gain=GAIN, bad_columns=0, hot_pixel_fraction=0,
                 dark_current=0.0, nonlinearity=NONLIN, nonlinearity_level=LEVEL)
    rate, t = 5000.0, np.arange(1.0, 13.0)
    bias = cam.expose(0, rng=99).data.mean()
    signal = np.array([cam.expose(ti, sky=rate * ti, rng=100 + i).data.mean() - bias
                       for i, ti in enumerate(t)])
    low = signal <= 20000
    k = np.sum(signal[low] * t[low]) / np.sum(t[low] ** 2)
    tt = np.linspace(0, 12.5, 200)
    truth = response_curve(rate * tt * GAIN, response_coefficient(cam)) / GAIN
    ax_counts.plot(t, signal, "o", label="flats (mean - bias)")
    ax_counts.plot(tt, k * tt, ":", color="gray", label="line fitted below 20,000 ADU")
    ax_counts.plot(tt, truth, "-", lw=1, label="truth curve")
    ax_counts.set(xlabel="exposure time (s)", ylabel="signal (ADU above bias)",
                  title="Linearity test: flats of increasing exposure")
    ax_counts.legend()
    ax_dev.plot(signal, 100 * (signal / (k * t) - 1), "o", label="measured")
    # The truth through the same recipe: its own line fitted at the same exposures.
    at_t = response_curve(rate * t * GAIN, response_coefficient(cam)) / GAIN
    k_truth = np.sum(at_t[low] * t[low]) / np.sum(t[low] ** 2)
    ax_dev.plot(truth[1:], 100 * (truth[1:] / (k_truth * tt[1:]) - 1), "-", lw=1,
                label="truth curve, same fit")
    s = np.linspace(0, 62000, 200)
    ax_dev.plot(s, 100 * NONLIN * s / LEVEL, "--", lw=1, color="gray",
                label=f"truth against the true gain: {100 * NONLIN:g}% at {LEVEL:,.0f} ADU")
    ax_dev.axvline(LEVEL, color="gray", ls=":")
    ax_dev.set(xlabel="signal (ADU above bias)", ylabel="deviation from the line (%)",
               title="Deviation from linear")
    ax_dev.legend()


def ghost(axes):
    """A science frame with a star far over the full well, then three 60 s darks."""
    cam = Camera(shape=(128, 128), gain=GAIN, bad_columns=0, hot_pixel_fraction=0,
                 full_well=60000.0, persistence=0.01, persistence_time=120.0)
    base = plan_night(cam, n_bias=0, n_dark=0, n_flat=0, n_science=1, stars=0, seed=7)
    start, frames = datetime(2026, 3, 20, 19), []
    for i, kind in enumerate(["science", "dark", "dark", "dark"]):
        frames.append(FrameSpec(i, kind, f"{kind}-{i}.fits", 60.0,
                                start.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3],
                                sky=20.0 if kind == "science" else 0.0, stars=kind == "science"))
        start += timedelta(seconds=70.0)
    field = Table({"x_0": [64.3], "y_0": [60.7], "flux": [2.5e7]})
    plan = dataclasses.replace(base, frames=tuple(frames), field=field)
    for i, ax in enumerate(axes):
        frame = run_frame(plan, i)
        cut = frame.data[36:86, 39:90].astype(float)
        if i == 0:
            ax.imshow(cut, origin="lower", cmap="gray", norm=LogNorm(1105, 65535, clip=True))
            ax.set_title("science, 60 s: star over the full well")
        else:
            ax.imshow(cut, origin="lower", cmap="gray", norm=LogNorm(1095, 4000, clip=True))
            total = frame.header["PERSTOT"]
            ax.set_title(f"dark {i}, {70 * i - 60}-{70 * i} s after: {total:,.0f} e-")
        ax.set_xticks([])
        ax.set_yticks([])


def main(out):
    fig = Figure(figsize=(14, 8.5), layout="constrained")
    top, bottom = fig.subfigures(2, 1, height_ratios=[1.1, 1])
    linearity(*top.subplots(1, 2))
    ghost(bottom.subplots(1, 4))
    bottom.suptitle("Persistence: 1% of the charge over the full well, e-folding 120 s")
    with atomic_path(out, overwrite=True) as tmp:
        fig.savefig(tmp, dpi=80, format="png")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else
         Path(__file__).resolve().parents[1] / "images" / "response.png")
