"""Named cameras: the guide's defects and what a night's camera adds.

A light module (no third-party imports), so the command line can show these
defaults without loading numpy.
"""

from ..core.params import CAMERA_PARAMS, PARAMS
from ..core.validate import ParameterError

__all__ = ["GUIDE_BAD_COLUMNS", "GUIDE_HOT_PIXEL_FRACTION", "NIGHT_CAMERA", "THERMOELECTRIC",
           "CRYOGENIC", "QUAD_AMP", "SIXTEEN_AMP", "CMOS_FULL_FRAME", "CMOS_12BIT", "GAIN_MODES",
           "CAMERAS", "camera_parameters"]

#: The guide's bias has 5 bad columns.
GUIDE_BAD_COLUMNS = PARAMS["bad_columns"].default
#: The guide makes 0.01% of the pixels hot.
GUIDE_HOT_PIXEL_FRACTION = PARAMS["hot_pixel_fraction"].default

#: What a night's camera has on top of the guide's camera (the ``image``
#: command leaves these off to keep the guide's picture): Camera keywords.
NIGHT_CAMERA = dict(vignetting=0.1, dust_spots=10, prnu=0.01, full_well=60000.0, overscan=50,
                    cosmic_ray_rate=0.03)

#: A thermo-electrically cooled 4096 x 4096 camera, with the numbers the Astropy
#: CCD guide reports of its example (gain, read noise, dark current, bias level,
#: 13 overscan columns, edge glow, the hot-pixel population, linearity to about
#: 55,000 counts); where the guide gives no number, a plausible one (marked).
THERMOELECTRIC = dict(
    shape=(4096, 4096), gain=1.5, read_noise=10.0, bias_level=1000.0, dark_current=0.01,
    bad_columns=0, hot_pixel_fraction=0.0, pixel_size=9.0, full_well=100000.0,
    cosmic_ray_rate=0.03,
    # glow along both edges, there at 0 s too (read-out time); strength assumed
    glow_rate=0.5, glow_length=15.0, glow_sources="left,right", glow_readout_time=10.0,
    # 0.1% of pixels above 1 e-/s, 0.026% above 4 e-/s; fixed part and unstable share assumed
    hot_above_1=1e-3, hot_above_4=2.6e-4, hot_fixed_time=10.0, hot_unstable_fraction=0.01,
    # "a count or two" from night to night; overscan above the image bias; overscan dark
    # ~10 counts per 1000 s (x 1.5 e-/ADU); the leak assumed
    bias_drift=0.5, bias_jitter=1.0, overscan=13, overscan_offset=5.0, overscan_dark=0.015,
    overscan_leak=0.02, overscan_leak_length=2.0,
    nonlinearity=-0.01, nonlinearity_level=55000.0,
    # dust donuts and vignetting, one dark column, a low-sensitivity patch
    vignetting=0.05, dust_spots=10, prnu=0.01, dead_columns=1, low_patches=1, patch_size=60.0,
    patch_depth=0.1)

#: A liquid-nitrogen-cooled observatory CCD read out as 4128 rows x 2080 columns:
#: 4096 x 2048 light-sensitive pixels, 32 overscan columns and 32 overscan rows, as
#: the guide's example; gain and the defects' strengths assumed (marked).
CRYOGENIC = dict(
    shape=(4096, 2048), gain=2.0, read_noise=11.0, bias_level=1050.0, dark_current=0.0,
    bad_columns=0, hot_pixel_fraction=0.0, pixel_size=15.0, full_well=150000.0,
    cosmic_ray_rate=0.03, overscan=32, overscan_rows=32,
    # glow in the lower-left corner and along the left edge: thousands of counts
    # in 300 s there
    glow_rate=20.0, glow_length=60.0, glow_sources="lower-left,left", glow_readout_time=20.0,
    # a bias that drifts, with 2-D structure overscan subtraction cannot remove;
    # light leaking into the first overscan columns (useful from ~7 columns in)
    bias_drift=1.0, bias_jitter=1.0, bias_gradient=4.0, bias_row_rms=0.5,
    bias_column_rms=1.0, overscan_leak=0.05, overscan_leak_length=2.0,
    # a partial bad column, a low-sensitivity patch, a thinning pattern, flats
    # that differ from filter to filter
    vignetting=0.05, prnu=0.01, partial_columns=1, low_patches=1, patch_size=80.0,
    patch_depth=0.15, thinning=0.02, filter_flat=0.02)

