"""The noise budget of a frame's background: predicted (engine or parameters), and measured.

A background pixel i (no star, no defect, no cosmic ray) holds, in ADU,

    bias + (N_i + R) / gain,   N_i ~ Poisson(dark*t + sky_e*f_i),   R ~ Normal(0, read_noise),

rounded by the ADC; sky_e = sky x gain is the sky in electrons and f_i the
flat field (sensitivity, 1 without one), which scales light only. Without a
flat, the mean is ``bias + dark*t/gain + sky`` and the standard deviation
``sqrt(read^2 + dark*t + sky_e) / gain``, plus 1/12 ADU^2 from the rounding.

With a flat, the measured pixels are a mixture: each has its own expected
sky. Over the set M of measured pixels (law of total variance, pixel i drawn
uniformly from M)

    mean     = bias + (dark*t + sky_e * <f>) / gain
    variance = (read^2 + dark*t + sky_e * <f>) / gain^2 + 1/12 + sky_e^2 var(f) / gain^2,

with <f> and var(f) the mean and (population) variance of the flat over M.
The last term is the flat's spread: the sky's expected value differs from
pixel to pixel. The flat is fixed (the camera's), so the sample variance of
the N measured pixels scatters less than that of N independent Gaussian
values of the same total variance: the Gaussian standard errors
(sigma/sqrt(N), sigma/sqrt(2(N-1))) remain safe bounds.

The 1/12 is exact when read noise smooths the ADC's steps (a read noise of
1 ADU or more); without read noise the values sit on a lattice and the exact
distribution (`predicted_histogram`) differs a little (gain 2, sky 3 ADU:
std 1.271 exact against 1.258).
"""

from dataclasses import dataclass

import numpy as np

from ..core.quality import DQ
from .decompose import expected_parts

__all__ = ["Budget", "Term", "predict", "predict_frame", "light_factors", "background_mask",
           "measure"]

# Starlight below this fraction of the background std (ADU) counts as background:
# it then shifts the measured mean and std by far less than their standard errors.
STAR_FRACTION = 0.001
# Variance of the ADC's rounding, in ADU^2: an error uniform over one ADU.
ADC_VARIANCE = 1 / 12


@dataclass(frozen=True)
class Term:
    """One source of counts of a `Budget`: what it adds to the mean and to the variance.

    Parameters
    ----------
    name : str
        The source, as `Budget.rows` names it (``"dark current"``).
    mean : float
        What it adds to the mean, in ADU.
    variance_e : float
        What it adds to the variance before the gain, in e-^2.
    mean_formula, variance_formula : str
        The same two as formulas (Unicode text) of `predict`'s parameters,
        written ``bias``, ``read``, ``dark``, ``t``, ``sky``, ``gain``;
        ``<f>`` and ``var(f)`` are the flat's mean and variance over the
        measured pixels. Empty where the term adds nothing.
    """

    name: str
    mean: float
    variance_e: float
    mean_formula: str = ""
    variance_formula: str = ""


