"""Make docs/images/guide_dataset.png: the guide's two data sets as ccdsim writes them.

For each camera (cryogenic, thermo-electric) one row of four raw frames: a
bias, a dark, a flat and a science frame, as they are in the files (the
overscan included), from ``ccdsim dataset guide`` written at a reduced size
to a temporary folder.

Usage: python docs/dataset_figure.py [OUT.png] [--scale N]   (default: 4, about 20 s)
"""

import argparse
import io
import tempfile
import warnings
from pathlib import Path

import numpy as np
from astropy.io import fits
from astropy.visualization import (AsinhStretch, ImageNormalize, LinearStretch,
                                   PercentileInterval, ZScaleInterval)
from matplotlib.figure import Figure
from PIL import Image

from ccdsim.io import atomic_path
from ccdsim.run.output import write_night
from ccdsim.plans.file import load_plan

OUT = Path(__file__).resolve().parent / "images" / "guide_dataset.png"

# (camera, [(file, title, interval, stretch)]): zscale for frames of noise
# around a level, a percentile range for the flats, asinh for the stars.
ROWS = [
    ("Cryogenic camera (example-cryo-LFC)", [
        ("example-cryo-LFC/ccd.001.0.fits", "bias", ZScaleInterval(), LinearStretch()),
        ("example-cryo-LFC/darks/ccd.013.0.fits", "dark, 300 s", ZScaleInterval(),
         LinearStretch()),
        ("example-cryo-LFC/ccd.014.0.fits", "flat g', 70 s", PercentileInterval(99),
         LinearStretch()),
        ("example-cryo-LFC/ccd.037.0.fits", "science g', 300 s", PercentileInterval(99.5),
         AsinhStretch(0.05)),
    ]),
    ("Thermo-electric camera (example-thermo-electric)", [
        ("example-thermo-electric/Bias-S001-R001-C001-NoFilt.fit", "bias", ZScaleInterval(),
         LinearStretch()),
        ("example-thermo-electric/Dark-S001-R001-C001-NoFilt.fit", "dark, 90 s",
         ZScaleInterval(), LinearStretch()),
        ("example-thermo-electric/AutoFlat-PANoRot-r-Bin1-001.fit", "twilight flat r, 1 s",
         PercentileInterval(99), LinearStretch()),
        ("example-thermo-electric/kelt-16-b-S001-R001-C084-r.fit", "science r, 90 s",
         PercentileInterval(99.5), AsinhStretch(0.05)),
    ]),
]


def make_figure(root):
    fig = Figure(figsize=(13, 7.2), layout="constrained")
    subfigs = fig.subfigures(2, 1)
    for subfig, (camera, panels) in zip(subfigs, ROWS):
        subfig.suptitle(camera, fontsize="large")
        axes = subfig.subplots(1, 4)
        for ax, (name, title, interval, stretch) in zip(axes, panels):
            data = fits.getdata(root / name).astype(float)
            norm = ImageNormalize(data, interval=interval, stretch=stretch)
            ax.imshow(data, origin="lower", cmap="gray", norm=norm, interpolation="nearest")
            ax.set_title(f"{title}\n{Path(name).name}", fontsize="medium")
            ax.set_xticks([])
            ax.set_yticks([])
    return fig


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", default=str(OUT))
    parser.add_argument("--scale", type=int, default=4)
    args = parser.parse_args()
    warnings.filterwarnings("ignore", message="IProgress not found")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_night(load_plan("guide", scale=args.scale), root, progress=False)
        fig = make_figure(root)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=72)
    # A 256-colour palette keeps the picture small; the frames are grey anyway.
    with atomic_path(args.out, overwrite=True) as tmp:
        Image.open(buf).convert("RGB").quantize(256).save(tmp, format="png", optimize=True)
    print(args.out, f"{Path(args.out).stat().st_size / 1024:.0f} KB")


if __name__ == "__main__":
    main()
