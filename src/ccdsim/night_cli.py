"""``ccdsim night``: the command line over `ccdsim.night` (imports it only to run)."""

import dataclasses

from .presets import NIGHT_CAMERA
from .validate import check_int


def add_parser(sub):
    """Add ``ccdsim night`` to the subcommands ``sub``."""
    from .cli import _add_camera_options, add_execution_options

    p = sub.add_parser("night", help="a night: biases, darks, flats, science frames + truth",
                       description="Write a night's frames as FITS into OUTDIR, with the true "
                                   "bias, dark and flat maps in OUTDIR/truth/.")
    p.add_argument("outdir", metavar="OUTDIR", help="folder to write (created if missing)")
    _add_camera_options(p)
    d = NIGHT_CAMERA
    g = p.add_argument_group("night camera")
    g.add_argument("--no-flat", action="store_true",
                   help=f"uniform sensitivity (default: vignetting {d['vignetting']:g}, "
                        f"{d['dust_spots']} dust donuts, PRNU {d['prnu']:g})")
    g.add_argument("--vignetting", type=float, default=d["vignetting"],
                   help="fractional light loss in the corners, 0..0.9 (default: %(default)s)")
    g.add_argument("--dust", type=int, default=d["dust_spots"], metavar="N",
                   help="number of dust donuts in the flat (default: %(default)s)")
    g.add_argument("--prnu", type=float, default=d["prnu"],
                   help="pixel response non-uniformity, rms fraction (default: %(default)s)")
    g.add_argument("--full-well", type=float, default=d["full_well"],
                   help="full well in electrons; charge above it bleeds along columns "
                        "(default: %(default)g)")
    g.add_argument("--no-full-well", action="store_true", help="unlimited pixel capacity")
    g.add_argument("--overscan", type=int, default=d["overscan"], metavar="NCOL",
                   help="overscan columns, bias + read noise only (default: %(default)s)")
    g.add_argument("--no-overscan", action="store_true", help="no overscan columns")
    g.add_argument("--cosmic-ray-rate", type=float, default=d["cosmic_ray_rate"],
                   help="cosmic rays in events/cm^2/s (default: %(default)s)")
    g.add_argument("--no-cosmic-rays", action="store_true", help="no cosmic rays")
    g.add_argument("--pixel-size", type=float, default=15.0,
                   help="pixel pitch in microns (default: 15)")
    f = p.add_argument_group("frames")
    f.add_argument("--n-bias", type=int, default=5, help="bias frames (default: 5)")
    f.add_argument("--n-dark", type=int, default=5,
                   help="dark frames at the science exposure (default: 5)")
    f.add_argument("--n-flat", type=int, default=5, help="flat fields (default: 5)")
    f.add_argument("--n-science", type=int, default=5, help="science frames (default: 5)")
    f.add_argument("--exposure", type=float, default=100.0,
                   help="science and dark exposure in seconds (default: 100)")
    f.add_argument("--flat-level", type=float, default=20000.0,
                   help="mean flat light in ADU, well below saturation (default: 20000)")
    f.add_argument("--flat-exposure", type=float, default=5.0,
                   help="flat exposure in seconds (default: 5)")
    f.add_argument("--sky", type=float, default=20.0,
                   help="sky in ADU per pixel over a science exposure (default: 20)")
    f.add_argument("--stars", type=int, default=50, metavar="N",
                   help="stars in the field (default: 50)")
    f.add_argument("--max-counts", type=float, default=2000.0,
                   help="largest star peak in ADU (default: 2000)")
    f.add_argument("--star-sigma", type=float, default=4.0,
                   help="Gaussian sigma of the stars in pixels (default: 4)")
    f.add_argument("--moffat", type=float, nargs=2, metavar=("FWHM", "BETA"), default=None,
                   help="Moffat stars of this FWHM (pixels) and beta instead of Gaussians")
    f.add_argument("--filter", default="R", help="FILTER keyword (default: R)")
    f.add_argument("--object", default="ccdsim field", help="OBJECT of the science frames")
    f.add_argument("--start", default="2026-03-20T19:00:00",
                   help="DATE-OBS of the first frame, UTC (default: 2026-03-20T19:00:00)")
    f.add_argument("--seed", type=int, default=None,
                   help="the night's seed, >= 0 (default: fresh, recorded as NIGHTSD)")
    o = p.add_argument_group("output")
    o.add_argument("--overwrite", action="store_true", help="replace existing files")
    o.add_argument("--threads", type=int, default=None,
                   help="worker threads (default: all CPUs; never changes the pixels)")
    add_execution_options(p)
    p.set_defaults(func=cmd_night)
    return p


def cmd_night(args, parser):
    """``ccdsim night``: check everything, then write the night."""
    from .cli import _camera_from_args, config_history
    from .execute import check_execution
    from .night import plan_night, write_night
    from .seeds import seed_text

    if args.threads is not None:
        check_int("threads", args.threads, low=1, high=1024)
    check_execution(args.workers, args.scheduler)
    from .resources import check_memory

    # Besides the frame: the electron image in float64 (8), the cosmic rays'
    # charge and its rounded copy (4 + 4), and the three truth maps (12).
    check_memory((args.shape[0], args.shape[1] + max(args.overscan, 0)), extra_per_pixel=28)
    camera = dataclasses.replace(
        _camera_from_args(args),
        vignetting=0.0 if args.no_flat else args.vignetting,
        dust_spots=0 if args.no_flat else args.dust,
        prnu=0.0 if args.no_flat else args.prnu,
        full_well=None if args.no_full_well else args.full_well,
        overscan=0 if args.no_overscan else args.overscan,
        cosmic_ray_rate=0.0 if args.no_cosmic_rays else args.cosmic_ray_rate,
        pixel_size=args.pixel_size)
    plan = plan_night(camera, n_bias=args.n_bias, n_dark=args.n_dark, n_flat=args.n_flat,
                      n_science=args.n_science, exposure=args.exposure,
                      flat_level=args.flat_level, flat_exposure=args.flat_exposure,
                      sky=args.sky, stars=args.stars, max_counts=args.max_counts,
                      star_sigma=args.star_sigma, moffat=args.moffat, filter=args.filter,
                      object=args.object, start=args.start, seed=args.seed)
    written = write_night(plan, args.outdir, overwrite=args.overwrite, threads=args.threads,
                          progress=False if args.quiet else None, workers=args.workers,
                          scheduler=args.scheduler, history=config_history(parser, args))
    ny, nx = camera.readout_shape
    print(f"wrote {len(written)} files to {args.outdir}: {plan.count('bias')} bias, "
          f"{plan.count('dark')} dark, {plan.count('flat')} flat, "
          f"{plan.count('science')} science ({ny}x{nx}), truth/; "
          f"NIGHTSD={seed_text(plan.seed_sequence)}")
    return 0
