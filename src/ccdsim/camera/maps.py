"""A camera's fixed pattern: its defect maps, made once per camera from its seed.

`FixedPattern` is the part of `ccdsim.Camera` that turns the camera's
parameters into maps (bias with bad columns, dark current with hot pixels,
flat field) with the pure functions of `ccdsim.physics.bias`. Every frame and every
thread of a camera shares these maps, so each is computed once and is
read-only (`ccdsim.core.arrays.cached_once`). `ReadoutMaps` adds what the
read-out sees: each amplifier's place and values, bias and DQ bits by rows.
"""

import numpy as np

from ..core.arrays import cached_on, cached_once
from ..core.geometry import ReadoutGeometry
from ..core.quality import DQ
from ..core.seeds import Defect, camera_rng
from ..physics import bias, cmos, dark, flat, hotpixels
from ..readout.amplifiers import AmplifierValues

__all__ = ["FixedPattern", "ReadoutMaps", "cached_map", "add_personality_dq"]

#: `ccdsim.core.arrays.cached_once` by the name it had when it lived here.
cached_map = cached_once


class FixedPattern:
    """The maps of `ccdsim.Camera` (mixed into it): they read the camera's fields.

    Each kind of defect draws from its own stream of the camera seed
    (`ccdsim.core.seeds.camera_rng`), never from a frame's noise.
    """

    @cached_once
    def _bad_columns(self):
        rng = camera_rng(self.camera_seed, Defect.BAD_COLUMNS)
        return bias.bad_columns(self.shape, self.bad_columns, 0.1 * self.bias_level, rng=rng)

    @property
    def bad_column_indices(self):
        """Indices (0-based) of the bad columns."""
        return self._bad_columns[0]

    @cached_once
    def _bias_structure(self):
        # None when off, so a plain camera's bias stays exactly what it was.
        if not (self.bias_gradient or self.bias_row_rms or self.bias_column_rms):
            return None
        return bias.bias_structure(
            self.shape, self.bias_gradient, self.bias_row_rms, self.bias_column_rms,
            row_rng=camera_rng(self.camera_seed, Defect.BIAS_ROWS),
            column_rng=camera_rng(self.camera_seed, Defect.BIAS_COLUMNS))

    @property
    def bias_map(self):
        """True bias map of the data section, ADU (float32): structure on each amplifier's level."""
        if len(self.geometry.amplifiers) > 1:
            out = np.zeros(self.shape, dtype=np.float32)
            self.add_bias_structure(out, 0, self.shape[0])
            for amp, level in zip(self.geometry.amplifiers, self.amplifier_values.bias_level):
                out[amp.detector.slices] += np.float32(level)
            return out
        cols, pattern = self._bad_columns
        out = bias.bias_map(self.shape, self.bias_level, cols, pattern)
        if self._bias_structure is not None:
            rows, columns = self._bias_structure
            out += rows[:, None] + columns[None, :]
        if self._pixel_offsets is not None:
            out += self._pixel_offsets * self._offset_unit
        return out

    @cached_once
    def _pixel_offsets(self):
        # None when off; int8 steps of `_offset_unit` ADU, added to the bias rows as read
        if not self.bias_pixel_rms:
            return None
        return cmos.pixel_offsets(self.shape, camera_rng(self.camera_seed, Defect.PIXEL_OFFSETS))

    @property
    def _offset_unit(self):
        return np.float32(self.bias_pixel_rms / cmos.OFFSET_STEPS)

    @cached_once
    def rts_pixels(self):
        """The RTS pixels (`ccdsim.physics.cmos.rts_table`), from ``Defect.RTS``."""
        return cmos.rts_table(self.shape, self.rts_fraction, self.rts_amplitude,
                              self.rts_three_level, self.rts_dwell_time,
                              camera_rng(self.camera_seed, Defect.RTS))

    @cached_once
    def hot_pixel_indices(self):
        """Sorted flat indices (``row * nx + col``) of the hot pixels."""
        rng = camera_rng(self.camera_seed, Defect.HOT_PIXELS)
        return hotpixels.hot_pixel_indices(self.shape, self.hot_pixel_fraction, rng=rng)

    @property
    def hot_pixel_mask(self):
        """Boolean map of the hot pixels."""
        mask = np.zeros(self.shape[0] * self.shape[1], dtype=bool)
        mask[self.hot_pixel_indices] = True
        return mask.reshape(self.shape)

    @property
    def dark_map(self):
        """True dark current, in e-/pixel/s (float32), hot pixels included."""
        return dark.dark_map(self.shape, self.dark_current, self.hot_pixel_mask,
                                self.hot_pixel_factor)

    @property
    def has_flat(self):
        """True if the sensitivity is not uniform (vignetting, dust, PRNU, cosmetics, filter)."""
        return bool(self.vignetting or self.dust_spots or self.prnu or self.filter_flat
                    or flat.has_cosmetics(self))

    @cached_once
    def flat_map(self):
        """True sensitivity of the data section (float32, mean 1, read-only); multiplies light only.

        Dust from the ``Defect.DUST`` stream, PRNU from ``Defect.FLAT``, the
        cosmetics (`ccdsim.physics.flat`) from streams of their own. The same in
        every filter: `flat_for` gives a filter's.
        """
        dust = prnu = None
        if self.dust_spots:
            dust = flat.dust_donuts(self.shape, self.dust_spots,
                                       rng=camera_rng(self.camera_seed, Defect.DUST))
        if flat.has_cosmetics(self):  # multiplies like dust (none: the flat is unchanged)
            cos = flat.cosmetics_map(self)
            dust = cos if dust is None else dust * cos
        if self.prnu:
            prnu = flat.pixel_response(self.shape, self.prnu,
                                          rng=camera_rng(self.camera_seed, Defect.FLAT))
        return flat.flat_map(self.shape, vignetting_depth=self.vignetting, dust=dust, prnu=prnu)

    def flat_for(self, filter=None):
        """The sensitivity in ``filter`` (float32, mean 1, read-only); multiplies light only.

        `flat_map` x ``1 + filter_flat x p``, renormalised, with ``p`` a
        smooth pattern (`ccdsim.physics.flat.smooth_pattern`, mean 0, rms 1)
        drawn from the filter's own stream (`ccdsim.physics.flat.filter_rng`:
        the camera seed and the CRC-32 of the filter's name). Computed once
        per filter.

        Parameters
        ----------
        filter : str, optional
            The filter's name. None (or ``filter_flat`` 0): `flat_map` itself.

        Returns
        -------
        ndarray of float32
        """
        if filter is None or not self.filter_flat:
            return self.flat_map
        return cached_on(self, f"_flat_for({filter})", lambda: flat.flat_map(
            self.shape, dust=self.flat_map, prnu=flat.smooth_pattern(
                self.shape, self.filter_flat, rng=flat.filter_rng(self.camera_seed, filter))))


