"""Command line: ``universality train | losses | fixed-points | sizes | analyse | artifacts | profiles | page | refs``.

    universality train --profile book --task flipflop sine cdi [--data data] [--scheduler tcp://host:8786]
    universality losses --profile book            # final-loss distribution per task x arch x activation
    universality fixed-points --task flipflop     # every network's fixed points, the modal count and its share
    universality sizes                           # within a class: geometry by size vs by architecture
    universality analyse my_gru.keras --task flipflop --out report   # your network among the book's (index.html)
    universality artifacts --check                # which shipped results are current (--ship: make them so)
    universality profiles                         # what each profile trains
    universality page task_flipflop -p n_bits 2 -o out.ipynb   # run a book page with other parameters
    universality refs [PAGE ...]                  # regenerate the nbval reference notebooks
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys

__all__ = ["main"]


# The names of population.PROFILES, kept here so that parsing the command line does not import
# TensorFlow (tests/test_cli.py checks the two agree).
PROFILE_NAMES = ("smoke", "book", "book-64", "paper")


class UserError(Exception):
    """A mistake of the user's (a name, a value, a missing or damaged file): one line, exit 2."""


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} must be a positive integer")
    return value


def _profile_name(text: str) -> str:
    if text not in PROFILE_NAMES:
        raise argparse.ArgumentTypeError(f"{text!r} is not one of {', '.join(PROFILE_NAMES)}")
    return text


def _train(args):
    from .profiles import get_profile
    from .sweep import run_sweep

    profile = get_profile(args.profile)
    if args.n_seeds is not None:
        profile = profile.with_(n_seeds=args.n_seeds)
    cmd = "universality " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    table = run_sweep(profile, args.task, root=args.data, scheduler=args.scheduler, progress=not args.quiet,
                      command=cmd, gradients=args.gradients)
    counts = table.groupby(["task", "status"]).size().unstack(fill_value=0)
    print(counts.to_string())
    trained = table[table.status == "trained"]
    if len(trained):
        from .sweep import training_time

        tt = training_time(profile, args.task, root=args.data)
        tt = tt[tt.timed & tt.group_id.isin(trained.group_id)]  # a group id names its task
        print(f"the {len(trained)} groups trained now cost {tt.cpu_seconds.sum():,.0f} s of CPU time "
              f"(each group's worker, all threads); per group: universality training-time --profile {args.profile} "
              f"--data {shlex.quote(str(args.data))} --by-group")


def _losses(args):
    import pandas as pd

    from .population import load_population, loss_table

    try:
        tab = pd.concat([load_population(args.profile, t, root=args.data, require_complete=False).table
                         for t in args.task])
    except FileNotFoundError as e:
        raise UserError(str(e)) from None
    with pd.option_context("display.float_format", "{:.2e}".format, "display.width", 120):
        print(loss_table(tab).to_string())
    if "left_out" in tab.columns:
        from .quality import THRESHOLDS

        for task, rows in tab.groupby("task"):
            print(f"{task}: quality criterion normalised error <= {THRESHOLDS[task]:g} (validation MSE / silent-output "
                  f"MSE); {int(rows.left_out.sum())} of {len(rows)} networks miss it and are left out of the "
                  f"analyses, {int(rows.diverged.sum())} diverged")


def _training_time(args):
    from .sweep import training_time

    tab = training_time(args.profile, args.task, root=args.data)
    if args.by_group:
        import pandas as pd

        with pd.option_context("display.width", 160, "display.max_rows", 500):
            print(tab.to_string(index=False, float_format="{:.0f}".format))
    total_cpu = 0.0
    for task, rows in tab.groupby("task", sort=False):
        timed = rows[rows.timed]
        cpu, wall = float(timed.cpu_seconds.sum()), float(timed.wall_seconds.sum())
        total_cpu += cpu
        partial = int((timed.networks_timed < timed.networks).sum())
        line = (f"{task}: {len(timed)} of {len(rows)} groups timed ({int(timed.networks_timed.sum())} of "
                f"{int(rows.networks.sum())} networks), {cpu:,.0f} CPU-s ({cpu / 3600:.2f} CPU-h), "
                f"{wall:,.0f} s of the groups' own wall time")
        if partial:
            line += f"; {partial} timed for part of their networks only"
        if len(timed) < len(rows):
            line += f"; untimed: {', '.join(rows[~rows.timed].group_id)}"
        print(line)
    if len(args.task) > 1:
        print(f"all: {total_cpu:,.0f} CPU-s ({total_cpu / 3600:.2f} CPU-h)")
    print("CPU time is each group's training process's (all threads, random search included); the groups of a "
          "sweep on N workers train side by side, so its wall clock is about the CPU time over N")


