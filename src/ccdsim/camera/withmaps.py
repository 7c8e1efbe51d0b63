"""A camera that carries measured maps: `MeasuredMaps`, mixed into `ccdsim.Camera`.

The maps of a camera file (`ccdsim.camera.camerafile`: bias in ADU, dark
current in e-/pixel/s, flats of mean 1) take the place of the maps the
camera would draw from its seed; everything else of the parameter table
works on top, and each frame's noise is drawn from its own seed as always.
The maps are read-only float32 arrays that every frame and thread shares.
"""

import os
import numpy as np

from ..core.arrays import cached_once
from ..core.quality import DQ
from ..core.validate import ParameterError, cut
from ..physics import hotpixels
from .camerafile import (
    REPLACED,
    check_map,
    complete_parameters,
    read_camera_file,
)

__all__ = ["CameraMaps", "MeasuredMaps", "MapDarkCharge", "HOT_MAP_RATE"]

#: A dark map's pixel is flagged hot (``DQ.HOT_PIXEL``) this far above the map's
#: median, in e-/pixel/s (as ``hot_above_1`` counts a population's hot pixels).
HOT_MAP_RATE = 1.0


class CameraMaps:
    """A camera's measured maps by kind, read-only float32; equal if their pixels are.

    Parameters
    ----------
    maps : dict
        ``{kind: 2-D array}``: ``bias``, ``dark``, ``flat``, ``flat_<FILTER>``
        (`ccdsim.camera.camerafile.check_map` checks each).
    shape : tuple of int
        The camera's ``shape``: every map's.
    name : str, optional
        The camera file's name (the frames' ``CAMFILE`` card).
    """

    def __init__(self, maps, shape, name=""):
        self.shape, self.name = tuple(shape), str(name)
        self._maps = {kind: check_map(kind, m, self.shape) for kind, m in dict(maps).items()}

    def __contains__(self, kind):
        return kind in self._maps

    def __getitem__(self, kind):
        return self._maps[kind]

    def get(self, kind):
        """The map of ``kind``, or None.

        Parameters
        ----------
        kind : str
            ``bias``, ``dark``, ``flat`` or ``flat_<FILTER>``.

        Returns
        -------
        ndarray of float32 or None
        """
        return self._maps.get(kind)

    @property
    def kinds(self):
        """The kinds held, in the file's order."""
        return tuple(self._maps)

    def __eq__(self, other):
        if self is other:
            return True
        return (isinstance(other, CameraMaps) and (self.shape, self.kinds) == (other.shape,
                                                                               other.kinds)
                and all(np.array_equal(self[k], other[k]) for k in self.kinds))

    def __hash__(self):
        return hash((self.shape, self.kinds))

    def __repr__(self):
        return f"CameraMaps({', '.join(self.kinds)})"


class MapDarkCharge:
    """One exposure's charge of a dark map, handed out a band of rows at a time.

    Parameters
    ----------
    rate : ndarray of float32
        The dark map, e-/pixel/s (the camera's, read-only).
    exposure_time : float
        Seconds it collects.
    """

    def __init__(self, rate, exposure_time):
        self.rate, self.time = rate, np.float32(exposure_time)

    def __getitem__(self, rows):
        """``charge[r0:r1]``: electrons of those rows (float32, a new band)."""
        return self.rate[rows] * self.time


def _less_levels(bias, amplifiers, levels):
    """A bias map less the level each overscan reads: one level for all (the map's median),
    or each amplifier's on its part of the detector (``amplifier_bias_level``)."""
    if len(levels) == 1:
        return bias - np.float32(levels[0])
    out = np.array(bias, dtype=np.float32)
    for amp, level in zip(amplifiers, levels):
        out[amp.detector.slices] -= np.float32(level)
    return out


