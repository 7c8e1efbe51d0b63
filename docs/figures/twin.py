"""Make docs/images/twin.png: the camera fit's report for a hidden camera, as the README shows it.

Usage: python docs/figures/twin.py [OUT.png]   (default: docs/images/twin.png)

A night of the ``thermoelectric`` camera at 256 x 256 pixels with its gain,
read noise, bias, dark current and hot pixels changed (hidden from the fit),
a photon-transfer series and darks at two exposure times; ``ccdsim camera
fit`` measures it and writes a camera file; twins of every frame are made
from that file and fitted the same way (`ccdsim.twin.report.fit_twins`).
The panels are the report's (`ccdsim.twin.report.report_figure`): photon
transfer, dark rates, the master biases' row and column spectra and the
master flats' residuals over their errors, input against twins.
"""

import sys
import tempfile
from pathlib import Path

from ccdsim.cli import main as ccdsim
from ccdsim.io import atomic_path
from ccdsim.twin import fit_camera
from ccdsim.twin.report import fit_twins, report_figure

HIDDEN = ["--camera", "thermoelectric", "--shape", "256", "256", "--gain", "2.2",
          "--read-noise", "7", "--bias", "1500", "--dark-current", "0.2",
          "--hot-above-1", "0.003", "--hot-above-4", "0.0008", "--n-bias", "10",
          "--n-dark", "6", "--n-flat", "6", "--n-science", "0", "--ptc-pairs", "6",
          "--dark-exposures", "60,300", "--seed", "3", "--quiet"]


def main(out):
    with tempfile.TemporaryDirectory() as tmp:
        assert ccdsim(["night", f"{tmp}/hidden", *HIDDEN]) == 0
        fit = fit_camera(f"{tmp}/hidden")
        camera_file = f"{tmp}/mycam.toml"
        fit.write(camera_file)
        fig = report_figure(fit, fit_twins(fit, camera_file, seed=1))
    with atomic_path(out, overwrite=True) as path:
        fig.savefig(path, dpi=80, format="png")
    print(f"wrote {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/images/twin.png"))