def _sizes(args):
    from . import analysis, effects, sizes, statistics
    from .hubs import find_hubs
    from .population import load_population
    from .studies import study_for

    try:
        pop = load_population(args.profile, args.task, root=args.data, require_complete=False)
    except FileNotFoundError as e:
        raise UserError(str(e)) from None
    pop = pop.trained()  # neither diverged nor left out by the quality criterion
    units = sorted(set(pop.table["units"].tolist()))
    if len(units) < 2:
        raise UserError(f"profile {args.profile!r} {args.task}: its trained networks have one size ({units}); "
                        "size as a label needs two (e.g. --profile book)")
    study = study_for(args.task)
    trials = study.representation_trials(pop.task, args.n_trials, args.seed)
    geo = analysis.geometry(pop, trials, metrics=tuple(args.metric), variance_kept=0.95)
    print(f"{args.profile} {args.task}: {len(pop)} trained networks, sizes {units}; L2 values trained at more than "
          "one size enter the comparison")
    for name, d in geo.items():
        res = sizes.compare(d, n_boot=args.n_boot, seed=args.seed)
        print(f"\n{name}: {find_hubs(d).summary}")
        print(f"  within a class, size vs architecture: {res}")
        print(res.table().to_string())
        for label in ("units", "arch"):
            p = statistics.cluster_stats(d, label, seed=args.seed).p_value
            dec = effects.decide(effects.nn_effect(d, label, n_boot=args.n_boot, seed=args.seed), p_value=p)
            print(f"  nearest neighbour by {label}: {dec}")


def _fixed_points(args):
    from collections import Counter

    import numpy as np

    from . import fixed_points as fp
    from .population import load_population
    from .studies import study_for
    from .topology import modal_count

    pop = load_population(args.profile, args.task, root=args.data, require_complete=False)
    n_div = int(pop.table["diverged"].sum()) if "diverged" in pop.table else 0
    study = study_for(args.task)
    cfg = study.fixed_point_config(n_initial=args.n_initial) if args.n_initial else study.fixed_point_config()
    fps = fp.find_population_fixed_points(pop, pop.task, cfg, progress=not args.quiet)
    if args.save:
        fp.save_collection(args.save, fps)
    for nid, f in fps.items():
        print(f"{nid}: {f.summary()}")
    modal, kept, aside = modal_count({k: len(v) for k, v in fps.items()})
    stable = Counter(int(np.sum(f.is_stable)) for f in fps.values())
    print("stable fixed points per network (count: networks): "
          + ", ".join(f"{k}: {v}" for k, v in sorted(stable.items())))
    print(f"modal fixed-point count: {modal}")
    print(f"networks with the modal count: {len(kept)}/{len(fps)} = {len(kept) / len(fps):.1%} "
          f"(set aside: {len(aside)}; diverged, not analysed: {n_div})")
    return 0


def _scalar(text: str):
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def _selection(items) -> dict:
    """``['units=64', 'l2=1e-05,1e-04']`` -> ``{'units': [64], 'l2': [1e-05, 0.0001]}``."""
    out = {}
    for item in items or ():
        key, eq, values = item.partition("=")
        if not eq or not key or not values:
            raise UserError(f"--select {item!r} is not LABEL=VALUE[,VALUE...], e.g. units=64 or l2=1e-05,1e-04")
        out[key] = [_scalar(v) for v in values.split(",")]
    return out


