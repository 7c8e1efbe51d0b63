"""Seeded frames keep their pixels: hashes recorded before a refactor, checked after.

Users re-make frames from recorded seeds, so a change that alters the pixels
of an existing seed must be on purpose. ``tests/data/pixel_hashes.json`` holds
SHA-256 prefixes of every HDU's data (image, ``DQ``, ``TRUTH``, ``COSMICS``)
of a set of command lines (image with several options, chunked image, nights,
a batch). They were recorded with the numpy version named in the file;
numpy's Generators promise the same streams only within a version, so the
file says which one.
"""

import glob
import hashlib
import json
import os
import pathlib

import numpy as np
import pytest
from astropy.io import fits

from ccdsim.cli import main

DATA = pathlib.Path(__file__).parent / "data"
RECORD = json.loads((DATA / "pixel_hashes.json").read_text())

CASES = {
    "image-default-small": ["image", "{out}/a.fits", "--shape", "300", "400", "--seed", "1"],
    "image-gain-float": ["image", "{out}/a.fits", "--shape", "257", "130", "--seed", "5",
                         "--gain", "1.7", "--read-noise", "3", "--bias", "900",
                         "--dark-current", "0.5", "--float"],
    "image-nodefects": ["image", "{out}/a.fits", "--shape", "200", "200", "--seed", "9",
                        "--no-hot-pixels", "--no-bad-columns", "--camera-seed", "3",
                        "--stars", "120", "--max-counts", "40000", "--star-sigma", "2.5",
                        "--exposure", "30", "--sky", "300"],
    "image-chunks": ["image", "{out}/a.fits", "--shape", "600", "300", "--seed", "11",
                     "--chunks", "256"],
    "night-small": ["night", "{out}/n", "--shape", "256", "200", "--seed", "3", "--n-bias", "2",
                    "--n-dark", "2", "--n-flat", "2", "--n-science", "2", "--quiet"],
    "night-moffat": ["night", "{out}/n", "--shape", "200", "256", "--seed", "4", "--n-bias", "1",
                     "--n-dark", "1", "--n-flat", "1", "--n-science", "2", "--moffat", "5", "3",
                     "--max-counts", "80000", "--cosmic-ray-rate", "1", "--quiet"],
    # Recorded before the package was laid out in layers (every effect of both
    # real cameras, threads, a data set of several cameras with combined frames).
    "image-thermoelectric": ["image", "{out}/a.fits", "--camera", "thermoelectric", "--shape",
                             "256", "256", "--seed", "2", "--exposure", "300"],
    "image-cryogenic-threads": ["image", "{out}/a.fits", "--camera", "cryogenic", "--shape",
                                "300", "128", "--seed", "2", "--exposure", "300",
                                "--threads", "2"],
    "dataset-every-effect": ["dataset", str(DATA / "every_effect.toml"), "{out}/d", "--quiet"],
    "dataset-guide-16": ["dataset", "guide", "{out}/g", "--scale", "16", "--seed", "1",
                         "--quiet"],
    "batch-small": ["batch", "{out}/b", "--n", "3", "--shape", "160", "140", "--seed", "2",
                    "--gain", "0.8:2.5", "--sky", "10:500", "--stars", "0:30", "--quiet"],
    # Recorded when the read-out chain and the CMOS cameras were new (amplifiers,
    # crosstalk, CTI, brighter-fatter; column gains, pixel offsets, rows, RTS, 12 bits).
    "image-sixteen-amp": ["image", "{out}/a.fits", "--camera", "sixteen-amp", "--shape", "400",
                          "512", "--seed", "5", "--exposure", "30", "--sky", "200",
                          "--max-counts", "60000"],
    "image-quad-amp-amplifiers": ["image", "{out}/a.fits", "--camera", "quad-amp", "--shape",
                                  "256", "256", "--seed", "6", "--layout", "amplifiers",
                                  "--max-counts", "60000"],
    "image-cmos-12bit": ["image", "{out}/a.fits", "--camera", "cmos-12bit", "--shape", "300",
                         "400", "--seed", "7", "--exposure", "60", "--rts-fraction", "0.01"],
}


def _digest(path):
    out = {}
    with fits.open(path) as hdul:
        for hdu in hdul:
            if hdu.data is None:
                continue
            name = hdu.name or "PRIMARY"
            if hasattr(hdu, "columns"):
                h = hashlib.sha256()
                for col in hdu.columns.names:
                    h.update(col.encode())
                    h.update(hdu.data[col].tobytes())
                out[name] = h.hexdigest()[:16]
            else:
                out[name] = hashlib.sha256(hdu.data.tobytes()).hexdigest()[:16]
    return out


def test_record_covers_every_case():
    assert set(RECORD["cases"]) == set(CASES)


@pytest.mark.parametrize("case", sorted(CASES))
def test_pixels_unchanged(case, tmp_path, capsys):
    assert np.__version__ == RECORD["numpy"], (
        f"hashes were recorded with numpy {RECORD['numpy']}; this is {np.__version__}: "
        "re-record them on purpose and say so in the README")
    assert main([a.format(out=tmp_path) for a in CASES[case]]) == 0
    files = sorted(f for f in glob.glob(os.path.join(tmp_path, "**", "*"), recursive=True)
                   if f.endswith((".fits", ".fit", ".fits.bz2", ".fit.bz2", ".fits.gz")))
    got = {os.path.relpath(f, tmp_path): _digest(f) for f in files}
    assert got == RECORD["cases"][case]