#: A 4-amplifier 4k observatory CCD of the e2v CCD231-84 class: 4096 x 4112 pixels
#: of 15 um, read through 4 outputs, one in each corner (2 x 2 amplifiers of
#: 2048 x 2056), as the data sheet gives them; the camera's numbers (gains,
#: bias levels, pre- and overscans, crosstalk, traps) assumed, each amplifier a
#: little different as real ones are.
QUAD_AMP = dict(
    shape=(4112, 4096), pixel_size=15.0, amplifiers=4, full_well=350000.0,
    # data sheet class: ~3 e- read noise at slow read-out, ~0.001 e-/s at -100 C
    read_noise=3.0, dark_current=0.001, bad_columns=0, hot_pixel_fraction=0.0,
    cosmic_ray_rate=0.03,
    # assumed: gains and bias levels per output, pre- and overscans
    gain=2.0, amplifier_gain=(1.95, 2.05, 2.0, 1.9), amplifier_read_noise=(2.9, 3.1, 3.0, 3.3),
    bias_level=1000.0, amplifier_bias_level=(1000.0, 1020.0, 980.0, 1010.0),
    prescan=50, overscan=50, overscan_rows=50,
    # assumed: crosstalk of a few 1e-4, one slow trap species each way; brighter-fatter
    # as Astier et al. (2019) measured on an e2v sensor (a00 = -2.4e-6 / e-)
    crosstalk=(3e-4,), cti_parallel_density=(0.05,), cti_parallel_release=(5.0,),
    cti_serial_density=(0.02,), cti_serial_release=(2.0,), brighter_fatter=2.4e-6,
    vignetting=0.05, prnu=0.01)

# Crosstalk of the 16-amplifier sensor, assumed: 2e-4 from the amplifier beside the
# victim in its row, 5e-5 from the next but one, 1e-5 from every other (the
# magnitudes reported for Rubin's sensors).
def _crosstalk_2x8():
    rows = []
    for v in range(16):
        for s in range(16):
            apart = abs(v % 8 - s % 8) if v // 8 == s // 8 else 9
            rows.append(0.0 if v == s else 2e-4 if apart == 1 else 5e-5 if apart == 2 else 1e-5)
    return tuple(rows)


#: A 16-amplifier sensor laid out as Rubin's ITL sensors: 4000 x 4072 pixels of
#: 10 um read by 2 x 8 amplifiers of 2000 rows x 509 columns, each with 3 prescan
#: columns, 64 serial overscan columns and 48 parallel overscan rows (as the
#: raws are); gains, read noise and bias levels per amplifier, crosstalk, three
#: trap species each way and brighter-fatter assumed at the magnitudes published
#: for those sensors.
SIXTEEN_AMP = dict(
    shape=(4000, 4072), pixel_size=10.0, amplifiers=16, prescan=3, overscan=64,
    overscan_rows=48, full_well=150000.0, dark_current=0.002, bad_columns=0,
    hot_pixel_fraction=0.0, cosmic_ray_rate=0.03,
    gain=1.6, amplifier_gain=tuple(round(1.6 + 0.02 * ((7 * k) % 9 - 4), 3) for k in range(16)),
    read_noise=6.0, amplifier_read_noise=tuple(round(5.5 + 0.1 * ((5 * k) % 11), 2) for k in range(16)),
    bias_level=20000.0,
    amplifier_bias_level=tuple(20000.0 + 250.0 * ((3 * k) % 13 - 6) for k in range(16)),
    crosstalk=_crosstalk_2x8(),
    cti_parallel_density=(0.1, 0.05, 0.02), cti_parallel_release=(1.0, 5.0, 20.0),
    cti_serial_density=(0.05, 0.02, 0.01), cti_serial_release=(0.5, 3.0, 15.0),
    brighter_fatter=2.5e-6, prnu=0.01)

#: A full-frame CMOS camera of the IMX455 class (as sold by ZWO, QHY and others):
#: 9576 x 6388 pixels of 3.76 um, a 16-bit converter, no overscan. From the makers'
#: published charts (read off, rounded): full well 51,000 e-, gain 0.78 e-/ADU and
#: read noise 3.5 e- at the lowest gain setting; the high-conversion-gain mode (on
#: from gain setting 100) 0.25 e-/ADU, 1.5 e-, the full well then the converter's
#: top, ~16,000 e-; dark current 0.002 e-/pixel/s at -10 C; no amplifier glow.
#: Assumed (no published number): the offset of 500 ADU, the fixed pattern (0.5 ADU
#: column, 1 ADU pixel, 0.2% column gain), row noise 0.6 e-, RTS pixels (0.05%,
#: 6 e- steps), PRNU 0.5%.
CMOS_FULL_FRAME = dict(
    sensor="cmos", shape=(6388, 9576), pixel_size=3.76, gain=0.78, read_noise=3.5,
    full_well=51000.0, bias_level=500.0, dark_current=0.002, bad_columns=0,
    hot_pixel_fraction=0.0, hot_above_1=2e-5, hot_above_4=5e-6, cosmic_ray_rate=0.03,
    bias_column_rms=0.5, bias_pixel_rms=1.0, column_gain_rms=0.002, row_noise=0.6,
    rts_fraction=5e-4, rts_amplitude=6.0, prnu=0.005, gain_mode="low")