def _analyse(args):
    from pathlib import Path

    import numpy as np

    from .report import NO_TASK, analyse

    static = None
    if args.static_input:
        try:
            static = np.array([[float(v) for v in row.split(",")] for row in args.static_input])
        except ValueError:
            raise UserError(f"--static-input {args.static_input!r}: each must be comma-separated numbers, e.g. 0,0,0") \
                from None
    inputs = None
    if args.inputs:
        try:
            inputs = np.load(args.inputs, allow_pickle=False)
        except (OSError, ValueError) as e:
            raise UserError(f"--inputs {args.inputs!r} is not a readable .npy array ({e})") from None
    no_task = args.task == NO_TASK
    fp_config = None
    if no_task and args.n_initial:
        from .fixed_points import FixedPointConfig

        fp_config = FixedPointConfig(n_initial=args.n_initial)
    out = args.out or f"analysis-{Path(args.model[0]).stem}"
    rep = analyse(args.model, task=args.task, out=out, reference=None if args.reference == "none" else args.reference,
                  names=args.name or None, data_root=args.data, select=_selection(args.select),
                  n_trials=args.n_trials, seed=args.seed, dynamics=not args.no_dsa,
                  torch_nonlinearity=args.torch_nonlinearity,
                  fixed_point_changes={"n_initial": args.n_initial} if args.n_initial and not no_task else None,
                  static_inputs=static, inputs_btm=inputs, fixed_point_config=fp_config, progress=not args.quiet)
    print(rep.text())
    print(f"wrote {Path(out) / 'index.html'} and {len(rep.files) - 1} more files")
    return 0


def _artifacts(args):
    import pandas as pd

    from . import artifacts
    from .population import load_population

    ws = artifacts.Workspace.of(args.data, progress=not args.quiet)
    if args.ship:
        from .evidence import scorecard

        from .profiles import EARLIER_BOOK, get_profile

        prof = get_profile(args.profile)
        pops = {t: load_population(prof, t, root=args.data) for t in args.task}
        with artifacts.recording() as requests:
            scorecard(pops, workspace=ws)
        if prof.name == "book":
            # the scorecard page judges the earlier 64-network population too: its verdicts are
            # shipped, not the analyses behind them (the book's pages read those of the whole
            # population; the subset's would add megabytes to data/ for one table)
            with artifacts.recording() as earlier:
                scorecard({t: load_population(prof.restrict(**EARLIER_BOOK, task=t), t, root=args.data)
                           for t in args.task}, workspace=ws)
            requests += [r for r in earlier if r.kind == "scorecard"]
        for path in artifacts.ship(requests, ws):
            print(f"shipped {path.relative_to(ws.root)} ({path.stat().st_size / 1e6:.2f} MB)")
    table = artifacts.check(ws)
    if table.empty:
        print(f"no shipped artifacts in {ws.shipped_dir}")
        return 0
    with pd.option_context("display.width", 160, "display.max_colwidth", 60):
        print(table.to_string(index=False))
    stale = int((~table.current).sum())
    print(f"{len(table) - stale} of {len(table)} shipped artifacts are current" +
          (f"; {stale} are not: run 'universality artifacts --ship'" if stale else ""))
    return 1 if stale and args.check else 0


def _profiles(args):
    from .profiles import PROFILES

    for name, p in PROFILES.items():
        print(json.dumps(p.to_dict(), indent=1 if args.verbose else None))


def _page(args):
    import yaml

    from .notebooks import run_page

    import papermill as pm

    params = {k: yaml.safe_load(v) for k, v in args.parameter}
    out = args.output or f"{args.page}-out.ipynb"
    try:
        run_page(args.page, out, params, progress=False, stream=sys.stderr)
    except pm.PapermillExecutionError as e:  # the page stopped: its check cell names the bad parameter
        if e.ename in ("ParameterError", "DataError", "FileNotFoundError", "DamagedFileError"):
            raise UserError(f"page {args.page!r} stopped at cell {e.exec_count}: {e.evalue} (notebook so far: {out})")
        raise
    print(f"wrote {out}")


def _refs(args):
    from .notebooks import regenerate_references

    for p in regenerate_references(args.pages or None):
        print(f"wrote {p}")


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (exit status 2, no usage dump)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see: {self.prog} --help)\n")


