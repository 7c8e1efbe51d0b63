"""Make docs/images/bias_overscan.png: a bias that moves through a night, and leakage.

Usage: python docs/figures/bias_overscan.py [OUT.png]

Left: the overscan level of each frame of a night (mean of BIASSEC minus the
bias level) against the truth in its header (BIASOFF): a drift plus a
per-frame jitter. Right: the row-averaged overscan of a flat, with charge
leaking from the last data column into the first overscan columns, against
``fraction x last-column level x exp(-k / L)``.
"""

import sys

import numpy as np
from matplotlib.figure import Figure

from ccdsim import Camera
from ccdsim.io import atomic_path
from ccdsim.plans.night import plan_night
from ccdsim.plans.make import run_frame

BIAS = 1100.0


def section(header, key):
    """Numpy slices of a FITS section ``[x0:x1,y0:y1]`` (1-based, inclusive)."""
    (x0, x1), (y0, y1) = (map(int, s.split(":")) for s in header[key].strip("[]").split(","))
    return slice(y0 - 1, y1), slice(x0 - 1, x1)


def night_levels(n=60):
    """Measured overscan level and header truth of ``n`` biases, 4 minutes apart."""
    cam = Camera(shape=(256, 64), overscan=32, bad_columns=0, hot_pixel_fraction=0,
                 bias_drift=2.0, bias_jitter=0.7)
    plan = plan_night(cam, n_bias=n, n_dark=0, n_flat=0, n_science=0, overhead=240, seed=3)
    hours, measured, truth = [], [], []
    for i in range(n):
        frame = run_frame(plan, i, threads=1)
        hours.append(i * 240 / 3600)
        measured.append(frame.data[section(frame.header, "BIASSEC")].mean() - BIAS)
        truth.append(frame.header["BIASOFF"])
    return np.array(hours), np.array(measured), np.array(truth), cam.bias_drift


def leak_profile(fraction=0.02, length=3.0):
    """Row-averaged overscan of a 20000 ADU flat, and the expected leak."""
    cam = Camera(shape=(256, 128), overscan=32, bad_columns=0, hot_pixel_fraction=0,
                 overscan_leak=fraction, overscan_leak_length=length)
    frame = cam.expose(5, sky=20000, rng=1)
    data = frame.data.astype(float)
    over = data[section(frame.header, "BIASSEC")].mean(axis=0) - BIAS
    k = np.arange(cam.overscan)
    expected = fraction * (data[:, cam.shape[1] - 1].mean() - BIAS) * np.exp(-k / length)
    return k, over, expected


def main(out="docs/images/bias_overscan.png"):
    fig = Figure(figsize=(12, 4.5), layout="constrained")
    left, right = fig.subplots(1, 2)
    hours, measured, truth, drift = night_levels()
    left.plot(hours, truth, "o", mfc="none", label="truth (BIASOFF)")
    left.plot(hours, measured, ".", label="measured: mean of BIASSEC - bias level")
    left.plot(hours, drift * hours, "-", lw=1, label=f"drift {drift:g} ADU/hour")
    left.set(xlabel="hours since the first exposure", ylabel="bias offset (ADU)",
             title="A bias that moves: drift + per-frame jitter")
    left.legend()
    k, over, expected = leak_profile()
    right.semilogy(k, np.clip(over, 0.1, None), "o", label="row-averaged overscan - bias level")
    right.semilogy(k, np.clip(expected, 0.1, None), "-",
                   label="0.02 x last column x exp(-k / 3)")
    right.set(xlabel="overscan column k (0: first)", ylabel="ADU above the bias (log)",
              title="Leakage into the first overscan columns of a flat")
    right.legend()
    with atomic_path(out, overwrite=True) as tmp:
        fig.savefig(tmp, format="png", dpi=90)
    return out


if __name__ == "__main__":
    print(main(*sys.argv[1:]))
