"""Make docs/images/light_side.png: a flat's cosmetics and the shutter's starfish.

Usage: python docs/figures/light_side.py OUT.png

Left: the sensitivity of a backside-thinned camera (thinning pattern, dead
and partial bad columns, low-sensitivity patches, dust, vignetting), seen in
the mean of five 5 s flats. Right: the ratio of a 1 s to a 30 s flat of one
lamp, times 30: each pixel's (1 s + offset) / 1 s, the iris's starfish.
"""

import sys

import numpy as np
from matplotlib.figure import Figure

from ccdsim import Camera, show_image
from ccdsim.io import atomic_path

CAMERA = dict(shape=(1000, 1000), gain=1.0, dark_current=0.0, bad_columns=0,
              hot_pixel_fraction=0.0, vignetting=0.1, dust_spots=8, prnu=0.01, dead_columns=2,
              partial_columns=3, low_patches=12, patch_size=25, patch_depth=0.3, thinning=0.04,
              shutter_delay=0.1, shutter_kind="iris", shutter_blades=6)


def light(cam, t, sky, seed):
    """Electrons of one flat (float ADU minus the true bias, x gain)."""
    frame = cam.prepare(t, sky=sky, quantize=False, filter="R", rng=seed).frame()
    return (frame.data - cam.bias_map) * cam.gain


def main(out):
    cam = Camera(**CAMERA)
    fig = Figure(figsize=(13, 6.2), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2)
    flat = np.mean([light(cam, 5.0, 20000.0, [1, i]) for i in range(5)], axis=0)
    show_image(flat / flat.mean(), ax=ax1, percl=0.5, percu=99.5,
               title="Combined 5 s flat: thinning, dead and partial columns, patches")
    ratio = light(cam, 1.0, 20000.0, 2) / light(cam, 30.0, 600000.0, 3) * 30
    show_image(ratio, ax=ax2, percl=1, percu=99,
               title="1 s flat / 30 s flat (x 30): the iris shutter's starfish")
    with atomic_path(out, overwrite=True) as tmp:
        fig.savefig(tmp, dpi=80, format="png")


if __name__ == "__main__":
    main(sys.argv[1])