def main(argv=None):
    """Run a command; user errors print one line and exit with status 2."""
    from .errors import DataError, ParameterError

    try:
        return _main(argv)
    except (UserError, ParameterError, DataError, FileNotFoundError) as e:
        print(f"universality: error: {e}", file=sys.stderr)
        raise SystemExit(2) from None


def _main(argv=None):
    """Build the parser (one sub-command per verb of the module's docstring), parse
    ``argv`` and run the chosen command; user errors print one line and exit with 2."""
    from .store import DEFAULT_ROOT
    from .tasks import TASKS

    ap = _Parser(prog="universality", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)

    tr = sub.add_parser("train", help="train the missing networks of a profile (resumable)")
    tr.add_argument("--profile", default="book", type=_profile_name, help="smoke, book, book-64 or paper (default: book)")
    tr.add_argument("--task", nargs="+", default=list(TASKS), choices=list(TASKS))
    tr.add_argument("--data", default=str(DEFAULT_ROOT), help="store root (default: data)")
    tr.add_argument("--scheduler", default=None, help="Dask scheduler address, or 'local' / 'local:N' for N single-threaded "
                    "local worker processes (default N: one per core); default: train in-process")
    tr.add_argument("--gradients", default="analytic", choices=["analytic", "autodiff"],
                    help="training step: written-out BPTT compiled with XLA (default), or GradientTape, which "
                         "reproduces bit for bit the networks stored before the former existed")
    tr.add_argument("--n-seeds", type=_positive_int, default=None,
                    help="override the profile's seeds per configuration")
    tr.add_argument("--quiet", action="store_true", help="no progress bars")
    tr.set_defaults(func=_train)

    lo = sub.add_parser("losses", help="final-loss distribution per task x arch x activation")
    lo.add_argument("--profile", default="book", type=_profile_name)
    lo.add_argument("--task", nargs="+", default=list(TASKS), choices=list(TASKS))
    lo.add_argument("--data", default=str(DEFAULT_ROOT))
    lo.set_defaults(func=_losses)

    tt = sub.add_parser("training-time", help="what each group's training cost (CPU and wall seconds), as the sweep "
                        "recorded it in the store")
    tt.add_argument("--profile", default="book", type=_profile_name)
    tt.add_argument("--task", nargs="+", default=list(TASKS), choices=list(TASKS))
    tt.add_argument("--data", default=str(DEFAULT_ROOT))
    tt.add_argument("--by-group", action="store_true", help="print every group's row")
    tt.set_defaults(func=_training_time)

    fx = sub.add_parser("fixed-points", help="every network's fixed points, the modal count and its share")
    fx.add_argument("--profile", default="book", type=_profile_name, help="smoke, book, book-64 or paper (default: book)")
    fx.add_argument("--task", default="flipflop", choices=list(TASKS))
    fx.add_argument("--data", default=str(DEFAULT_ROOT), help="store root (default: data)")
    fx.add_argument("--n-initial", type=_positive_int, default=None, help="initial states per network (default: the task's preset)")
    fx.add_argument("--save", default=None, help="also write the fixed points to this .npz")
    fx.add_argument("--quiet", action="store_true", help="no progress bars")
    fx.set_defaults(func=_fixed_points)

    sz = sub.add_parser("sizes", help="size as a label: within a class, does geometry vary more with size than "
                                      "between architectures? (a profile with two sizes, e.g. book)")
    sz.add_argument("--profile", default="book", type=_profile_name)
    sz.add_argument("--task", default="flipflop", choices=list(TASKS))
    sz.add_argument("--data", default=str(DEFAULT_ROOT), help="store root (default: data)")
    sz.add_argument("--metric", nargs="+", default=["svcca_matched", "svcca", "cka"],
                    choices=["svcca_matched", "svcca", "cka", "procrustes"])
    sz.add_argument("--n-trials", type=_positive_int, default=64)
    sz.add_argument("--n-boot", type=_positive_int, default=1000)
    sz.add_argument("--seed", type=int, default=0)
    sz.set_defaults(func=_sizes)

    an = sub.add_parser("analyse", help="your own network: its fixed points, topology and place among the book's "
                                         "networks, as CSV, PNG and an index.html")
    an.add_argument("model", nargs="+", help="a saved Keras model (.keras, .h5) or a PyTorch state dict saved as .npz "
                                             "(numpy arrays under the state dict's keys); several: also compared "
                                             "with each other")
    an.add_argument("--task", default="flipflop", choices=list(TASKS) + ["none"],
                    help="the task it was trained on (default flipflop); none: a task of its own (fixed points "
                         "under --static-input, eigenvalues, and several models compared with each other)")
    an.add_argument("--out", default=None, help="folder for the report (default: analysis-<first model's name>)")
    an.add_argument("--reference", default="book", choices=list(PROFILE_NAMES) + ["none"],
                    help="the population it is placed among (default book; none: no placement)")
    an.add_argument("--data", default=str(DEFAULT_ROOT), help="store root of the reference (default: data)")
    an.add_argument("--select", nargs="*", default=[], metavar="LABEL=VALUES",
                    help="only these reference networks, e.g. --select units=64 l2=1e-05,1e-04")
    an.add_argument("--name", nargs="*", default=[], help="the models' names (default: their file names)")
    an.add_argument("--torch-nonlinearity", default=None, choices=["tanh", "relu"],
                    help="the nonlinearity of a torch nn.RNN state dict (a state dict does not record it)")
    an.add_argument("--static-input", action="append", default=[], metavar="X1,X2,...",
                    help="--task none: a static input of the fixed-point search (repeat for several; default 0)")
    an.add_argument("--inputs", default=None, help="--task none: a .npy (trials, steps, inputs) the models run on "
                                                   "(default: N(0, 1) inputs)")
    an.add_argument("--n-trials", type=_positive_int, default=64, help="trials the representations are taken on "
                                                                     "(the study's share of them; default 64)")
    an.add_argument("--n-initial", type=_positive_int, default=None,
                    help="initial states of the fixed-point search (default: the study's preset; a change searches "
                         "the reference's points afresh once)")
    an.add_argument("--seed", type=int, default=0, help="seed of the trials (default 0)")
    an.add_argument("--no-dsa", action="store_true", help="skip DSA (the reference's all-pairs DSA is computed once "
                                                           "when it is not stored)")
    an.add_argument("--quiet", action="store_true", help="no progress bars")
    an.set_defaults(func=_analyse)

    ar = sub.add_parser("artifacts", help="which shipped results (fixed points, distances, DSA, scorecard) are "
                                          "current; --ship computes and ships them")
    ar.add_argument("--check", action="store_true", help="exit with status 1 when a shipped result is not current")
    ar.add_argument("--ship", action="store_true",
                    help="compute what the book's pages read (the scorecard's analyses) and ship it under "
                         "<data>/artifacts (committed for the book profile)")
    ar.add_argument("--profile", default="book", type=_profile_name)
    ar.add_argument("--task", nargs="+", default=list(TASKS), choices=list(TASKS))
    ar.add_argument("--data", default=str(DEFAULT_ROOT), help="store root (default: data)")
    ar.add_argument("--quiet", action="store_true", help="no progress bars")
    ar.set_defaults(func=_artifacts)

    pr = sub.add_parser("profiles", help="print the profiles")
    pr.add_argument("--verbose", action="store_true")
    pr.set_defaults(func=_profiles)

    pg = sub.add_parser("page", help="run a book page with papermill and other parameters")
    pg.add_argument("page", help="page name, e.g. task_flipflop or figure1")
    pg.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                    help="a parameter (VALUE is read as YAML: 2, 0.5, true, [gru, lstm])")
    pg.add_argument("-o", "--output", default=None, help="output notebook (default: <page>-out.ipynb)")
    pg.set_defaults(func=_page)

    rf = sub.add_parser("refs", help="regenerate the nbval reference notebooks in tests/notebooks")
    rf.add_argument("pages", nargs="*", help="only these pages (default: all)")
    rf.set_defaults(func=_refs)

    args = ap.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":  # pragma: no cover
    main()