class MeasuredMaps:
    """Measured maps in place of the drawn ones (mixed into `ccdsim.Camera`, its ``maps``).

    A camera with ``maps`` (`CameraMaps`, from `from_file` or given directly)
    reads them instead of the maps its seed would draw; without (None) it is
    the camera of its parameters alone. With a bias map ``bias_level`` is
    the map's median, the overscans' level (`_less_levels`); the parameters
    a map replaces (`ccdsim.camera.camerafile.REPLACED`: the bias structure,
    the flat's parts) must be off; ``dark_current`` and hot pixels add to a
    dark map. Frames depend on their seeds only.
    """

    @classmethod
    def from_file(cls, path, **changes):
        """The camera of a camera file, with its maps (`ccdsim.camera.camerafile`).

        Parameters
        ----------
        path : str or os.PathLike
            The camera file (TOML, its FITS maps beside it).
        **changes
            Camera parameters (Python names) given on top of the file's.

        Returns
        -------
        ccdsim.Camera

        Raises
        ------
        ccdsim.ParameterError
            What the file or the parameters get wrong, in one line.

        Examples
        --------
        >>> import numpy as np, tempfile, os
        >>> from ccdsim import Camera
        >>> from ccdsim.camera.camerafile import write_camera_file
        >>> folder = tempfile.mkdtemp()
        >>> _ = write_camera_file(os.path.join(folder, "cam.toml"), {"shape": (32, 32)},
        ...                       {"bias": np.full((32, 32), 1000.0)})
        >>> Camera.from_file(os.path.join(folder, "cam.toml"), bad_columns=0).bias_level
        1000.0
        """
        params, maps = read_camera_file(path)
        full = complete_parameters(params, maps)
        full.update(changes)
        full["shape"] = tuple(full["shape"])
        return cls(maps=CameraMaps(maps, full["shape"], os.path.basename(os.fspath(path))),
                   **full)

    def attach_maps(self):
        """Check the maps against the camera (called once, by the camera's checks)."""
        maps = self.maps
        if maps is None:
            return
        if not isinstance(maps, CameraMaps):
            maps = CameraMaps(maps, self.shape)
            object.__setattr__(self, "maps", maps)
        elif maps.shape != self.shape:
            raise ParameterError(f"shape {self.shape} differs from the maps' {maps.shape}",
                                 param="shape")
        if "bias" in maps:
            object.__setattr__(self, "bias_level", float(np.median(maps["bias"])))
        kinds = {"flat" if k.startswith("flat_") else k for k in maps.kinds}
        for kind in kinds:
            on = [n for n, off in REPLACED[kind].items() if getattr(self, n) != off
                  and not (off == () and not getattr(self, n))]
            if on:
                them = "them" if len(on) > 1 else "it"
                raise ParameterError(f"{', '.join(on)}: the camera's {kind} map replaces "
                                     f"{them} (set {them} to 0, or leave the {kind} map out)",
                                     param=on[0])

    def map_cards(self, cards):
        """``cards`` with the camera file's name first (``CAMFILE``), if the camera has one.

        Parameters
        ----------
        cards : dict or None
            A frame's more header cards.

        Returns
        -------
        dict or None
        """
        if self.maps is None or not self.maps.name:
            return cards
        return {"CAMFILE": (_card_text(self.maps.name), "camera file with maps"),
                **(cards or {})}

    # Bias --------------------------------------------------------------------

    def _map(self, kind):
        return None if self.maps is None else self.maps.get(kind)

    @cached_once
    def _bias_delta(self):
        levels = self.amplifier_bias_level or (self.bias_level,)
        return _less_levels(self.maps["bias"], self.geometry.amplifiers, levels)

    @property
    def bias_map(self):
        """True bias map of the data section, ADU (float32): the camera's bias map."""
        own = self._map("bias")
        return own if own is not None else super().bias_map

    def add_bias_structure(self, image, r0, r1):
        """Add the bias's structure to rows of the data section: the map less its levels.

        Parameters
        ----------
        image : ndarray of float32
            Rows ``r0:r1`` of the data section, ``(r1 - r0, nx)``, in ADU;
            changed in place.
        r0, r1 : int
            First and one-past-last row.
        """
        if self._map("bias") is not None:
            image += self._bias_delta[r0:r1]
        else:
            super().add_bias_structure(image, r0, r1)

    # Dark --------------------------------------------------------------------

    @property
    def dark_map(self):
        """True dark current, e-/pixel/s (float32): the dark map plus ``dark_current`` and
        hot pixels set on top."""
        base, own = super().dark_map, self._map("dark")
        return base if own is None else base + own

    def map_charge(self, exposure_time):
        """The dark map's charge over an exposure (`MapDarkCharge`), or None.

        Parameters
        ----------
        exposure_time : float
            In seconds.

        Returns
        -------
        MapDarkCharge or None
        """
        own = self._map("dark")
        return None if own is None or not exposure_time > 0 else MapDarkCharge(own,
                                                                                 exposure_time)

    @cached_once
    def _map_hot_indices(self):
        rate = self._map("dark")
        if rate is None:
            return np.zeros(0, dtype=np.int64)
        return np.flatnonzero(rate > np.median(rate) + HOT_MAP_RATE).astype(np.int64)

    def add_detector_dq(self, image, r0, r1):
        """Or the camera's bits into ``image``: the dark map's hot pixels too.

        A dark map's pixel is hot ``HOT_MAP_RATE`` e-/pixel/s above its median.

        Parameters
        ----------
        image : ndarray of uint8
            Rows ``r0:r1`` of the data section, ``(r1 - r0, nx)``; changed in place.
        r0, r1 : int
            First and one-past-last row.
        """
        super().add_detector_dq(image, r0, r1)
        if self._map("dark") is None:
            return
        hot = hotpixels.hot_pixels_in_rows(self._map_hot_indices, self.shape[1], r0, r1)
        image[hot] |= DQ.HOT_PIXEL

    # Flat --------------------------------------------------------------------

    @property
    def has_flat(self):
        """True if the sensitivity is not uniform (a flat map, or the camera's flat)."""
        return (self.maps is not None and any(k.startswith("flat") for k in self.maps.kinds)
                or super().has_flat)

    @property
    def flat_map(self):
        """True sensitivity of the data section (float32, mean 1, read-only): the flat map."""
        own = self._map("flat")
        return own if own is not None else super().flat_map

    def flat_for(self, filter=None):
        """The sensitivity in ``filter``: its own flat map (``flat_<FILTER>``), else `flat_map`'s.

        Parameters
        ----------
        filter : str, optional
            The filter's name.

        Returns
        -------
        ndarray of float32
        """
        own = None if filter is None else self._map(f"flat_{filter}")
        return own if own is not None else super().flat_for(filter)


def _card_text(name):
    """A file name as a FITS string value: printable ASCII, at most 60 characters."""
    text = "".join(c if c.isascii() and c.isprintable() and c != "'" else "?" for c in name)
    return cut(text, 60)
