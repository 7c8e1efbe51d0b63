"""The amplifiers of a frame as read out: each one's sections, and where it sits.

`ReadoutGeometry` says where every amplifier's data, overscans and prescan
are (`Amplifier`), once; every other module (the read-out, the bias, the
FITS headers, overscan subtraction, the truth) asks it.
"""

from dataclasses import dataclass

import numpy as np

from .sections import Section

__all__ = ["Amplifier", "ReadoutGeometry", "CORNERS", "amplifier_layout"]

#: The corners an amplifier may read towards, as the glow's sources name them.
CORNERS = ("lower-left", "lower-right", "upper-left", "upper-right")


@dataclass(frozen=True)
class Amplifier:
    """One output amplifier: the sections of the frame it reads, and where it sits.

    Its sections tile its `segment` of the frame: the prescan columns (all
    its rows), and beside them the data, the serial overscan (the data's
    rows), the parallel overscan (the data's columns) and the corner where
    both overscans meet.

    Parameters
    ----------
    name : str
        Its name (``'A'``, ``'B'``, ... bottom row first, left to right).
    data : Section
        The light-sensitive pixels it reads (``DATASEC``), in the frame.
    serial_overscan : Section
        Columns read after each data row (``BIASSEC``): the data's rows, on
        the side away from the amplifier.
    parallel_overscan : Section
        Rows read after the last data row (``BIASSECR``): the data's columns,
        on the side away from the amplifier.
    overscan_corner : Section
        Where the two overscans meet: the parallel overscan's rows, the
        serial overscan's columns (in neither FITS section).
    prescan : Section
        Columns read before each row's data, between the amplifier and the
        data, all the segment's rows (empty for every camera so far).
    reads_towards : str
        The corner of the frame the amplifier sits in, which charge is
        clocked towards (one of `CORNERS`): rows nearest it are read first,
        and in each row the pixels nearest it.
    detector : Section
        The same pixels as ``data`` on the light-sensitive array, ``(ny, nx)``
        without overscan: where its data comes from.
    """

    name: str
    data: Section
    serial_overscan: Section
    parallel_overscan: Section
    overscan_corner: Section
    prescan: Section
    reads_towards: str
    detector: Section

    @property
    def segment(self):
        """Every pixel it reads: the `Section` its sections tile."""
        parts = self.sections().values()
        return Section(min(s.y0 for s in parts), max(s.y1 for s in parts),
                       min(s.x0 for s in parts), max(s.x1 for s in parts))

    def sections(self):
        """``{name: Section}`` of its data, overscans and prescan."""
        return {"data": self.data, "serial_overscan": self.serial_overscan,
                "parallel_overscan": self.parallel_overscan,
                "overscan_corner": self.overscan_corner, "prescan": self.prescan}

    @property
    def last_data_column(self):
        """The frame column of the data read last in each row (next to the serial overscan)."""
        return self.data.x1 - 1 if self.reads_towards.endswith("left") else self.data.x0

    def serial_overscan_columns(self):
        """The serial overscan's frame columns in the order they are read (first: next to the data).

        Returns
        -------
        ndarray of intp
        """
        cols = np.arange(self.serial_overscan.x0, self.serial_overscan.x1)
        return cols if self.reads_towards.endswith("left") else cols[::-1]


