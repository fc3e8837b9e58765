"""Command line: ``universality train | losses | profiles``.

    universality train --profile book --task flipflop sine cdi [--data data] [--scheduler tcp://host:8786]
    universality losses --profile book            # final-loss distribution per task x arch x activation
    universality profiles                         # what each profile trains
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys

__all__ = ["main"]


def _train(args):
    from .population import get_profile, run_sweep

    profile = get_profile(args.profile)
    if args.n_seeds is not None:
        profile = profile.with_(n_seeds=args.n_seeds)
    cmd = "universality " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    table = run_sweep(profile, args.task, root=args.data, scheduler=args.scheduler, progress=not args.quiet,
                      command=cmd)
    counts = table.groupby(["task", "status"]).size().unstack(fill_value=0)
    print(counts.to_string())


def loss_summary(profile: str, root, tasks) -> "pandas.DataFrame":  # noqa: F821
    """Validation-loss quantiles per task x arch x activation, and diverged counts."""
    import pandas as pd

    from .population import load_population

    frames = []
    for t in tasks:
        pop = load_population(profile, t, root=root, require_complete=False)
        tab = pop.table.reset_index()
        frames.append(tab)
    tab = pd.concat(frames)
    g = tab.groupby(["task", "arch", "activation"])
    out = g["valid_loss"].describe(percentiles=[0.5])[["count", "min", "50%", "max"]]
    out = out.rename(columns={"50%": "median", "count": "trained"})
    out["diverged"] = g["diverged"].sum()
    out["trained"] = out["trained"].astype(int)
    return out


def _losses(args):
    import pandas as pd

    with pd.option_context("display.float_format", "{:.2e}".format, "display.width", 120):
        print(loss_summary(args.profile, args.data, args.task).to_string())


def _profiles(args):
    from .population import PROFILES

    for name, p in PROFILES.items():
        print(json.dumps(p.to_dict(), indent=1 if args.verbose else None))


def main(argv=None):
    from .store import DEFAULT_ROOT
    from .tasks import TASKS

    ap = argparse.ArgumentParser(prog="universality", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)

    tr = sub.add_parser("train", help="train the missing networks of a profile (resumable)")
    tr.add_argument("--profile", default="book", help="smoke, book or paper (default: book)")
    tr.add_argument("--task", nargs="+", default=list(TASKS), choices=list(TASKS))
    tr.add_argument("--data", default=str(DEFAULT_ROOT), help="store root (default: data)")
    tr.add_argument("--scheduler", default=None, help="Dask scheduler address; default: train in-process")
    tr.add_argument("--n-seeds", type=int, default=None, help="override the profile's seeds per configuration")
    tr.add_argument("--quiet", action="store_true", help="no progress bars")
    tr.set_defaults(func=_train)

    lo = sub.add_parser("losses", help="final-loss distribution per task x arch x activation")
    lo.add_argument("--profile", default="book")
    lo.add_argument("--task", nargs="+", default=list(TASKS), choices=list(TASKS))
    lo.add_argument("--data", default=str(DEFAULT_ROOT))
    lo.set_defaults(func=_losses)

    pr = sub.add_parser("profiles", help="print the profiles")
    pr.add_argument("--verbose", action="store_true")
    pr.set_defaults(func=_profiles)

    args = ap.parse_args(argv)
    args.func(args)


if __name__ == "__main__":  # pragma: no cover
    main()
