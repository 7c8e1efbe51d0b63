"""``ccdsim camera fit`` on frames read through several amplifiers: each one's gain, read noise
and bias level against its truth.

A small night of the ``quad-amp`` camera (`--scale` 32: 64 x 64 pixels an
amplifier) with every amplifier's gain, read noise and bias level changed
from the camera's own, written as one image with each amplifier's sections
(``--layout assembled``). Each fitted value must lie within 4 of its stated
standard errors of the amplifier's truth in the manifest (a correct fit
fails one of the 12 comparisons with a chance of 8e-4); the gains differ by
5%, over 5 of their standard errors (2%), so the fit tells them apart. The
camera file carries them as ``amplifier_gain``, ``amplifier_read_noise`` and
``amplifier_bias_level`` with the amplifiers' geometry, and lists what is
not fitted. Frames written one HDU per amplifier (their first HDU holds no
image) are refused in one line.
"""

import json

import numpy as np
import pytest

from ccdsim import Camera, fit_camera
from ccdsim.cli import main

GAINS = (2.3, 2.2, 2.1, 2.4)
NOISE = (4.0, 4.5, 5.0, 3.5)
LEVELS = (1500.0, 1450.0, 1550.0, 1520.0)
NIGHT = ["--camera", "quad-amp", "--scale", "32", "--n-bias", "10", "--n-dark", "0",
         "--n-flat", "2", "--ptc-pairs", "6", "--n-science", "0", "--filters", "R",
         "--amplifier-gain", ",".join(map(str, GAINS)),
         "--amplifier-read-noise", ",".join(map(str, NOISE)),
         "--amplifier-bias-level", ",".join(map(str, LEVELS)), "--seed", "4", "--quiet"]


@pytest.fixture(scope="module")
def night(tmp_path_factory):
    out = tmp_path_factory.mktemp("amps") / "night"
    assert main(["night", str(out), *NIGHT, "--layout", "assembled"]) == 0
    return out


def test_each_amplifiers_values_within_4_standard_errors_of_its_truth(night):
    amps = json.loads((night / "truth" / "manifest.json").read_text())["cameras"]["night"][
        "amplifiers"]
    assert [a["gain"] for a in amps] == list(GAINS)  # the truth is what was asked for
    m = fit_camera(night).measured
    pulls = {f"{key}_{a['name']}": (m[f"{key}_{a['name']}"].value - a[key])
             / m[f"{key}_{a['name']}"].se
             for a in amps for key in ("gain", "read_noise", "bias_level")}
    print({k: round(z, 1) for k, z in pulls.items()})
    assert len(pulls) == 12 and all(abs(z) < 4 for z in pulls.values()), pulls
    assert max(m[f"gain_{a['name']}"].se / a["gain"] for a in amps) < 0.03


def test_the_camera_file_carries_each_amplifiers_values(night, tmp_path, capsys):
    out = tmp_path / "quad.toml"
    assert main(["camera", "fit", str(night), "-o", str(out)]) == 0
    assert "cannot fit with 4 amplifiers" in capsys.readouterr().out
    fitted = fit_camera(night).measured
    cam = Camera.from_file(out)
    assert cam.amplifiers == 4 and tuple(cam.shape) == (128, 128)
    for key in ("gain", "read_noise", "bias_level"):
        assert np.allclose(getattr(cam, f"amplifier_{key}"),
                           [fitted[f"{key}_{n}"].value for n in "ABCD"])


def test_one_hdu_per_amplifier_is_refused_in_one_line(tmp_path, capsys):
    out = tmp_path / "mef"
    assert main(["night", str(out), *NIGHT, "--layout", "amplifiers"]) == 0
    capsys.readouterr()
    assert main(["camera", "fit", str(out), "-o", str(tmp_path / "c.toml")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a 2-D image in its first HDU" in err, err
    assert not (tmp_path / "c.toml").exists()
