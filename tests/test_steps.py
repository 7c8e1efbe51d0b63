"""The physics order as data: the README's table is `STEPS`, and the fast read-out is the plain one.

`ccdsim.readout.plain` runs the functions of `ccdsim.physics.STEPS` one after
the other on whole arrays; the fast read-out (blocks on threads, steps 3b to
7 in one compiled pass, cosmic rays and bleeding without a second pass, bands
of rows) must give the same pixels and DQ bits bit for bit. The frames below
switch on every effect ccdsim has, on each named camera read through one amplifier.
"""

import pathlib
import re

import numpy as np
import pytest
from astropy.table import Table

from ccdsim import Camera
from ccdsim.camera.named import CAMERAS, camera_parameters
from ccdsim.core.quality import DQ
from ccdsim.physics import STEPS
from ccdsim.physics.steps import Sources, expected_electrons, steps_markdown
from ccdsim.readout.transfer import segmented

#: The named cameras read through one amplifier: the fast read-out's. Those read
#: amplifier by amplifier have one read-out, `ccdsim.readout.segments` (tests/test_amplifiers.py).
ONE_AMPLIFIER = sorted(n for n in CAMERAS if not segmented(Camera(**camera_parameters(n))))

#: What every camera gets on top of its own personality, so no effect is left off.
EVERY_EFFECT = dict(
    shape=(300, 136), overscan=12, overscan_rows=6, full_well=2e5, cosmic_ray_rate=3.0,
    vignetting=0.05, dust_spots=4, prnu=0.01, dead_columns=1, partial_columns=1, low_patches=1,
    patch_size=30.0, thinning=0.02, filter_flat=0.02, hot_pixel_fraction=1e-3, bad_columns=2,
    glow_rate=2.0, glow_length=20.0, glow_sources="left,lower-right", glow_readout_time=5.0,
    hot_above_1=1e-3, hot_above_4=2.6e-4, hot_fixed_time=5.0, hot_unstable_fraction=0.1,
    bias_drift=0.5, bias_jitter=1.0, bias_gradient=3.0, bias_row_rms=0.5, bias_column_rms=1.0,
    overscan_offset=5.0, overscan_leak=0.05, overscan_leak_length=2.0, overscan_dark=0.02,
    shutter_delay=0.05, nonlinearity=-0.02, persistence=0.01, pixel_size=15.0)


def _exposure(name, quantize=True, **changes):
    cam = Camera(**{**camera_parameters(name), **EVERY_EFFECT, **changes})
    ny, nx = cam.shape
    rng = np.random.default_rng(7)
    # Bright stars across block edges and on the last column; a sky that varies; the
    # after-image of an earlier frame (persistence), as a plan hands it over.
    stars = Table({"x_0": [nx - 1.0, 60.0, 10.0, 90.0], "y_0": [127.5, 200.0, 290.0, 40.0],
                   "flux": [4e6, 6e7, 1e6, 5e4]})
    sky = 40.0 + 10.0 * np.linspace(0, 1, nx)[None, :] * np.ones((ny, 1))
    charge = rng.uniform(0, 3, (ny, nx))
    return cam.prepare(30.0, sky=sky, stars=stars, charge=charge, filter="V", clock=3600.0,
                       quantize=quantize, rng=11)


def test_readme_model_table_is_steps():
    readme = (pathlib.Path(__file__).parents[1] / "README.md").read_text()
    shown = re.search(r"<!-- steps: begin -->\n(.*?)<!-- steps: end -->", readme, re.S).group(1)
    assert shown == steps_markdown()


def test_steps_are_in_the_physics_order_and_name_real_things():
    stages = [s.stage for s in STEPS]
    order = ["light", "scales light", "charge", "draw", "moves", "binning", "transfer",
             "response", "chain", "output", "digital"]
    assert stages == sorted(stages, key=order.index)
    assert [s.number for s in STEPS if s.stage == "output"] == ["4", "5", "6", "6b", "7"]
    for s in STEPS:
        assert s.dq is None or isinstance(getattr(DQ, s.dq), int)
        assert s.function.__module__.startswith("ccdsim.physics."), s.name


@pytest.mark.parametrize("name", ONE_AMPLIFIER)
@pytest.mark.parametrize("quantize", [True, False], ids=["adc", "float"])
def test_fast_read_out_is_the_plain_one(name, quantize):
    # A gain of 0.225 e-/ADU (cmos-12bit) keeps the stars' peaks under 2e5 e-: a lower well.
    ex = _exposure(name, quantize, **({"full_well": 5e4} if name == "cmos-12bit" else {}))
    assert ex.two_stage and len(ex.cosmics)
    plain = ex.frame(plain=True)
    for threads in (1, 2):
        fast = ex.frame(threads=threads)
        np.testing.assert_array_equal(fast.data, plain.data)
        np.testing.assert_array_equal(fast.dq, plain.dq)
    # Every effect left its mark: cosmic rays, bleeding, hot pixels, saturation.
    for bit in ("COSMIC_RAY", "FULL_WELL", "HOT_PIXEL"):
        assert (plain.dq & getattr(DQ, bit)).any(), bit
    if quantize:
        assert (plain.dq & DQ.ADC_SATURATED).any()


@pytest.mark.parametrize("name", ONE_AMPLIFIER)
def test_bands_of_rows_are_the_plain_frame(name):
    """Without charge that moves, any band of whole blocks equals those rows of the plain frame."""
    ex = _exposure(name, full_well=None, cosmic_ray_rate=0.0)
    assert not ex.two_stage
    plain = ex.frame(plain=True)
    for r0, r1 in ((0, 128), (128, 300)):
        data, dq = ex.rows(r0, r1, threads=2)
        np.testing.assert_array_equal(data, plain.data[r0:r1])
        np.testing.assert_array_equal(dq, plain.dq[r0:r1])


def test_step_one_is_its_terms_in_order():
    """`expected_electrons` is the step-1 rows of the table run in order (uniform: one number)."""
    ex = _exposure("thermoelectric")
    s = ex.sources
    by_hand = 0.0
    for step in STEPS:
        if step.stage in ("light", "scales light", "charge"):
            by_hand = step.function(by_hand, s, 0, ex.camera.shape[0])
    np.testing.assert_array_equal(expected_electrons(s, 0, ex.camera.shape[0]), by_hand)
    flat = Sources(nx=10, gain=2.0, sky=5.0, stars=None, star_image=None, flat=None, dark=3.0,
                   hot=np.array([], dtype=int), hot_factor=1.0)
    assert expected_electrons(flat, 0, 4) == 13.0
    assert expected_electrons(flat._replace(sky=0.0, dark=0.0), 0, 4) is None
