"""Make docs/images/cmos.png: a CMOS camera's bias, dark and flat, as the README shows them.

Usage: python docs/figures/cmos.py [OUT.png]   (default: docs/images/cmos.png)

The named camera ``cmos-12bit`` (IMX290 class, 12-bit converter), with its
fixed pattern and RTS pixels made stronger so they show at this size. Left:
one bias, a corner (column offsets, each row's offset of this frame, the RTS
pixels). Second: the values of three RTS pixels over 50 biases (two or three
levels) against a normal pixel. Third: a 300 s dark (the glow at the right
edge, hot pixels). Right: a flat (PRNU, column gains), its column means.
"""

import sys
from pathlib import Path

import numpy as np
from astropy.visualization import ImageNormalize, ZScaleInterval
from matplotlib.figure import Figure

from ccdsim import Camera
from ccdsim.camera.named import camera_parameters
from ccdsim.io import atomic_path

PARAMS = {**camera_parameters("cmos-12bit"), "row_noise": 3.0, "bias_column_rms": 4.0,
          "rts_fraction": 2e-3, "rts_amplitude": 40.0, "cosmic_ray_rate": 0.0}


def _show(ax, data, title):
    norm = ImageNormalize(data, interval=ZScaleInterval(contrast=0.1))
    ax.imshow(data, origin="lower", cmap="gray", norm=norm, interpolation="nearest")
    ax.set(title=title, xlabel="column", ylabel="row")


def main(out):
    cam = Camera(**PARAMS)
    fig = Figure(figsize=(17, 4.4), layout="constrained")
    axes = fig.subplots(1, 4)
    bias = cam.expose(0.0, rng=1).data.astype(float)
    _show(axes[0], bias[:200, :300], "Bias (a corner): column offsets,\nthis frame's rows, RTS pixels")
    stack = np.array([cam.expose(0.0, rng=10 + k).data[:200, :300] for k in range(50)], float)
    rts = cam.rts_pixels
    inside = rts[(rts["y"] < 200) & (rts["x"] < 300)]
    picked = sorted(inside, key=lambda r: -r["amplitude"])[:3]
    for row in picked:
        axes[1].plot(stack[:, row["y"], row["x"]], ".-",
                     label=f"RTS ({row['levels']} levels, {row['amplitude']:.0f} e-)")
    axes[1].plot(stack[:, 100, 150], ".-", color="gray", label="a normal pixel")
    axes[1].set(title="50 biases: RTS pixels jump between levels\n(12-bit: steps of 16 ADU)",
                xlabel="bias frame", ylabel="ADU")
    axes[1].legend(fontsize=7)
    dark = cam.expose(300.0, rng=2).data.astype(float)
    _show(axes[2], dark, "Dark, 300 s: glow at the right edge,\nhot pixels")
    flat = cam.expose(1.0, sky=30000.0, rng=3).data.astype(float)  # ADU
    _show(axes[3], flat[:200, :300], "Flat (a corner): PRNU and\neach column's gain")
    with atomic_path(out, overwrite=True) as tmp:
        fig.savefig(tmp, dpi=100, format="png")
    print(f"wrote {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/images/cmos.png"))
