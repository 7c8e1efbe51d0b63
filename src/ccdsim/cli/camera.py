"""``ccdsim camera fit``: a camera file measured from a folder of raw calibration frames.

Light at import (the parser is built for every command): the fit itself,
with numpy, astropy and ccdproc, is imported when the command runs.
"""

import importlib
import os

from ..core.validate import ParameterError

__all__ = ["add_parser", "run"]

KINDS = ("bias", "dark", "flat", "science")


def add_parser(sub, parser_class):
    """Add ``camera`` and its ``fit`` to the command line's sub-parsers.

    Parameters
    ----------
    sub : argparse._SubParsersAction
        ``ccdsim``'s sub-parsers.
    parser_class : type
        The parser class (errors as one line).

    Returns
    -------
    argparse.ArgumentParser
        The ``camera`` parser.
    """
    c = sub.add_parser("camera", help="a camera of your own: fit it from its frames",
                       description="Camera files.")
    csub = c.add_subparsers(dest="action", required=True, parser_class=parser_class)
    p = csub.add_parser(
        "fit", help="measure a camera from its biases, darks and flats; write a camera file",
        description="Measure a camera from a folder of its raw calibration frames (biases, "
                    "darks at one or more exposure times, flats; FITS, IMAGETYP/EXPTIME/FILTER/"
                    "DATE-OBS in the headers) and write a camera file (TOML and FITS maps) "
                    "that --camera-file simulates. Each value comes with its standard error; "
                    "what cannot be fitted from the frames given is listed. Needs "
                    "pip install 'ccdsim[twin]'.")
    p.add_argument("folder", metavar="FOLDER", help="folder of FITS frames")
    p.add_argument("-o", "--output", metavar="CAMERA.toml", required=True,
                   help="camera file to write (its maps beside it)")
    p.add_argument("--report", metavar="REPORT.html",
                   help="also write an HTML report: the frames beside frames simulated from the "
                        "fit, agreement in standard errors")
    p.add_argument("--imagetyp-key", default="IMAGETYP", metavar="KEY",
                   help="header keyword of the frame kind (default: IMAGETYP)")
    p.add_argument("--exptime-key", default="EXPTIME", metavar="KEY",
                   help="header keyword of the exposure time, s (default: EXPTIME, else EXPOSURE)")
    p.add_argument("--filter-key", default="FILTER", metavar="KEY",
                   help="header keyword of the filter (default: FILTER)")
    p.add_argument("--date-key", default="DATE-OBS", metavar="KEY",
                   help="header keyword of the exposure's start, ISO 8601 (default: DATE-OBS)")
    p.add_argument("--imagetyp-value", action="append", default=[], metavar="WORD=KIND",
                   help="the camera's own IMAGETYP value for a kind (bias, dark, flat, "
                        "science), e.g. ZERO=bias; repeat for several")
    p.add_argument("--pixel-size", type=float, metavar="UM",
                   help="pixel pitch in um, for the cosmic-ray rate (default: XPIXSZ or PIXSIZE "
                        "of the headers)")
    p.add_argument("--max-files", type=int, default=None, metavar="N",
                   help="refuse folders of more FITS files (default: 2000, "
                        "ccdsim.twin.collect.MAX_FILES)")
    p.add_argument("--overwrite", action="store_true", help="replace existing files")
    p.add_argument("--quiet", action="store_true", help="print only the files written")
    return c


def _words(values):
    out = {}
    for item in values:
        word, eq, kind = item.rpartition("=")
        if not eq or not word.strip() or kind.strip().lower() not in KINDS:
            raise ParameterError(f"--imagetyp-value {item!r}: give WORD=KIND, KIND one of "
                                 f"{', '.join(KINDS)}", param="imagetyp_value")
        out[word.strip()] = kind.strip().lower()
    return out


def _check_outputs(args):
    """Every output path checked before any frame is read."""
    paths = [args.output] + ([args.report] if args.report else [])
    if not args.output.lower().endswith(".toml"):
        raise ParameterError(f"-o {args.output}: a camera file ends in .toml", param="output")
    if args.report and not args.report.lower().endswith((".html", ".htm")):
        raise ParameterError(f"--report {args.report}: a report ends in .html", param="report")
    for path in paths:
        folder = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(folder):
            raise ParameterError(f"{path}: folder {folder} does not exist", param="output")
        if os.path.exists(path) and not args.overwrite:
            raise ParameterError(f"output {path} exists (use --overwrite)", param="output")
    if args.pixel_size is not None and not 0 < args.pixel_size <= 1000:
        raise ParameterError(f"--pixel-size {args.pixel_size:g}: must be in (0, 1000] um",
                             param="pixel_size")
    if args.max_files is not None and not 1 <= args.max_files <= 100000:
        raise ParameterError(f"--max-files {args.max_files}: must be in [1, 100000]",
                             param="max_files")


def run(args):
    """Fit, write the camera file (and the report), say what was found; the exit status.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed ``camera fit`` options.

    Returns
    -------
    int
    """
    _check_outputs(args)
    words = _words(args.imagetyp_value)
    twin = importlib.import_module("ccdsim.twin")
    fit = twin.fit_camera(args.folder, imagetyp_key=args.imagetyp_key,
                          exptime_key=args.exptime_key, filter_key=args.filter_key,
                          date_key=args.date_key, imagetyp_words=words,
                          pixel_size=args.pixel_size,
                          **({"max_files": args.max_files} if args.max_files else {}))
    written = fit.write(args.output, overwrite=args.overwrite)
    report = twin.write_report(fit, args.output, args.report, overwrite=args.overwrite) \
        if args.report else None
    if not args.quiet:
        print("\n".join(fit.summary()))
    print(f"wrote {args.output} and {len(written) - 1} maps beside it"
          + (f"; report {report}" if report else ""))
    return 0
