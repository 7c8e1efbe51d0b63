"""Hardening: property-based checks over the parameter space, memory, Ctrl-C."""

import contextlib
import io
import os
import signal
import subprocess
import sys
import time

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ccdsim import Camera
from ccdsim.cli import main

Z = 5.0

cameras = st.builds(
    Camera,
    shape=st.tuples(st.integers(1, 40), st.integers(1, 40)),
    gain=st.floats(0.05, 20),
    read_noise=st.floats(0, 100),
    bias_level=st.floats(0, 65535),
    dark_current=st.floats(0, 1000),
    bad_columns=st.integers(0, 1),
    hot_pixel_fraction=st.sampled_from([0.0, 1e-3]),
    camera_seed=st.integers(0, 2**32),
)


@settings(max_examples=60, deadline=None)
@given(cam=cameras, t=st.floats(0, 1e4), sky=st.floats(0, 1e6), stars=st.integers(0, 5),
       quantize=st.booleans(), seed=st.integers(0, 2**32))
def test_any_valid_parameters_give_a_valid_frame(cam, t, sky, stars, quantize, seed):
    frame = cam.expose(t, sky=sky, stars=stars, quantize=quantize, rng=seed)
    data = frame.data
    assert data.shape == cam.shape
    if quantize:
        assert data.dtype == np.uint16  # so inside 0..65535 by construction
    else:
        assert data.dtype == np.float32 and np.all(np.isfinite(data))


@settings(max_examples=40, deadline=None)
@given(gain=st.floats(0.2, 10), read=st.floats(0, 30), dark=st.floats(0, 5),
       t=st.floats(0, 300), sky=st.floats(0, 2000), bias=st.floats(200, 3000),
       seed=st.integers(0, 2**32))
def test_background_statistics_as_predicted(gain, read, dark, t, sky, bias, seed):
    """Mean bias + (dark t + sky_e)/gain; variance (read^2 + dark t + sky_e)/gain^2 + 1/12.

    64x64 = 4096 pixels: the mean scatters by sigma/64; the sample variance by
    sqrt((2 var^2 + k4) / N), with k4 the fourth cumulant of a pixel: Poisson
    electrons add lam/gain^4 (lam = dark t + sky_e), Gaussian read noise
    nothing, the ADC's uniform rounding -1/120. 5 such errors: 40 examples
    fail by chance about once in 10^4 runs. The 1/12 holds when >= 1 ADU of
    read noise dithers the rounding (checked below).
    """
    cam = Camera(shape=(64, 64), gain=gain, read_noise=read, bias_level=bias, dark_current=dark,
                 bad_columns=0, hot_pixel_fraction=0)
    sky_e = sky * gain
    mean = bias + (dark * t + sky_e) / gain
    var = (read**2 + dark * t + sky_e) / gain**2 + 1 / 12
    sd = np.sqrt(var)
    if mean - 7 * sd < 0 or mean + 7 * sd > 65535:
        return  # the ADC clips: covered by the test above
    pix = cam.expose(t, sky=sky, rng=seed).data.astype(float)
    n = pix.size
    if read / gain < 1:
        # Without >= 1 ADU of Gaussian noise to dither it, the ADC's rounding is
        # not uniform noise: only the mean is predicted, to within half an ADU.
        assert abs(pix.mean() - mean) < Z * sd / np.sqrt(n) + 0.5
        return
    assert abs(pix.mean() - mean) < Z * sd / np.sqrt(n)
    k4 = (dark * t + sky_e) / gain**4 - 1 / 120
    assert abs(pix.var() - var) < Z * np.sqrt((2 * var**2 + k4) / n)


numbers = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10, 10**7))
OPTIONS = ["--gain", "--read-noise", "--bias", "--dark-current", "--exposure", "--sky",
           "--max-counts", "--star-sigma"]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(option=st.sampled_from(OPTIONS), value=numbers)
def test_cli_never_tracebacks(tmp_path_factory, option, value):
    folder = tmp_path_factory.mktemp("cli")
    out = folder / "a.fits"
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(["image", str(out), "--shape", "16", "16", "--stars", "2", option,
                     str(value)])
    if code == 0:
        assert out.exists()
        assert list(folder.iterdir()) == [out]
    else:
        assert code == 2
        assert len(err.getvalue().strip().splitlines()) == 1
        assert list(folder.iterdir()) == []


def test_frame_too_big_for_memory_is_refused(tmp_path, capsys):
    assert main(["image", str(tmp_path / "big.fits"), "--shape", "400000", "400000"]) == 2
    err = capsys.readouterr().err.strip()
    assert "shape 400000x400000 needs about" in err and "GiB available" in err
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_stops_with_one_line_and_no_files(tmp_path):
    """SIGINT during a long frame (~10 s here): exit 130, one line, nothing left behind."""
    proc = subprocess.Popen([sys.executable, "-m", "ccdsim", "image", str(tmp_path / "big.fits"),
                             "--shape", "12000", "12000", "--png", str(tmp_path / "big.png")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(2.0)
    t0 = time.monotonic()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    stopped_after = time.monotonic() - t0
    assert proc.returncode == 130, err
    assert err.strip().splitlines() == ["ccdsim: stopped by SIGINT; no partial files left"]
    assert "Traceback" not in err and out == ""
    assert os.listdir(tmp_path) == []
    assert stopped_after < 30  # prompt: it does not finish the frame first


def _interrupt(args, tmp_path, after=2.5):
    proc = subprocess.Popen([sys.executable, "-m", "ccdsim", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    time.sleep(after)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    return proc.returncode, out, err


def test_ctrl_c_during_a_night_leaves_only_complete_files(tmp_path):
    """SIGINT part-way through a night: exit 130, one line, every file left is whole."""
    from astropy.io import fits

    outdir = tmp_path / "night"
    code, out, err = _interrupt(["night", str(outdir), "--n-bias", "40", "--seed", "1",
                                 "--quiet"], tmp_path)
    assert code == 130, err
    assert err.strip().splitlines() == ["ccdsim: stopped by SIGINT; no partial files left"]
    left = [p for p in outdir.rglob("*") if p.is_file()]
    assert not [p for p in left if p.name.startswith(".")]  # no temporaries
    assert len(left) < 43  # it stopped before the end
    import warnings

    for p in left:
        if p.suffix == ".json":  # truth/manifest.json: whole JSON
            import json

            assert json.loads(p.read_text())["truth"]
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a failed checksum is only a warning otherwise
            with fits.open(p, checksum=True) as hdul:
                hdul.verify("exception")
                assert hdul[0].data is not None
