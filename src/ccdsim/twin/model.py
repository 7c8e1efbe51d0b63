"""`CameraFit`: what a fit measured, as a camera file's parameters, maps and ``[fit]`` table.

Beside it, the helpers that put values into its measured table: values in
electrons with the gain's (and the offsets') error, row noise and the RTS
census, the frames' levels.
"""

from dataclasses import dataclass, field

import numpy as np

from ..camera.camerafile import write_camera_file
from ..core.params import check
from ..core.validate import ParameterError
from .cmos import rts_in_electrons
from .maps import denoise
from .ptc import Measured

__all__ = ["CameraFit", "with_gain_error", "with_offset_error", "cmos_in_electrons",
           "level_values"]

#: The least sensitivity of a camera file's flat (dead columns: a camera file's flat is > 0).
DEAD_FLAT = 1e-3
#: Measured values that become camera-file parameters (the rest are kept in ``[fit]``).
FILE_PARAMS = ("gain", "read_noise", "bias_drift", "bias_jitter", "overscan_offset",
               "overscan_dark", "cosmic_ray_rate", "nonlinearity")
#: Measured values a CMOS camera's file carries too (``SENSOR = 'cmos'``).
CMOS_PARAMS = ("row_noise", "column_gain_rms", "rts_fraction", "rts_amplitude")
#: Brighter-fatter goes into the file when this many of its SE above 0: a camera without
#: it gets one by chance once in 740 fits (a one-sided 3-sigma Gaussian tail).
BF_SIGNIFICANCE = 3.0


def with_gain_error(value, gain):
    """A value in electrons (ADU x the fitted gain) with the gain's relative error added.

    Parameters
    ----------
    value, gain : Measured

    Returns
    -------
    Measured
    """
    se = float(np.hypot(value.se, value.value * gain.se / gain.value))
    return Measured(value.value, se, value.unit, value.how + "; the gain's relative error added")


def with_offset_error(dark_current, groups, lv, gain):
    """The dark current's SE with what the frames' offsets and the gain leave uncertain added.

    A group of darks' mean offset is uncertain by the jitter over the root of
    its number of frames, and the overscan's own dark current (which the
    offsets take out) by its standard error: both move the fitted rate,
    through the least-squares weights of the exposure times. The rate is
    ADU times the fitted gain: the gain's relative error is the rate's too
    (about 1% from a few flat pairs, far above the pixels' share).

    Parameters
    ----------
    dark_current : Measured
        e-/pixel/s, SE from the pixels.
    groups : dict
        ``{exposure time: darks}``.
    lv : dict
        The frames' levels (`ccdsim.twin.levels.fit_levels`).
    gain : Measured
        e-/ADU.

    Returns
    -------
    Measured
    """
    t = np.array(sorted(groups), dtype=float)
    n = np.array([len(groups[k]) for k in sorted(groups)])
    w = (t - t.mean()) / ((t - t.mean()) ** 2).sum() if len(t) >= 2 else 1 / t
    g = gain.value
    jitter = lv["jitter"].value if lv["jitter"] is not None else 0.0
    extra = (g * jitter) ** 2 * float((w ** 2 / n).sum())
    if lv["overscan_dark_adu"] is not None:
        extra += (g * lv["overscan_dark_adu"].se) ** 2
    se = float(np.sqrt(dark_current.se ** 2 + extra))
    return with_gain_error(Measured(
        dark_current.value, se, dark_current.unit,
        dark_current.how + "; plus the offsets' uncertainty (jitter / sqrt(frames) per exposure "
        "time, the overscan dark's SE), propagated"), gain)


def cmos_in_electrons(m, cannot, stats, gain):
    """Row noise and the RTS census (`ccdsim.twin.cmos.bias_statistics`) in electrons.

    Parameters
    ----------
    m : dict
        ``{name: Measured}``: ``row_noise``, ``rts_fraction``, ``rts_amplitude`` added.
    cannot : list of str
        The RTS census's absence is added to it.
    stats : dict
        `ccdsim.twin.cmos.bias_statistics` (ADU).
    gain : Measured
        e-/ADU.
    """
    g, gse = gain.value, gain.se
    r = stats["row_noise_adu"]
    m["row_noise"] = Measured(r.value * g, float(np.hypot(r.se * g, r.value * gse)),
                              "electron", r.how + "; x gain")
    rts_in_electrons(m, cannot, stats, gain)