class ReadoutMaps(FixedPattern):
    """The camera's maps as the read-out sees them (mixed into `ccdsim.Camera`).

    Where each amplifier's pixels are, each one's gain, read noise and bias
    level, and the bias and data-quality bits of rows of the frame, built
    from the fixed pattern's maps.
    """

    @cached_map
    def geometry(self):
        """Where the data, overscan and prescan of each amplifier are (`ReadoutGeometry`).

        ``amplifiers`` in a grid (`ReadoutGeometry.of_camera`); one (the
        default) in the lower-left corner has its data at ``[0:ny, 0:nx]``.
        """
        return ReadoutGeometry.of_camera(self.parameters())

    @cached_map
    def column_gain_values(self):
        """Each column's gain as read out, e-/ADU, ``(NX,)``; None without column gain.

        The data columns' from ``Defect.COLUMN_GAIN`` (`ccdsim.physics.cmos.column_gains`),
        the others the camera's gain.
        """
        if not self.column_gain_rms:
            return None
        out = np.full(self.readout_shape[1], float(self.gain))
        amp = self.geometry.amplifier
        out[amp.data.columns] = cmos.column_gains(
            self.shape[1], self.gain, self.column_gain_rms,
            camera_rng(self.camera_seed, Defect.COLUMN_GAIN))
        return out

    @cached_map
    def amplifier_values(self):
        """Each amplifier's gain, read noise and bias level (`AmplifierValues.of_camera`)."""
        return AmplifierValues.of_camera(self)

    @property
    def readout_shape(self):
        """``(ny + overscan_rows, nx + overscan)``: the frame as read out, overscan included."""
        return self.geometry.shape

    def bias_rows(self, r0, r1):
        """Rows ``r0:r1`` of the data section's bias as read out (ADU, float32), overscan included.

        Built a block at a time on the hot path, so no full-size bias map is held.

        Parameters
        ----------
        r0, r1 : int
            First and one-past-last row of the data section.

        Returns
        -------
        ndarray of float32, shape ``(r1 - r0, NX)``
            Each amplifier's bias level; its data columns carry the bias
            structure, its serial overscan columns ``overscan_offset``.
        """
        amp = self.geometry.amplifier
        out = self.geometry.fill(self.amplifier_values.bias_level,
                                 slice(amp.data.y0 + r0, amp.data.y0 + r1))
        self.add_bias_structure(out[:, amp.data.columns], r0, r1)  # a view: the data columns
        if self.overscan_offset:
            out[:, amp.serial_overscan.columns] += np.float32(self.overscan_offset)
        return out

    def add_bias_structure(self, image, r0, r1):
        """Add the bias's structure (bad columns, 2-D structure) to rows of the data section.

        Parameters
        ----------
        image : ndarray of float32
            Rows ``r0:r1`` of the data section, ``(r1 - r0, nx)``, in ADU;
            changed in place.
        r0, r1 : int
            First and one-past-last row.
        """
        cols, pattern = self._bad_columns
        if len(cols):
            image[:, cols] += pattern[r0:r1, None]
        if self._bias_structure is not None:
            rows, columns = self._bias_structure
            image += rows[r0:r1, None] + columns[None, :]
        if self._pixel_offsets is not None:
            image += self._pixel_offsets[r0:r1] * self._offset_unit

    def hot_pixels_in_rows(self, r0, r1):
        """The hot pixels in rows ``r0:r1``.

        Parameters
        ----------
        r0, r1 : int
            First and one-past-last row.

        Returns
        -------
        tuple of ndarray
            ``(rows, cols)`` index arrays, rows relative to ``r0``.
        """
        return hotpixels.hot_pixels_in_rows(self.hot_pixel_indices, self.shape[1], r0, r1)

    def dq_rows(self, r0, r1):
        """Data-quality bits of the camera (hot pixels, bad columns) for rows ``r0:r1``.

        Parameters
        ----------
        r0, r1 : int
            First and one-past-last row.

        Returns
        -------
        ndarray of uint8, ``(r1 - r0, NX)``
        """
        dq = np.zeros((r1 - r0, self.readout_shape[1]), dtype=np.uint8)
        self.add_detector_dq(dq[:, self.geometry.amplifier.data.columns], r0, r1)  # a view
        return dq

    def add_detector_dq(self, image, r0, r1):
        """Or the camera's bits (hot pixels, bad columns, flat cosmetics) into ``image``.

        Parameters
        ----------
        image : ndarray of uint8
            Rows ``r0:r1`` of the data section, ``(r1 - r0, nx)``; changed in place.
        r0, r1 : int
            First and one-past-last row.
        """
        image[self.hot_pixels_in_rows(r0, r1)] |= DQ.HOT_PIXEL
        image[:, self.bad_column_indices] |= DQ.BAD_COLUMN
        add_personality_dq(self, image, r0, r1)


