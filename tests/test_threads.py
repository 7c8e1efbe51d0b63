"""Threads sharing one camera make exactly the frames one thread makes.

A camera computes its maps (bad columns, hot pixels, flat field) the first
time a frame asks for them, and every frame and thread then shares them. So
the threads below start together on a fresh camera, to race for those first
computations, and each checks its frames against a single thread's.
"""

import io
import threading

import numpy as np
import pytest
from astropy.io import fits

from ccdsim import Camera

THREADS = 8
SEEDS_PER_THREAD = 2

CAMERAS = {
    "hot-pixels": dict(shape=(300, 200), hot_pixel_fraction=1e-3),
    "flat-field": dict(shape=(300, 200), hot_pixel_fraction=1e-3, vignetting=0.2,
                       dust_spots=4, prnu=0.02, overscan=8),
    "two-stage": dict(shape=(300, 200), hot_pixel_fraction=1e-3, prnu=0.02, dust_spots=2,
                      full_well=3e4, cosmic_ray_rate=2.0, overscan=8),
    # Read amplifier by amplifier, with the camera's scratch arrays lent to each frame.
    "read-out-chain": dict(shape=(120, 96), amplifiers=4, prescan=2, overscan=8, overscan_rows=4,
                           crosstalk=tuple(0.0 if v == s else 1e-3 / (1 + abs(v - s))
                                           for v in range(4) for s in range(4)),
                           brighter_fatter=2e-6,
                           cti_parallel_density=(0.2,), cti_parallel_release=(4.0,),
                           cti_serial_density=(0.1,), cti_serial_release=(2.0,)),
}
EXPOSURE = dict(sky=20, stars=6, max_counts=4e4, threads=2)


def _frames(cam, seeds):
    return {s: cam.expose(100, rng=s, **EXPOSURE) for s in seeds}


def _in_threads(work, n=THREADS):
    """Run ``work(i)`` in ``n`` threads released together; their results, or raise their error."""
    start = threading.Barrier(n)
    results, errors = [None] * n, []

    def run(i):
        try:
            start.wait()
            results[i] = work(i)
        except BaseException as e:  # re-raised in the test's thread
            errors.append(e)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return results


@pytest.mark.parametrize("name", sorted(CAMERAS))
def test_threads_sharing_a_camera_make_one_threads_frames(name):
    seeds = range(THREADS * SEEDS_PER_THREAD)
    ref = _frames(Camera(**CAMERAS[name]), seeds)
    for _ in range(2):  # a fresh camera each round: its maps are made during the race
        shared = Camera(**CAMERAS[name])
        got = _in_threads(lambda i: _frames(shared, seeds[i::THREADS]))
        for frames in got:
            for s, f in frames.items():
                np.testing.assert_array_equal(f.data, ref[s].data)
                np.testing.assert_array_equal(f.dq, ref[s].dq)
                for got_hdu, want in zip(f.to_hdulist()[1:], ref[s].to_hdulist()[1:]):
                    np.testing.assert_array_equal(got_hdu.data, want.data)  # CTI's moved charge
                assert f.header["FRMSEED"] == ref[s].header["FRMSEED"]


def test_each_map_is_made_once_when_threads_race():
    cam = Camera(shape=(512, 512), hot_pixel_fraction=1e-3, prnu=0.02, dust_spots=5)
    got = _in_threads(lambda i: (cam.flat_map, cam.hot_pixel_indices, cam.bad_column_indices))
    for maps in got:
        assert all(a is b for a, b in zip(maps, got[0]))  # one array each, not one per thread
    np.testing.assert_array_equal(got[0][0], Camera(**cam.parameters()).flat_map)


def test_maps_stay_the_same_while_written_to_fits():
    """astropy byteswaps a writable array in place to write it; the camera's maps are read-only."""
    params = CAMERAS["flat-field"]
    seeds = range(THREADS)
    ref = _frames(Camera(**params), seeds)
    cam = Camera(**params)
    with pytest.raises(ValueError):
        cam.flat_map[0, 0] = 2
    done = threading.Event()

    def write_truth():
        while not done.is_set():
            fits.PrimaryHDU(cam.flat_map).writeto(io.BytesIO(), checksum=True)

    writer = threading.Thread(target=write_truth)
    writer.start()
    try:
        got = _in_threads(lambda i: _frames(cam, [seeds[i]]))
    finally:
        done.set()
        writer.join()
    for frames in got:
        for s, f in frames.items():
            np.testing.assert_array_equal(f.data, ref[s].data)