@dataclass(frozen=True)
class Budget:
    """Predicted background of a frame, term by term.

    Parameters
    ----------
    bias, dark, sky : float
        Mean contributions, in ADU.
    read_e, dark_e, sky_e : float
        Variance contributions in electrons^2 (read noise squared; the
        dark and sky shot noise, equal to their electrons).
    gain : float
        e-/ADU.
    quantized : bool, optional
        Whether the ADC rounds (adds 1/12 ADU^2).
    flat_mean, flat_var : float
        Mean and population variance of the flat field over the measured
        pixels (dimensionless; 1 and 0 without a flat). ``sky`` and ``sky_e``
        are the sky before the flat.
    spread_e : float
        Variance from pixel to pixel of the rest of the expected value (the
        bias's structure, glow, the dark charge's gradients), with its
        covariance with the light, in e-^2 (`predict_frame`; 0 otherwise).
    """

    bias: float
    dark: float
    sky: float
    read_e: float
    dark_e: float
    sky_e: float
    gain: float
    quantized: bool = True
    flat_mean: float = 1.0
    flat_var: float = 0.0
    spread_e: float = 0.0

    @property
    def sky_received_e(self):
        """Mean sky electrons per measured pixel after the flat (e-), and their variance (e-^2)."""
        return self.sky_e * self.flat_mean

    @property
    def flat_e(self):
        """Variance of the expected sky from pixel to pixel (the flat's spread), in e-^2."""
        return self.sky_e**2 * self.flat_var

    def terms(self):
        """The sources of counts, each with its share of the mean and of the variance.

        `mean`, `variance_e`, `rows` and `formulas` are made from these: the
        formulas shown are those computed. The flat field's own term (the
        spread of the expected sky) is there only when the flat varies.

        Returns
        -------
        list of Term
        """
        # A flat other than 1 everywhere scales the sky: "·<f>".
        f = "·⟨f⟩" if self.flat_mean != 1.0 or self.flat_var > 0 else ""
        terms = [Term("bias", self.bias, 0.0, "bias"),
                 Term("read noise", 0.0, self.read_e, variance_formula="read²"),
                 # The dark current's shot noise: its variance is its electrons.
                 Term("dark current", self.dark, self.dark_e, "dark·t/gain", "dark·t"),
                 Term("sky", self.sky * self.flat_mean, self.sky_received_e, f"sky{f}",
                      f"sky·gain{f}")]
        if self.flat_var > 0:
            terms.append(Term("flat field (sky from pixel to pixel)", 0.0, self.flat_e,
                              variance_formula="(sky·gain)²·var(f)"))
        if self.spread_e != 0:
            terms.append(Term("bias and dark from pixel to pixel", 0.0, self.spread_e,
                              variance_formula="var(bias·gain + dark)"))
        return terms

    @property
    def adc_variance(self):
        """Variance of the ADC's rounding, in ADU^2 (0 without rounding)."""
        return ADC_VARIANCE if self.quantized else 0.0

    @property
    def mean(self):
        """Predicted background mean, in ADU."""
        return sum(t.mean for t in self.terms())

    @property
    def variance_e(self):
        """Variance before the gain and the ADC, in e-^2."""
        return sum(t.variance_e for t in self.terms())

    @property
    def std(self):
        """Predicted background standard deviation, in ADU (with the ADC's rounding)."""
        return float(np.sqrt(self.variance_e / self.gain**2 + self.adc_variance))

    def rows(self):
        """``(term, mean ADU, variance ADU^2)`` rows, one per source of counts.

        The `terms`, then the ADC's rounding.

        Returns
        -------
        list of tuple
        """
        g2 = self.gain**2
        return ([(t.name, t.mean, t.variance_e / g2) for t in self.terms()]
                + [("ADC rounding", 0.0, self.adc_variance)])

    def formulas(self):
        """The predicted mean and std as formulas, then with this budget's numbers.

        Returns
        -------
        tuple of str
            ``(mean, std)``, one line of Unicode text each, from the `terms`.

        Examples
        --------
        >>> b = predict(bias_level=1100, read_noise=5, gain=1, dark_current=0.1,
        ...             exposure_time=100, sky=20)
        >>> print(b.formulas()[0])
        mean = bias + dark·t/gain + sky = 1100 + 10 + 20 = 1130.00 ADU
        """
        terms = self.terms()
        means = [t for t in terms if t.mean_formula]
        variances = [t for t in terms if t.variance_formula]
        adc = " + 1/12" if self.quantized else ""
        mean = (f"mean = {' + '.join(t.mean_formula for t in means)} = "
                f"{' + '.join(f'{t.mean:.6g}' for t in means)} = {self.mean:.2f} ADU")
        std = (f"std = √(({' + '.join(t.variance_formula for t in variances)})"
               f"/gain²{adc}) = √(({' + '.join(f'{t.variance_e:.6g}' for t in variances)})"
               f"/{self.gain:g}²{adc}) = {self.std:.3f} ADU")
        return mean, std


def predict(*, bias_level, read_noise, gain, dark_current, exposure_time, sky, quantized=True,
            flat=None):
    """Predicted background of a frame.

    Parameters
    ----------
    bias_level : float
        ADU.
    read_noise : float
        e-.
    gain : float
        e-/ADU.
    dark_current : float
        e-/pixel/s (the normal pixels' rate; hot pixels are not background).
    exposure_time : float
        s.
    sky : float
        ADU per pixel over the exposure.
    quantized : bool, optional
        Whether the ADC rounds to integers.
    flat : array_like, optional
        The flat field (sensitivity, the camera's `~ccdsim.Camera.flat_map`)
        at the measured pixels, e.g. ``camera.flat_map[mask]``; None: no flat.

    Returns
    -------
    Budget

    Examples
    --------
    >>> b = predict(bias_level=1100, read_noise=5, gain=1, dark_current=0.1,
    ...             exposure_time=100, sky=20)
    >>> round(b.mean, 2), round(b.std, 2)
    (1130.0, 7.42)
    """
    dark_e = dark_current * exposure_time
    flat_mean, flat_var = 1.0, 0.0
    if flat is not None:
        f = np.asarray(flat, dtype=np.float64)
        if f.size:
            flat_mean, flat_var = float(f.mean()), float(f.var())
    return Budget(bias=float(bias_level), dark=dark_e / gain, sky=float(sky),
                  read_e=float(read_noise) ** 2, dark_e=float(dark_e), sky_e=float(sky) * gain,
                  gain=float(gain), quantized=quantized, flat_mean=flat_mean, flat_var=flat_var)


