"""Training a population of networks in one batched graph.

Every network p of a population has its own seed (initial weights and its own stream of
training batches), its own L2 coefficient and its own optimiser hyperparameters, held as
vectors, so that a configuration's random search and all its seeds train together.  The
loss of network p is

    L_p = mean_{b,t,o} (y_hat - y)^2 + l2_p * sum_{W in weight matrices} ||W||_F^2

and its update is SGD with momentum (Polyak 1964; the accumulator form
``m <- mu_p m + g;  w <- w - lr_p(i) m``) with an exponentially decaying learning rate
``lr_p(i) = lr0_p * decay_p ** (i / decay_steps)`` and gradient clipping by the global
norm of network p's gradient (``g <- g * min(1, clip_p / ||g||)``).  Adam is available as
an option for short budgets (a deviation from the paper; stated wherever used).

A network whose loss or gradient norm becomes NaN/inf is marked diverged at that
iteration, its updates stop, and training of the others continues; diverged networks
are recorded and excluded downstream, never a crash.

Batches are a pure function of (network seed, iteration), so a run resumed from a
checkpoint sees exactly the batches an uninterrupted run would, and a network trains to
the same weights whether it is trained alone or stacked with others.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import tensorflow as tf
from tqdm import tqdm

from . import bptt, cells
from .errors import ParameterError
from .store import atomic_savez
from .tasks import Task

__all__ = [
    "OPTIMIZERS",
    "HParams",
    "TrainConfig",
    "TrainResult",
    "sample_hparams",
    "batch_for",
    "validation_batch",
    "evaluate",
    "train_population",
    "bucket_length",
    "CURRICULUM_BUCKETS",
]

OPTIMIZERS = ("sgd_momentum", "adam")
#: How the training step takes gradients: written-out BPTT (``bptt``, XLA-compiled) or
#: GradientTape through ``cells.run`` (the original step, kept as the reference).
GRADIENTS = ("analytic", "autodiff")

# Stream tags keep training, validation and other draws independent.
_TRAIN_STREAM = 1
_VALID_STREAM = 2

# Random-search ranges of the paper (Section 2.1).
SEARCH_RANGES = {
    "clip": (0.1, 10.0, "log"),
    "learning_rate": (1e-5, 0.1, "log"),
    "decay_rate": (0.1, 0.9, "linear"),
    "momentum": (0.0, 1.0, "linear"),
}


@dataclass(frozen=True)
class HParams:
    """Optimiser hyperparameters of one network."""

    learning_rate: float = 0.01
    decay_rate: float = 0.5
    momentum: float = 0.9
    clip: float = 1.0

    def __post_init__(self):
        for name in ("learning_rate", "clip"):
            v = getattr(self, name)
            if not (np.isfinite(v) and v > 0):
                raise ParameterError(f"{name}={v!r} must be a finite number > 0")
        if not (0.0 < self.decay_rate <= 1.0):
            raise ParameterError(f"decay_rate={self.decay_rate!r} must be in (0, 1]")
        if not (0.0 <= self.momentum < 1.0):
            raise ParameterError(f"momentum={self.momentum!r} must be in [0, 1)")


def sample_hparams(rng: np.random.Generator, n: int) -> list[HParams]:
    """Draw ``n`` hyperparameter sets from the paper's search ranges.

    clip log-uniform in [0.1, 10]; initial learning rate log-uniform in [1e-5, 0.1];
    decay rate uniform in [0.1, 0.9]; momentum uniform in [0, 1) (capped at 0.99).
    """
    out = []
    for _ in range(n):
        vals = {}
        for name, (lo, hi, kind) in SEARCH_RANGES.items():
            u = rng.random()
            vals[name] = float(np.exp(np.log(lo) + u * (np.log(hi) - np.log(lo)))) if kind == "log" else lo + u * (hi - lo)
        vals["momentum"] = min(vals["momentum"], 0.99)
        out.append(HParams(**vals))
    return out


@dataclass(frozen=True)
class TrainConfig:
    """How long and how to train (shared by every network of a population).

    Parameters
    ----------
    iterations : number of parameter updates (paper: 20,000)
    batch_size : trials per update (paper: 64)
    optimizer : 'sgd_momentum' (paper) or 'adam'
    decay_steps : the learning rate falls by ``decay_rate`` every ``decay_steps``
        iterations; default ``iterations / 10`` (the paper does not say)
    log_every : iterations between points of the stored loss curve
    checkpoint_every : iterations between checkpoints when a checkpoint path is given
    valid_size : trials in the validation set (drawn from ``valid_seed``, the same for
        every network, never used for training)
    curriculum : fraction of the iterations over which the trial length grows linearly
        from ``curriculum_start`` steps to the task's full T (0: no curriculum).  Training
        batches are then prefixes of the full trials; validation always uses full trials.
    curriculum_start : trial length at the first iteration when ``curriculum`` > 0
    """

    iterations: int = 20_000
    batch_size: int = 64
    optimizer: str = "sgd_momentum"
    decay_steps: int | None = None
    log_every: int = 10
    checkpoint_every: int = 250
    valid_size: int = 256
    valid_seed: int = 2019
    curriculum: float = 0.0
    curriculum_start: int = 20

    def __post_init__(self):
        for name in ("iterations", "batch_size", "log_every", "checkpoint_every", "valid_size"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
                raise ParameterError(f"{name}={v!r} must be a positive integer")
        if self.optimizer not in OPTIMIZERS:
            raise ParameterError(f"optimizer={self.optimizer!r} is not one of {OPTIMIZERS!r}")
        if not (0.0 <= self.curriculum <= 1.0):
            raise ParameterError(f"curriculum={self.curriculum!r} must be in [0, 1]")
        if isinstance(self.curriculum_start, bool) or not isinstance(self.curriculum_start, (int, np.integer)) \
                or self.curriculum_start < 1:
            raise ParameterError(f"curriculum_start={self.curriculum_start!r} must be a positive integer")
        if self.decay_steps is not None and (not isinstance(self.decay_steps, (int, np.integer)) or self.decay_steps < 1):
            raise ParameterError(f"decay_steps={self.decay_steps!r} must be None or a positive integer")

    def trial_length(self, iteration: int, n_steps: int) -> int:
        """Number of time steps trained on at ``iteration`` (the curriculum), <= n_steps."""
        if self.curriculum <= 0:
            return n_steps
        ramp = self.curriculum * self.iterations
        frac = min(1.0, iteration / ramp) if ramp > 0 else 1.0
        start = min(self.curriculum_start, n_steps)
        length = start + frac * (n_steps - start)
        return int(min(n_steps, max(start, 10 * round(length / 10))))

    @property
    def effective_decay_steps(self) -> float:
        return float(self.decay_steps) if self.decay_steps else max(1.0, self.iterations / 10.0)


@dataclass
class TrainResult:
    """Outcome of training P networks (numpy arrays, population axis first)."""

    params: dict[str, np.ndarray]
    curve_iterations: np.ndarray  # (n_log,)
    loss_curve: np.ndarray  # (P, n_log) training MSE averaged over each log interval
    train_loss: np.ndarray  # (P,) training MSE over the last log interval
    valid_loss: np.ndarray  # (P,) MSE on the validation set, after training
    diverged: np.ndarray  # (P,) bool
    diverged_at: np.ndarray  # (P,) iteration at which the loss became non-finite, -1 if never
    extra: dict = field(default_factory=dict)


def batch_for(task: Task, seed: int, iteration: int, batch_size: int):
    """The training batch network ``seed`` sees at ``iteration`` (pure function)."""
    rng = np.random.default_rng([int(seed), int(iteration), _TRAIN_STREAM])
    return task.sample(rng, batch_size)


def validation_batch(task: Task, config: TrainConfig):
    return task.sample(np.random.default_rng([int(config.valid_seed), _VALID_STREAM]), config.valid_size)


def _population_batch(task: Task, seeds: Sequence[int], iteration: int, batch_size: int):
    batches = [batch_for(task, s, iteration, batch_size) for s in seeds]
    x = np.stack([b.inputs_btm for b in batches])
    y = np.stack([b.targets_bto for b in batches])
    return x, y


def evaluate(spec: cells.CellSpec, params: Mapping[str, np.ndarray], inputs_btm, targets_bto, chunk: int = 64) -> np.ndarray:
    """MSE of each of P networks on the same trials: returns (P,)."""
    tp = {k: tf.convert_to_tensor(v) for k, v in params.items()}
    n_pop = next(iter(tp.values())).shape[0]
    total = np.zeros(n_pop)
    n = len(inputs_btm)
    for start in range(0, n, chunk):
        x = np.broadcast_to(inputs_btm[start : start + chunk], (n_pop,) + inputs_btm[start : start + chunk].shape)
        y = targets_bto[start : start + chunk]
        yhat = cells.readout(spec, tp, cells.run(spec, tp, x)).numpy()
        with np.errstate(over="ignore", invalid="ignore"):
            total += ((yhat - y[None]) ** 2).sum(axis=(1, 2, 3))
    return total / (n * targets_bto.shape[1] * targets_bto.shape[2])


#: A curriculum's trial lengths are padded up to one of this many lengths (T/4, T/2,
#: 3T/4, T, rounded up to the curriculum's 10-step grid), so the compiled step is one
#: program per bucket instead of one per length (the sine curriculum has 49 lengths);
#: 0 trains every length as it is (the benchmark's baseline).
CURRICULUM_BUCKETS = 4


def bucket_length(t_len: int, n_steps: int, n_buckets: int = CURRICULUM_BUCKETS) -> int:
    """The padded length a trial of ``t_len`` steps (of at most ``n_steps``) trains at:
    the smallest of ``n_buckets`` evenly spaced lengths (multiples of 10 up to
    ``n_steps``) that is at least ``t_len``."""
    if not 1 <= t_len <= n_steps:
        raise ParameterError(f"t_len={t_len!r} must be in [1, n_steps={n_steps}]")
    for k in range(1, n_buckets + 1):
        b = min(n_steps, 10 * -(-(k * n_steps) // (10 * n_buckets)))
        if b >= t_len:
            return b
    return n_steps


def _per_network_sum(t):
    return tf.reduce_sum(tf.reshape(t, [tf.shape(t)[0], -1]), axis=1)


def _expand(v, rank):
    return tf.reshape(v, [-1] + [1] * (rank - 1))


class _Trainer:
    """Holds the variables and the compiled step of one population."""

    def __init__(self, spec, params, l2, hparams: Sequence[HParams], config: TrainConfig,
                 gradients: str = "analytic", jit: bool | None = None):
        if gradients not in GRADIENTS:
            raise ParameterError(f"gradients={gradients!r} is not one of {GRADIENTS!r}")
        self.spec = spec
        self.gradients = gradients
        self.config = config
        self.names = list(params)
        self.vars = {k: tf.Variable(np.asarray(v, np.float32), name=k) for k, v in params.items()}
        self.slots = {k: tf.Variable(tf.zeros_like(v), name=k + "_m") for k, v in self.vars.items()}
        self.slots2 = {k: tf.Variable(tf.zeros_like(v), name=k + "_v") for k, v in self.vars.items()}
        f32 = lambda a: tf.constant(np.asarray(a, np.float32))  # noqa: E731
        self.l2 = f32(l2)
        self.lr0 = f32([h.learning_rate for h in hparams])
        self.decay = f32([h.decay_rate for h in hparams])
        self.mom = f32([h.momentum for h in hparams])
        self.clip = f32([h.clip for h in hparams])
        n_pop = len(hparams)
        self.alive = tf.Variable(tf.ones([n_pop], tf.bool))
        self.reg_names = cells.regularised_names(spec)
        self.decay_steps = tf.constant(config.effective_decay_steps, tf.float32)
        # XLA by default with the written-out gradients (measured: benchmarks/training.py);
        # the autodiff step is kept as it was, the baseline the benchmark compares with
        self.jit = (gradients == "analytic") if jit is None else bool(jit)
        self._step = tf.function(self._train_step, reduce_retracing=not self.jit, jit_compile=self.jit)

    def state(self) -> dict[str, np.ndarray]:
        out = {f"param/{k}": v.numpy() for k, v in self.vars.items()}
        out.update({f"slot/{k}": v.numpy() for k, v in self.slots.items()})
        out.update({f"slot2/{k}": v.numpy() for k, v in self.slots2.items()})
        out["alive"] = self.alive.numpy()
        return out

    def load_state(self, st: Mapping[str, np.ndarray]):
        for k in self.names:
            self.vars[k].assign(st[f"param/{k}"])
            self.slots[k].assign(st[f"slot/{k}"])
            self.slots2[k].assign(st[f"slot2/{k}"])
        self.alive.assign(st["alive"])

    def _train_step(self, x, y, it, n_valid=None):
        spec = self.spec
        if self.gradients == "analytic":
            mse, loss, g = bptt.loss_and_grads(spec, self.vars, x, y, self.l2, n_valid=n_valid)
            grads = [g[k] for k in self.names]
        else:
            if n_valid is not None:
                raise ParameterError("padded trials (n_valid) need gradients='analytic'")
            with tf.GradientTape() as tape:
                states = cells.run(spec, self.vars, x)
                yhat = cells.readout(spec, self.vars, states)
                mse = tf.reduce_mean(tf.square(yhat - y), axis=[1, 2, 3])
                pen = tf.add_n([_per_network_sum(tf.square(self.vars[k])) for k in self.reg_names])
                loss = mse + self.l2 * pen
                total = tf.reduce_sum(loss)
            grads = tape.gradient(total, [self.vars[k] for k in self.names])
        sq = tf.add_n([_per_network_sum(tf.square(g)) for g in grads])
        norm = tf.sqrt(sq)
        ok = self.alive & tf.math.is_finite(loss) & tf.math.is_finite(norm)
        scale = tf.minimum(1.0, self.clip / tf.maximum(norm, 1e-12))
        itf = tf.cast(it, tf.float32)
        lr = self.lr0 * tf.pow(self.decay, itf / self.decay_steps)
        for k, g in zip(self.names, grads):
            v, m, m2 = self.vars[k], self.slots[k], self.slots2[k]
            rank = len(v.shape)
            okr = _expand(ok, rank)
            g = tf.where(okr, g * _expand(scale, rank), 0.0)
            if self.config.optimizer == "sgd_momentum":
                m_new = _expand(self.mom, rank) * m + g
                upd = _expand(lr, rank) * m_new
            else:  # adam (beta1 0.9, beta2 0.999, eps 1e-8)
                m_new = 0.9 * m + 0.1 * g
                m2_new = 0.999 * m2 + 0.001 * tf.square(g)
                t1 = itf + 1.0
                mhat = m_new / (1.0 - tf.pow(0.9, t1))
                vhat = m2_new / (1.0 - tf.pow(0.999, t1))
                upd = _expand(lr, rank) * mhat / (tf.sqrt(vhat) + 1e-8)
                m2.assign(tf.where(okr, m2_new, m2))
            m.assign(tf.where(okr, m_new, m))
            v.assign_sub(tf.where(okr, upd, 0.0))
        self.alive.assign(ok)
        return mse, ok

    def step(self, x, y, it, n_valid: int | None = None):
        """One update on (P, B, T, .) trials; with ``n_valid`` only the first ``n_valid``
        steps count (the rest is padding, see :func:`bucket_length`)."""
        args = (tf.constant(x), tf.constant(y), tf.constant(it, tf.int64))
        if n_valid is not None:
            args += (tf.constant(n_valid, tf.int32),)
        mse, ok = self._step(*args)
        return mse.numpy(), ok.numpy()

    @property
    def programs(self) -> int:
        """How many programs the step has been traced (and, with XLA, compiled) into."""
        return int(self._step.experimental_get_tracing_count())


def train_population(
    task: Task,
    spec: cells.CellSpec,
    seeds: Sequence[int],
    l2: Sequence[float] | float,
    hparams: Sequence[HParams] | HParams,
    config: TrainConfig,
    checkpoint: str | os.PathLike | None = None,
    progress: bool = True,
    desc: str | None = None,
    initial_params: Mapping[str, np.ndarray] | None = None,
    gradients: str = "analytic",
) -> TrainResult:
    """Train P networks of one ``spec`` together.

    Parameters
    ----------
    task : the task to train on (inputs/outputs must match ``spec``)
    spec : the population's shared cell description
    seeds : (P,) one integer per network: initial weights and training batches
    l2 : (P,) or scalar L2 coefficients
    hparams : (P,) or one :class:`HParams`
    config : :class:`TrainConfig`
    checkpoint : optional path of an ``.npz`` checkpoint; when it exists training resumes
        from it, and it is rewritten every ``config.checkpoint_every`` iterations and
        deleted at the end
    progress : show a tqdm bar (networks alive, iteration, median loss)
    desc : label of the progress bar
    initial_params : stacked starting weights; default ``cells.init_params(spec, seeds)``
    gradients : 'analytic' (written-out BPTT, XLA-compiled; default) or 'autodiff'
        (GradientTape through ``cells.run``, the original step).  The two give the same
        gradients to float32 round-off; trained weights then differ by round-off grown
        over the iterations, so a stored network is reproduced bit for bit only by the
        method that trained it.

    The result's ``extra`` holds 'programs' (compiled training steps), 'cpu_seconds' and
    'wall_seconds' (this process's CPU time, all threads, and the wall time spent training,
    summed over the runs a checkpoint joins) and 'resumed_at' (the iteration this run
    started from).
    """
    seeds = [int(s) for s in seeds]
    n_pop = len(seeds)
    if n_pop == 0:
        raise ParameterError("seeds is empty: a population needs at least one network")
    if spec.n_inputs != task.n_inputs or spec.n_outputs != task.n_outputs:
        raise ParameterError(
            f"spec has n_inputs={spec.n_inputs}, n_outputs={spec.n_outputs} but task {task.name!r} "
            f"needs n_inputs={task.n_inputs}, n_outputs={task.n_outputs}"
        )
    l2 = np.broadcast_to(np.asarray(l2, np.float64), (n_pop,)).copy()
    if np.any(~np.isfinite(l2)) or np.any(l2 < 0):
        raise ParameterError(f"l2={l2.tolist()!r} must be finite and >= 0")
    if isinstance(hparams, HParams):
        hparams = [hparams] * n_pop
    hparams = list(hparams)
    if len(hparams) != n_pop:
        raise ParameterError(f"hparams has {len(hparams)} entries but seeds has {n_pop}: give one per network")

    if initial_params is None:
        initial_params = cells.init_params(spec, seeds)
    shapes = cells.param_shapes(spec)
    if set(initial_params) != set(shapes) or any(
            np.shape(initial_params[k]) != (n_pop,) + shapes[k] for k in shapes):
        raise ParameterError(f"initial_params must hold {sorted(shapes)} with a leading axis of {n_pop} networks")
    # the training's cost: process CPU time (every thread of this process) and wall time,
    # carried over an interruption by the checkpoint
    cpu0, wall0 = time.process_time(), time.perf_counter()
    cpu_before = wall_before = 0.0
    trainer = _Trainer(spec, initial_params, l2, hparams, config, gradients=gradients)
    n_log = config.iterations // config.log_every
    curve = np.full((n_pop, n_log), np.nan)
    diverged_at = np.full(n_pop, -1, np.int64)
    acc = np.zeros(n_pop)
    start = 0
    ckpt = Path(checkpoint) if checkpoint is not None else None
    fingerprint = json.dumps(
        {"task": task.params(), "spec": asdict(spec), "seeds": seeds, "l2": l2.tolist(),
         "init": hashlib.sha256(b"".join(np.ascontiguousarray(initial_params[k], np.float32).tobytes()
                                         for k in sorted(initial_params))).hexdigest(),
         "hparams": [asdict(h) for h in hparams], "config": asdict(config)}, sort_keys=True)
    if ckpt is not None and ckpt.exists():
        with np.load(ckpt, allow_pickle=False) as z:
            if str(z["fingerprint"]) == fingerprint:
                trainer.load_state({k: z[k] for k in z.files})
                start = int(z["iteration"])
                curve = z["curve"].copy()
                diverged_at = z["diverged_at"].copy()
                acc = z["acc"].copy()
                if "cpu_seconds" in z.files:  # checkpoints written before the clocks carry none
                    cpu_before, wall_before = float(z["cpu_seconds"]), float(z["wall_seconds"])
    bar = tqdm(total=config.iterations, initial=start, desc=desc or f"{task.name}/{spec.arch}-{spec.activation}",
               disable=not progress, leave=False, mininterval=1.0)
    # a curriculum with the written-out gradients trains on padded trials: the first t_len
    # steps of each trial count, padded up to a bucket's length (few compiled programs);
    # the autodiff step (the reference) trains on the cut trials themselves
    pad = bool(config.curriculum) and gradients == "analytic" and CURRICULUM_BUCKETS > 0
    for it in range(start, config.iterations):
        x, y = _population_batch(task, seeds, it, config.batch_size)
        t_len = config.trial_length(it, x.shape[2])
        n_valid = None
        if pad:
            n_valid, t_len = t_len, bucket_length(t_len, x.shape[2])
        if t_len < x.shape[2]:
            x, y = np.ascontiguousarray(x[:, :, :t_len]), np.ascontiguousarray(y[:, :, :t_len])
        if n_valid is not None:  # the padding's inputs and targets are zero (and masked)
            x[:, :, n_valid:] = 0.0
            y[:, :, n_valid:] = 0.0
        mse, ok = trainer.step(x, y, it, n_valid)
        newly = (~ok) & (diverged_at < 0)
        diverged_at[newly] = it
        acc += np.where(ok, mse, 0.0)
        if (it + 1) % config.log_every == 0:
            j = (it + 1) // config.log_every - 1
            curve[:, j] = np.where(diverged_at < 0, acc / config.log_every, np.nan)
            acc[:] = 0.0
            if progress:
                alive = diverged_at < 0
                med = float(np.median(curve[alive, j])) if alive.any() else float("nan")
                bar.set_postfix(nets=f"{int(alive.sum())}/{n_pop}", loss=f"{med:.3g}", refresh=False)
        bar.update(1)
        if ckpt is not None and (it + 1) % config.checkpoint_every == 0 and it + 1 < config.iterations:
            st = trainer.state()
            st.update(fingerprint=np.array(fingerprint), iteration=np.array(it + 1), curve=curve,
                      diverged_at=diverged_at, acc=acc,
                      cpu_seconds=np.array(cpu_before + time.process_time() - cpu0),
                      wall_seconds=np.array(wall_before + time.perf_counter() - wall0))
            atomic_savez(ckpt, st)
    bar.close()

    params = {k: v.numpy() for k, v in trainer.vars.items()}
    diverged = diverged_at >= 0
    vb = validation_batch(task, config)
    valid = evaluate(spec, params, vb.inputs_btm, vb.targets_bto)
    valid[diverged] = np.nan
    last = curve[:, -1] if n_log else np.full(n_pop, np.nan)
    if ckpt is not None and ckpt.exists():
        ckpt.unlink()
    return TrainResult(
        params=params,
        curve_iterations=(np.arange(n_log) + 1) * config.log_every,
        loss_curve=curve,
        train_loss=last,
        valid_loss=valid,
        diverged=diverged,
        diverged_at=diverged_at,
        extra={"programs": trainer.programs, "resumed_at": start,
               "cpu_seconds": cpu_before + time.process_time() - cpu0,
               "wall_seconds": wall_before + time.perf_counter() - wall0},
    )
