"""Make docs/images/night.png: the frames of a default night, as the README shows them.

Usage: python docs/night_figure.py NIGHT_DIR OUT.png
(NIGHT_DIR written by ``ccdsim night NIGHT_DIR --seed 1``).
"""

import sys
from pathlib import Path

from astropy.io import fits
from matplotlib.figure import Figure

from ccdsim import Camera, show_image
from ccdsim.io import atomic_path
from ccdsim.camera.named import NIGHT_CAMERA
from ccdsim.plans.night import plan_night
from ccdsim.plans.make import run_frame


def main(night, out):
    night = Path(night)
    fig = Figure(figsize=(15, 10), layout="constrained")
    axes = fig.subplots(2, 3)
    panels = [("bias-001.fits", "Bias: 1100 ADU + read noise, overscan at right", 0.5, 99.5),
              ("dark-001.fits", "Dark, 100 s: hot pixels", 1, 99.9),
              ("flat-001.fits", "Flat, 5 s (data section): vignetting, dust donuts", 0.5, 99.9),
              ("science-001.fits", "Science, 100 s: stars, sky, cosmic rays", 1, 99.9)]
    for ax, (name, title, lo, hi) in zip(axes.flat, panels):
        data = fits.getdata(night / name)
        if name.startswith("flat"):
            data = data[:, :2000]
        show_image(data, ax=ax, percl=lo, percu=hi, title=title)
    sci = fits.getdata(night / "science-001.fits").astype(float)
    cr = fits.open(night / "science-001.fits")["COSMICS"].data
    x, y = int(cr["x_start"][0]), int(cr["y_start"][0])
    x0, y0 = min(max(x - 100, 0), 1800), min(max(y - 100, 0), 1800)
    show_image(sci[y0:y0 + 200, x0:x0 + 200], ax=axes[1, 1], percl=1, percu=99.5,
               title=f"Science, 200x200 px around a cosmic ray at ({x}, {y})")
    # A saturated star, bleeding along its column (full well 60,000 e-).
    cam = Camera(**NIGHT_CAMERA)
    plan = plan_night(cam, n_bias=0, n_dark=0, n_flat=0, n_science=1, stars=1,
                      max_counts=2e6, seed=3)
    frame = run_frame(plan, 0)
    sx, sy = int(plan.field["x_0"][0]), int(plan.field["y_0"][0])
    cut = frame.data[sy - 100:sy + 100, sx - 100:sx + 100]
    show_image(cut, ax=axes[1, 2], percl=1, percu=100, log=True,
               title=f"A star of {plan.field['flux'][0]:.1e} e- bleeding along its column")
    with atomic_path(out, overwrite=True) as tmp:
        fig.savefig(tmp, format="png", dpi=60)


if __name__ == "__main__":
    main(*sys.argv[1:])