def light_factors(exposure, mask):
    """Each measured pixel's light relative to the sky before the flat: the flat, the shutter.

    Parameters
    ----------
    exposure : ccdsim.readout.exposure.Exposure
        The frame's exposure.
    mask : ndarray of bool
        The measured pixels of the data section.

    Returns
    -------
    ndarray of float64 or None
        ``f_i`` over ``mask`` (the engine's sky light over the same sky
        without flat and shutter); None without a sky.
    """
    parts = expected_parts(exposure)
    raw = expected_parts(exposure, flat=None, light_scale=None)["sky"][mask]
    if not raw.size or not (raw > 0).all():
        return None
    return parts["sky"][mask] / raw


def predict_frame(exposure, mask, *, quantized=None):
    """Predicted background of a frame, from the engine's own step 1 over ``mask``.

    Every personality of the camera is in it: the filter's flat and the
    shutter scale the sky (`light_factors`); the dark part holds all charge
    that is not light (dark current, glow, a hot-pixel population,
    persistence); the bias is the one the ADC adds (map, structure, this
    frame's offset). Over the measured pixels M (law of total variance)::

        mean     = <bias> + (<dark> + <sky_e f>) / gain
        variance = (read^2 + <dark> + <sky_e f>) / gain^2 + 1/12
                   + var(sky_e f) / gain^2 + var(bias gain + dark + ...) / gain^2

    Parameters
    ----------
    exposure : ccdsim.readout.exposure.Exposure
        The frame's exposure (``frame.exposure``).
    mask : ndarray of bool
        The measured pixels of the data section (`background_mask`).
    quantized : bool, optional
        Whether the ADC rounds (default: the exposure's).

    Returns
    -------
    Budget
    """
    cam, parts = exposure.camera, expected_parts(exposure)
    gain = float(cam.gain)
    ny, nx = cam.shape
    bias = cam.bias_rows(0, ny)[:, :nx][mask].astype(np.float64) + exposure.bias_offset
    # Starlight is left out: `background_mask` keeps pixels where it is below
    # STAR_FRACTION of the std, far below any standard error.
    dark, light = parts["dark"][mask], parts["sky"][mask]
    f = light_factors(exposure, mask)
    flat_mean, flat_var = (float(f.mean()), float(f.var())) if f is not None else (1.0, 0.0)
    # sky_e <f> is the mean sky light; sky_e^2 var(f), the flat's term, its spread; the
    # rest of the expected value's spread, with its covariance with the light, is the
    # other term.
    sky_e = float(light.mean()) / flat_mean if light.size else 0.0
    total = bias * gain + dark + light
    spread = float(total.var()) - sky_e**2 * flat_var if total.size else 0.0
    return Budget(bias=float(bias.mean()) if bias.size else cam.bias_level,
                  dark=float(dark.mean()) / gain if dark.size else 0.0, sky=sky_e / gain,
                  read_e=float(cam.read_noise) ** 2,
                  dark_e=float(dark.mean()) if dark.size else 0.0, sky_e=sky_e, gain=gain,
                  quantized=exposure.quantize if quantized is None else quantized,
                  flat_mean=flat_mean, flat_var=flat_var, spread_e=spread)


def background_mask(camera, star_adu=None, budget=None, dq=None):
    """Pixels that hold background only: no hot pixel, no bad column, (almost) no star.

    Parameters
    ----------
    camera : ccdsim.Camera
        Gives the hot pixel mask and the bad columns.
    star_adu : ndarray, optional
        Expected starlight, in ADU (`ccdsim.render_stars` of the truth).
    budget : Budget, optional
        With ``star_adu``: pixels with starlight above `STAR_FRACTION` of the
        background std are left out; without it, any starlight at all.
    dq : ndarray, optional
        The frame's data-quality bits (``Frame.dq``): pixels hit by a cosmic
        ray, touched by the full well or hot (a hot-pixel population too)
        are left out too (they are not background, and the budget does not
        describe them). Pixels the ADC clips stay: the explorer points them out.

    Returns
    -------
    ndarray of bool, True where a pixel is background.
    """
    mask = ~camera.hot_pixel_mask
    mask[:, camera.bad_column_indices] = False
    if dq is not None:  # a hot-pixel population's pixels are HOT_PIXEL too
        not_background = DQ.COSMIC_RAY | DQ.FULL_WELL | DQ.HOT_PIXEL
        mask &= (dq[camera.geometry.amplifier.data.slices] & not_background) == 0
    if star_adu is not None:
        limit = STAR_FRACTION * budget.std if budget is not None else 0.0
        mask &= star_adu <= limit
    return mask


def measure(data, mask):
    """Mean, standard deviation (ADU) and count of the pixels under ``mask``.

    Parameters
    ----------
    data : array_like
        The frame, in ADU.
    mask : ndarray of bool
        The pixels to measure (`background_mask`).

    Returns
    -------
    tuple
        ``(mean, std, n)``; ``(nan, nan, n)`` for fewer than two pixels.
    """
    values = np.asarray(data)[mask].astype(np.float64)
    if values.size < 2:
        return float("nan"), float("nan"), int(values.size)
    return float(values.mean()), float(values.std(ddof=1)), int(values.size)