#: A small CMOS camera with a 12-bit converter, of the IMX290 class: 1936 x 1096
#: pixels of 2.9 um; its values shifted left to 16 bits, so steps of 16 ADU and
#: ``gain`` per ADU of the file (the converter's own: 16 times it). Published
#: (read off the makers' charts): full well 14,600 e-, 3.6 e- per 12-bit ADU and
#: read noise 3.2 e- at the lowest gain setting; the high-conversion-gain mode (on
#: from gain setting 80) 0.5 e- per 12-bit ADU, 1.3 e-, full well ~2,000 e-;
#: amplifier glow at the right edge. Assumed: the glow's rate (0.05 e-/pixel/s)
#: and length, the dark current (0.01 e-/pixel/s, uncooled near 20 C), the offset
#: (240 ADU), the fixed pattern, row noise and RTS pixels.
CMOS_12BIT = dict(
    sensor="cmos", shape=(1096, 1936), pixel_size=2.9, adc_bits=12, gain=3.6 / 16,
    read_noise=3.2, full_well=14600.0, bias_level=240.0, dark_current=0.01, bad_columns=0,
    hot_pixel_fraction=0.0, hot_above_1=1e-4, hot_above_4=2e-5, cosmic_ray_rate=0.03,
    glow_rate=0.05, glow_length=60.0, glow_sources="right", glow_readout_time=0.1,
    bias_column_rms=2.0, bias_pixel_rms=3.0, column_gain_rms=0.003, row_noise=1.0,
    rts_fraction=1e-3, rts_amplitude=8.0, prnu=0.01, gain_mode="low")

#: Gain modes of the named cameras that have them: ``--gain-mode NAME`` sets these
#: (the first is the camera's default).
GAIN_MODES = {
    "cmos-full-frame": {"low": dict(gain=0.78, read_noise=3.5, full_well=51000.0),
                        "hcg": dict(gain=0.25, read_noise=1.5, full_well=16000.0)},
    "cmos-12bit": {"low": dict(gain=3.6 / 16, read_noise=3.2, full_well=14600.0),
                   "hcg": dict(gain=0.5 / 16, read_noise=1.3, full_well=2000.0)},
}

#: Named cameras (``--camera NAME``): what each sets beyond the table's defaults.
CAMERAS = {
    "guide": {},  # the guide's idealised camera: `ccdsim image`'s default
    "night": NIGHT_CAMERA,  # `ccdsim night`'s default
    "thermoelectric": THERMOELECTRIC,
    "cryogenic": CRYOGENIC,
    "quad-amp": QUAD_AMP,
    "sixteen-amp": SIXTEEN_AMP,
    "cmos-full-frame": CMOS_FULL_FRAME,
    "cmos-12bit": CMOS_12BIT,
}


def camera_parameters(name, gain_mode=None):
    """Every camera parameter of the named camera (``Camera(**camera_parameters(name))``).

    Parameters
    ----------
    name : str
        A key of `CAMERAS`.
    gain_mode : str, optional
        One of the camera's `GAIN_MODES`: its gain, read noise and full well
        (None or empty: the camera's own).

    Returns
    -------
    dict
        ``{parameter: value}`` for every camera parameter of the table.

    Raises
    ------
    ccdsim.ParameterError
        An unknown name or gain mode (the message lists the known ones).
    """
    if name not in CAMERAS:
        raise ParameterError(f"camera must be one of {', '.join(CAMERAS)} (got {name!r})",
                             param="camera")
    params = {**{n: PARAMS[n].default for n in CAMERA_PARAMS}, **CAMERAS[name]}
    if gain_mode:
        modes = GAIN_MODES.get(name, {})
        if gain_mode not in modes:
            known = f"one of {', '.join(modes)}" if modes else "empty (it has no gain modes)"
            raise ParameterError(f"gain_mode of camera {name} must be {known} "
                                 f"(got {gain_mode!r})", param="gain_mode")
        params.update(modes[gain_mode], gain_mode=gain_mode)
    return params