def level_values(m, cannot, lv, drift0):
    """``bias_drift``, ``bias_jitter`` and ``overscan_offset`` from the frames' levels.

    Parameters
    ----------
    m : dict
        ``{name: Measured}`` with ``bias_level`` (ADU, at the first frame's
        time): the values are added to it.
    cannot : list of str
        What the frames do not give is added to it.
    lv : dict
        `ccdsim.twin.levels.fit_levels`.
    drift0 : float
        The drift from the first frame's time to the biases' mean time (ADU).
    """
    for key, name in (("drift", "bias_drift"), ("jitter", "bias_jitter")):
        if lv[key] is not None:
            m[name] = lv[key]
        else:
            cannot.append(f"{name}: needs three bias or dark frames or more with DATE-OBS")
    if lv["overscan_level"] is not None:
        # Both at the biases' mean time.
        m["overscan_offset"] = Measured(lv["overscan_level"] - m["bias_level"].value - drift0,
                                        float(np.hypot(lv["jitter"].se if lv["jitter"] else 0,
                                                       m["bias_level"].se)),
                                        "adu", "overscan level of the frames without light minus "
                                        "the bias level")
    else:
        cannot.append("overscan_offset: the headers have no BIASSEC")


@dataclass
class CameraFit:
    """A camera measured from its frames.

    Parameters
    ----------
    measured : dict
        ``{name: Measured}``: every value with its standard error and how.
    maps : dict
        Measured maps of the data section: ``bias`` (ADU), ``dark`` (e-/pixel/s),
        ``zero`` (e-), each with ``<kind>_se``.
    flats : dict
        ``{filter: flat fit}`` (`ccdsim.twin.flat.fit_flat`).
    main_filter : str
        The filter with most flats (the camera file's ``flat``).
    layout : Layout
        The frames' sections.
    collection : Collection
        The frames used, and those skipped.
    transfer : dict
        The photon-transfer fit (`ccdsim.twin.ptc.fit_transfer`).
    pairs : list of PairPoint
        Its points.
    cannot : list of str
        What could not be fitted, and what it would need.
    source : str
        Where the frames came from.
    sensor : str
        ``ccd`` or ``cmos`` from the headers' ``SENSOR`` ("" when they do not say).
    file_params : dict
        Camera-file parameters measured beside `measured` (several amplifiers:
        each one's values and their geometry), which take precedence.
    regions : tuple of tuple of slice
        The amplifiers' parts of the detector (none for one amplifier): the
        bias map's noise is shrunk within each, about its own level.
    """

    measured: dict
    maps: dict
    flats: dict
    main_filter: str
    layout: object
    collection: object
    transfer: dict
    pairs: list
    cannot: list = field(default_factory=list)
    source: str = ""
    sensor: str = ""
    file_params: dict = field(default_factory=dict)
    regions: tuple = ()

    @property
    def shape(self):
        """``(ny, nx)`` of the data section."""
        return self.layout.shape

    def params(self):
        """The camera file's parameters: what was measured, within each parameter's range.

        Returns
        -------
        dict
            ``{Python name: value}``.
        """
        out = {"shape": tuple(int(n) for n in self.shape)}
        for name in FILE_PARAMS + (CMOS_PARAMS if self.sensor == "cmos" else ()):
            if name in self.measured:
                out[name] = max(float(self.measured[name].value), 0.0) \
                    if name in CMOS_PARAMS else float(self.measured[name].value)
        if self.sensor:
            out["sensor"] = self.sensor
        if "adc_bits" in self.measured:
            out["adc_bits"] = int(self.measured["adc_bits"].value)
        for name in ("bias_jitter", "overscan_dark", "cosmic_ray_rate"):
            if name in out:
                out[name] = max(out[name], 0.0)
        bf = self.measured.get("brighter_fatter")
        if bf is not None and bf.value > BF_SIGNIFICANCE * bf.se:
            out["brighter_fatter"] = float(bf.value)
        if "nonlinearity" in out:
            out["nonlinearity"] = float(np.clip(out["nonlinearity"], -0.5, 0.5))
            out["nonlinearity_level"] = 55000.0
        lay = self.layout
        beside = lay.overscan is not None and lay.data[1].stop is not None \
            and lay.overscan_columns and lay.data[1].stop < lay.readout_shape[1]
        out["overscan"] = int(self.file_params.get("overscan", lay.overscan_columns
                                                   if beside else 0))
        if "overscan_offset" in out and not out["overscan"]:
            del out["overscan_offset"]
        pixel = self.collection.header.get("XPIXSZ") or self.collection.header.get("PIXSIZE")
        if pixel:
            out["pixel_size"] = float(pixel)
        out.update(self.file_params)
        for name, value in list(out.items()):
            try:
                check(name, value)
            except ParameterError:
                del out[name]  # out of the parameter's range: left at its default
        return out

    def file_maps(self):
        """The camera file's maps, their measurement noise shrunk away (`ccdsim.twin.maps`).

        Returns
        -------
        dict
            ``bias``, ``dark`` (when darks were given), ``flat`` (the main
            filter's) and ``flat_<FILTER>`` for the others.
        """
        out = {}
        if "bias" in self.maps:
            raw, se = self.maps["bias"], self.maps["bias_se"]
            out["bias"] = np.empty(raw.shape, np.float32)
            # Each amplifier's part about its own level: a step between two is no noise.
            for reg in self.regions or ((slice(None), slice(None)),):
                out["bias"][reg] = denoise(raw[reg], se[reg])[0]
        if "dark" in self.maps:
            out["dark"] = denoise(self.maps["dark"], self.maps["dark_se"], floor=0.0)[0]
        for name, info in self.flats.items():
            # A camera file's flat is > 0: a dead column keeps 0.1% of the light.
            flat = denoise(info["flat"], info["flat_se"], floor=DEAD_FLAT)[0]
            flat = flat / np.float32(flat.mean(dtype=np.float64))
            key = "flat" if name == self.main_filter else f"flat_{name}"
            try:
                check("filter", name)
            except ParameterError:
                if key != "flat":
                    continue  # a filter name no camera file can carry
            out[key] = flat
        return out

    def fit_table(self):
        """The ``[fit]`` table: each measured value, its standard error, unit and how.

        Returns
        -------
        dict
        """
        n = self.collection.counts()
        return {
            "source": self.source,
            "frames": {k: int(v) for k, v in n.items()},
            "skipped": list(self.collection.skipped),
            "cannot_fit": list(self.cannot),
            "measured": {k: {"value": float(v.value), "se": float(v.se) if np.isfinite(v.se)
                             else -1.0, "unit": v.unit, "how": v.how}
                         for k, v in self.measured.items()},
            "flat_cosmetics": {f: {"dead_columns": int(i["dead_columns"]),
                                   "partial_columns": int(i["partial_columns"]),
                                   "masked_fraction": float(i["mask"].mean())}
                               for f, i in self.flats.items()},
        }

    def write(self, path, *, overwrite=False):
        """Write the camera file (TOML, maps as FITS beside it, ``[fit]`` table).

        Parameters
        ----------
        path : str or os.PathLike
            The TOML file.
        overwrite : bool, optional
            Replace existing files.

        Returns
        -------
        list of str
            The files written.
        """
        return write_camera_file(path, self.params(), self.file_maps(), overwrite=overwrite,
                                 comment="made by ccdsim camera fit", fit=self.fit_table())

    def summary(self):
        """What was found and what could not be fitted, as lines for the user.

        Returns
        -------
        list of str
        """
        n = self.collection.counts()
        used = "crosstalk" if any(k.startswith("crosstalk_") for k in self.measured) \
            else "not used"
        lines = [f"frames: {n['bias']} bias, {n['dark']} dark, {n['flat']} flat, "
                 f"{n['science']} science ({used}); data section "
                 f"{self.shape[0]}x{self.shape[1]}"]
        lines += [f"skipped {s}" for s in self.collection.skipped]
        width = max(map(len, self.measured))
        lines += [f"{k:<{width}}  {v.text()}" for k, v in self.measured.items()]
        for f, i in self.flats.items():
            lines.append(f"flat {f or '(no filter)'}: {len(i['levels'])} frames, ccdmask "
                         f"{i['mask'].mean():.3%} of pixels, {i['dead_columns']} dead and "
                         f"{i['partial_columns']} partial columns")
        lines += [f"cannot fit {c}" for c in self.cannot]
        return lines