@dataclass(frozen=True)
class ReadoutGeometry:
    """Where each amplifier's sections are in the frame as read out.

    One amplifier (most cameras) sits in the lower-left corner: row 0 and
    column 0 are read first, its serial overscan columns follow the data on
    the right, its overscan rows the data rows at the top. Several sit in a
    grid (`grid`), each reading towards its corner.

    Parameters
    ----------
    shape : tuple of int
        ``(NY, NX)`` of the frame as read out, overscan included, in pixels.
    amplifiers : tuple of Amplifier
        Their segments tile the frame.
    """

    shape: tuple
    amplifiers: tuple

    @classmethod
    def grid(cls, shape, overscan=0, overscan_rows=0, *, layout=(1, 1), prescan=0):
        """The geometry of a chip read by a grid of amplifiers, one in a corner of each part.

        The light-sensitive ``shape`` is cut into ``layout`` equal parts; each
        part's amplifier reads towards the frame's nearest corner (the left
        half of the columns towards the left, the middle one too for an odd
        count; the bottom row of parts down). Each part is written in the
        frame as a segment: prescan next to the amplifier, then the data,
        then the serial overscan; the data rows, then the overscan rows.

        Parameters
        ----------
        shape : tuple of int
            ``(ny, nx)`` light-sensitive pixels, each a multiple of ``layout``'s.
        overscan : int, optional
            Serial overscan columns of each amplifier.
        overscan_rows : int, optional
            Parallel overscan rows of each amplifier.
        layout : tuple of int, optional
            ``(rows, columns)`` of amplifiers: 1 or 2 rows, any number of columns.
        prescan : int, optional
            Prescan columns of each amplifier.

        Returns
        -------
        ReadoutGeometry
        """
        (ny, nx), (ay, ax) = (int(v) for v in shape), (int(v) for v in layout)
        overscan, overscan_rows, prescan = int(overscan), int(overscan_rows), int(prescan)
        if ay not in (1, 2) or ax < 1 or ny % ay or nx % ax:
            raise ValueError(f"{ay}x{ax} amplifiers cannot share {ny}x{nx} pixels equally "
                             f"(1 or 2 rows of them)")
        if min(ny, nx) < 1 or min(overscan, overscan_rows, prescan) < 0:
            raise ValueError(f"no geometry for {ny}x{nx} pixels with overscan {overscan}, "
                             f"overscan_rows {overscan_rows}, prescan {prescan}")
        h, w = ny // ay, nx // ax
        sy, sx = h + overscan_rows, w + prescan + overscan
        amps = []
        for r in range(ay):
            for c in range(ax):
                towards = ("lower" if r == 0 else "upper") + ("-left" if 2 * c < ax else "-right")
                amps.append(_amplifier(chr(ord("A") + len(amps)), r * sy, c * sx, h, w,
                                       overscan, overscan_rows, prescan, towards,
                                       Section(r * h, (r + 1) * h, c * w, (c + 1) * w)))
        return cls((ay * sy, ax * sx), tuple(amps))

    @classmethod
    def of_camera(cls, parameters):
        """A camera's geometry: its ``amplifiers`` in a grid (`amplifier_layout`).

        A binned camera's frame: ``shape // binning`` data pixels (the
        leftover rows and columns are not read), the same overscan counts,
        in binned pixels (`ccdsim.readout.binning`); a CMOS sensor bins its
        optical-black (overscan) columns and rows as its data: their counts
        divided by the binning.

        Parameters
        ----------
        parameters : dict
            The camera's (`ccdsim.Camera.parameters`): ``shape``, ``overscan``
            columns, ``overscan_rows``, ``prescan`` columns (0 when missing),
            ``amplifiers`` (1 when missing), ``xbinning``, ``ybinning`` (1
            when missing) and ``sensor``.

        Returns
        -------
        ReadoutGeometry
        """
        (ny, nx), by, bx = (parameters["shape"], parameters.get("ybinning", 1),
                            parameters.get("xbinning", 1))
        overscan, rows = parameters.get("overscan", 0), parameters.get("overscan_rows", 0)
        if parameters.get("sensor") == "cmos":  # binned after the converter, as the data
            overscan, rows = overscan // bx, rows // by
        return cls.grid((ny // by, nx // bx), overscan, rows,
                        layout=amplifier_layout(parameters.get("amplifiers", 1)),
                        prescan=parameters.get("prescan", 0))

    @property
    def detector_shape(self):
        """``(ny, nx)``: the light-sensitive pixels, without overscan or prescan."""
        return (max(a.detector.y1 for a in self.amplifiers),
                max(a.detector.x1 for a in self.amplifiers))

    @property
    def amplifier(self):
        """The one amplifier of a frame read out through one (`ccdsim.readout.pipeline`'s)."""
        if len(self.amplifiers) != 1:
            raise ValueError(f"this frame is read out through {len(self.amplifiers)} "
                             f"amplifiers, not one (see ccdsim.readout.segments)")
        return self.amplifiers[0]

    def trimmed(self):
        """The geometry of the frame trimmed to its data: the detector, no overscan or prescan."""
        return ReadoutGeometry(self.detector_shape, tuple(
            _amplifier(a.name, a.detector.y0, a.detector.x0, *a.detector.shape, 0, 0, 0,
                       a.reads_towards, a.detector) for a in self.amplifiers))

    def regions(self, rows, columns=None):
        """Each amplifier's pixels among some rows (and columns) of the frame.

        What the compiled read-out takes (`ccdsim.readout.digitize`).

        Parameters
        ----------
        rows : slice
            Frame rows ``start:stop``.
        columns : ndarray of int, optional
            Sorted frame columns; default: all.

        Returns
        -------
        index : ndarray of intp
            The amplifiers with pixels there, ``(k,)``.
        regions : ndarray of int64
            ``(k, 4)``: their rows ``i0:i1`` and columns ``j0:j1``, counted
            from ``rows.start`` and in ``columns``.
        """
        index, regions = [], []
        for n, amp in enumerate(self.amplifiers):
            seg = amp.segment
            i0, i1 = max(seg.y0, rows.start) - rows.start, min(seg.y1, rows.stop) - rows.start
            if columns is None:
                j0, j1 = seg.x0, seg.x1
            else:
                j0, j1 = np.searchsorted(columns, [seg.x0, seg.x1])
            if i0 < i1 and j0 < j1:
                index.append(n)
                regions.append((i0, i1, j0, j1))
        return np.array(index, dtype=np.intp), np.array(regions, dtype=np.int64).reshape(-1, 4)

    def fill(self, values, rows, dtype=np.float32):
        """Rows of the frame holding each amplifier's value in its pixels.

        Parameters
        ----------
        values : ndarray
            One value per amplifier (e.g. each one's bias level).
        rows : slice
            Frame rows ``start:stop``.
        dtype : numpy dtype, optional
            Of the result.

        Returns
        -------
        ndarray, ``(stop - start, NX)``
        """
        out = np.empty((rows.stop - rows.start, self.shape[1]), dtype=dtype)
        for n, (i0, i1, j0, j1) in zip(*self.regions(rows)):
            out[i0:i1, j0:j1] = values[n]
        return out

    def describe(self):
        """Each amplifier's non-empty sections as FITS strings, and where it reads towards.

        Returns
        -------
        list of dict
        """
        return [{"name": a.name, "reads_towards": a.reads_towards,
                 **{k: s.fits for k, s in a.sections().items() if s.size},
                 "detector": a.detector.fits} for a in self.amplifiers]


def amplifier_layout(count):
    """The grid ``(rows, columns)`` of ``count`` amplifiers: 1x1, 1x2, or 2 rows of ``count / 2``.

    Parameters
    ----------
    count : int
        1, 2 or an even number.

    Returns
    -------
    tuple of int

    Raises
    ------
    ValueError
        An odd count above 1.
    """
    count = int(count)
    if count in (1, 2):
        return 1, count
    if count < 1 or count % 2:
        raise ValueError(f"amplifiers must be 1, 2 or an even number (got {count})")
    return 2, count // 2


def _amplifier(name, y, x, h, w, overscan, overscan_rows, prescan, towards, detector):
    """The amplifier whose segment starts at frame row ``y``, column ``x`` (`ReadoutGeometry.grid`)."""
    if towards.endswith("left"):  # prescan, data, overscan from left to right
        pre, data, over = x, x + prescan, x + prescan + w
    else:  # the mirror image: overscan, data, prescan
        over, data, pre = x, x + overscan, x + overscan + w
    rows, extra = (y, y + h) if towards.startswith("lower") else (y + overscan_rows, y)
    return Amplifier(
        name=name,
        data=Section(rows, rows + h, data, data + w),
        serial_overscan=Section(rows, rows + h, over, over + overscan),
        parallel_overscan=Section(extra, extra + overscan_rows, data, data + w),
        overscan_corner=Section(extra, extra + overscan_rows, over, over + overscan),
        prescan=Section(y, y + h + overscan_rows, pre, pre + prescan),
        reads_towards=towards, detector=detector)