def add_personality_dq(camera, image, r0, r1):
    """Or the bits of the camera's personalities into ``image``: the hot-pixel population,
    the flat's cosmetics (dead columns, partial columns from their first bad row,
    low-sensitivity patches; `ccdsim.physics.flat`).

    Parameters
    ----------
    camera : ccdsim.Camera
        Its cosmetics' parameters and seed.
    image : ndarray of uint8
        Rows ``r0:r1`` of the data section, ``(r1 - r0, nx)``; changed in place.
    r0, r1 : int
        First and one-past-last row.
    """
    pop = hotpixels.population(camera)  # the hot-pixel population, if any
    if pop is not None:
        image[hotpixels.hot_pixels_in_rows(pop.index, camera.shape[1], r0, r1)] |= DQ.HOT_PIXEL
    dead, partial, start, patches = cached_on(camera, "_cosmetics_dq", lambda: _cosmetics(camera))
    image[:, dead] |= DQ.DEAD_COLUMN
    for col, row in zip(partial, start):
        image[max(row - r0, 0):, col] |= DQ.PARTIAL_COLUMN
    image[hotpixels.hot_pixels_in_rows(patches, camera.shape[1], r0, r1)] |= DQ.LOW_PATCH


def _cosmetics(camera):
    """Dead columns, partial columns and their first bad rows, and the sorted flat indices
    (``row * nx + col``) of the low-sensitivity patches' pixels (none without a depth)."""
    t = flat.cosmetics_table(camera)
    dead, partial = (t[t["kind"] == kind] for kind in ("dead", "partial"))
    nx = camera.shape[1]
    patches = [r * nx + c for r, c in flat.patch_pixels(camera)] if camera.patch_depth else []
    return (dead["x"].value.astype(int), partial["x"].value.astype(int),
            partial["y"].value.astype(int), np.unique(np.concatenate([np.zeros(0, int), *patches])))
