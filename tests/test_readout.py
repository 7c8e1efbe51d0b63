"""The read-out's steps, and the older callable interface that still reaches them."""

import numpy as np
import pytest

from ccdsim import DQ, Camera
from ccdsim.physics.fullwell import bleed_columns
from ccdsim.readout import BLOCK_ROWS, expected_electrons, pixel_blocks, poisson_draw
from ccdsim.readout.legacy import expose_pixels


def test_expected_electrons_is_a_number_where_uniform_and_none_without_charge():
    cam = Camera(shape=(300, 200), hot_pixel_fraction=0)
    ex = cam.prepare(10, sky=3, rng=1)
    assert expected_electrons(ex.sources, 0, 128) == pytest.approx(10 * cam.dark_current + 3)
    assert cam.prepare(0, rng=1).expected(0, 128) is None  # a bias frame: nothing drawn
    stars = cam.prepare(10, sky=3, stars=2, rng=1)  # gain 1: ADU are electrons
    blocks = pixel_blocks(stars.seed_seq, cam.shape)
    lam = [stars.expected(b.r0, b.r1) for b in blocks]
    assert any(np.ndim(x) == 2 for x in lam)  # the blocks the stars reach
    total = sum(np.broadcast_to(x, b.shape).sum() for x, b in zip(lam, blocks))
    assert total == pytest.approx((10 * cam.dark_current + 3) * 300 * 200
                                  + stars.truth["flux"].sum(), rel=1e-6)


def test_blocks_are_whole_and_draw_from_their_own_stream():
    seed = np.random.SeedSequence(5)
    blocks = pixel_blocks(seed, (300, 10), (128, 300))
    assert [(b.r0, b.r1, b.rows) for b in blocks] == [(128, 256, slice(0, 128)),
                                                      (256, 300, slice(128, 172))]
    again = pixel_blocks(seed, (300, 10))[1]
    assert poisson_draw(5.0, blocks[0].shape, blocks[0].rng).tolist() == \
        poisson_draw(5.0, again.shape, again.rng).tolist()
    with pytest.raises(ValueError, match="whole blocks"):
        pixel_blocks(seed, (300, 10), (1, BLOCK_ROWS))


@pytest.mark.parametrize("full_well", [None, 3e4])
def test_expose_pixels_makes_the_cameras_pixels(full_well):
    cam = Camera(shape=(300, 200), overscan=8, full_well=full_well)
    ex = cam.prepare(100, sky=20, stars=5, max_counts=4e4, rng=3)
    ref = ex.frame()
    dq = cam.dq_rows(0, 300)

    def stage(electrons):
        dq[:, :200][bleed_columns(electrons, full_well)] |= DQ.FULL_WELL

    data = expose_pixels(cam.shape, ex.expected, read_noise_e=cam.read_noise, gain=cam.gain,
                         bias_rows=cam.bias_rows, seed_seq=ex.seed_seq, overscan=8,
                         electrons_stage=stage if full_well else None, dq=dq,
                         saturated=DQ.ADC_SATURATED)
    np.testing.assert_array_equal(data, ref.data)
    np.testing.assert_array_equal(dq, ref.dq)


@pytest.mark.parametrize("read_noise, quantize", [(5.0, True), (0.0, True), (5.0, False)])
def test_moved_charge_read_out_in_one_pass_equals_the_whole_image(read_noise, quantize):
    """Only the columns cosmic rays and bleeding change are read out again: same pixels."""
    from astropy.table import Table

    cam = Camera(shape=(400, 120), full_well=2e4, cosmic_ray_rate=3.0, overscan=6,
                 overscan_leak=0.05, overscan_dark=0.5, nonlinearity=-0.02, read_noise=read_noise,
                 vignetting=0.1)
    # Bright stars across block edges and on the last column (its leak into the overscan),
    # one with pixels over 65535 e-.
    stars = Table({"x_0": [119.0, 60.0, 10.0], "y_0": [127.5, 256.0, 390.0],
                   "flux": [3e6, 2e7, 1e6]})
    ex = cam.prepare(100, sky=20, stars=stars, quantize=quantize, rng=6)
    assert len(ex.cosmics) and ex.two_stage
    f = ex.frame(threads=2)
    plain = ex.frame(plain=True)  # a float64 image of the data section through step 3
    data, dq = plain.data, plain.dq
    assert (dq & DQ.FULL_WELL).any() and (dq & DQ.COSMIC_RAY).any()
    np.testing.assert_array_equal(f.data, data)
    np.testing.assert_array_equal(f.dq, dq)
