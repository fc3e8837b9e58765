"""SVCCA and linear CKA: invariances, an independent reference, all-pairs batching, errors."""

import numpy as np
import pandas as pd
import pytest
import scipy.linalg as sla

from universality import similarity
from universality.similarity import (
    cka_distance,
    linear_cka,
    pairwise_distances,
    reduce,
    svcca_correlations,
    svcca_distance,
)

SEEDS = [0, 1, 2, 3, 4]




def latent_data(rng, n=400, rank=5, units=64, noise=0.0):
    """X = Z B (+ noise): a rank-`rank` signal in `units` units, (n, units)."""
    z = rng.standard_normal((n, rank))
    x = z @ rng.standard_normal((rank, units)) + 3.0
    return x + noise * rng.standard_normal((n, units))


def random_orthogonal(rng, p):
    q, r = np.linalg.qr(rng.standard_normal((p, p)))
    return q * np.sign(np.diag(r))


# ----------------------------------------------------- independent reference (from the maths)


def reference_reduce(x, variance_kept):
    """PCA by scipy's SVD: the smallest k with sum_{i<=k} s_i^2 >= v sum s_i^2."""
    xc = x - x.mean(axis=0)
    _, s, vt = sla.svd(xc, full_matrices=False)
    frac = np.cumsum(s**2) / np.sum(s**2)
    k = int(np.nonzero(frac >= variance_kept)[0][0]) + 1
    return xc @ vt[:k].T


def inv_sqrt(c):
    w, v = sla.eigh(c)
    return (v / np.sqrt(w)) @ v.T


def reference_svcca(x, y, variance_kept=0.95):
    """CCA by whitening: rho = svd(Cxx^-1/2 Cxy Cyy^-1/2); distance 1 - mean(rho)."""
    a, b = reference_reduce(x, variance_kept), reference_reduce(y, variance_kept)
    t = inv_sqrt(a.T @ a) @ (a.T @ b) @ inv_sqrt(b.T @ b)
    rho = sla.svdvals(t)[: min(a.shape[1], b.shape[1])]
    return 1.0 - rho.mean(), a.shape[1]


def reference_cka(x, y):
    """Linear CKA through samples x samples kernels: HSIC(K, L) / sqrt(HSIC(K,K) HSIC(L,L))."""
    n = x.shape[0]
    h = np.eye(n) - 1.0 / n
    k, l = h @ x @ x.T @ h, h @ y @ y.T @ h
    return np.sum(k * l) / np.sqrt(np.sum(k * k) * np.sum(l * l))


def population(rng):
    """Networks with different unit counts and (checked below) different kept dimensions."""
    reps = []
    for i, (units, rank) in enumerate([(20, 3), (32, 6), (48, 9), (24, 3), (40, 12), (32, 6), (56, 4)]):
        shared = rng.standard_normal((300, 3))
        z = np.hstack([shared, rng.standard_normal((300, rank))])
        reps.append(z @ rng.standard_normal((z.shape[1], units)) + 0.2 * rng.standard_normal((300, units)))
    return reps


# ------------------------------------------------------------------------------ invariances


@pytest.mark.parametrize("seed", SEEDS)
def test_orthogonal_map_leaves_both_distances_at_zero(seed):
    rng = np.random.default_rng(seed)
    x = latent_data(rng, noise=0.3)
    xr_ = x @ random_orthogonal(rng, x.shape[1])
    assert svcca_distance(x, xr_) < 1e-8
    assert cka_distance(x, xr_) < 1e-8
    # and the same data against unrelated data is far: the zero above is not automatic
    y = latent_data(rng, noise=0.3)
    assert svcca_distance(x, y) > 0.3
    assert cka_distance(x, y) > 0.3


@pytest.mark.parametrize("seed", SEEDS)
def test_general_map_on_exactly_low_rank_data(seed):
    rng = np.random.default_rng(seed)
    x = latent_data(rng, rank=5, units=64)
    a = rng.standard_normal((64, 64))
    assert np.linalg.cond(a) < 1e6
    assert reduce(x).n_kept <= 5
    assert svcca_distance(x, x @ a) < 1e-8
    # negative control: CKA is not invariant to general linear maps
    assert 1.0 - linear_cka(x, x @ a) > 0.01


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(
    "noise, low, high",
    [
        (0.3, 2e-4, 5e-3),  # 95% = the 5 signal PCs; the map tilts them slightly
        (1.0, 0.03, 0.3),  # 95% reaches into noise PCs, which the map reshuffles
    ],
)
def test_general_map_on_noisy_full_rank_data_is_small_but_not_zero(seed, noise, low, high):
    rng = np.random.default_rng(seed)
    x = latent_data(rng, rank=5, units=64, noise=noise)
    a = rng.standard_normal((64, 64))
    d = svcca_distance(x, x @ a)
    # the 95% truncation keeps different directions after a non-orthogonal map
    assert low < d < high
    assert d > 1e6 * svcca_distance(x, x @ random_orthogonal(rng, 64))


def test_isotropic_scaling_and_offset_do_not_matter():
    rng = np.random.default_rng(7)
    x = latent_data(rng, noise=0.1)
    y = 2.5 * x - 4.0
    assert svcca_distance(x, y) < 1e-10
    assert cka_distance(x, y) < 1e-10


# ------------------------------------------------------------------------ against reference


@pytest.mark.parametrize("seed", SEEDS[:3])
def test_single_pair_matches_reference(seed):
    rng = np.random.default_rng(seed)
    x, y = latent_data(rng, units=30, noise=0.5), latent_data(rng, units=45, noise=0.5)
    y[:, :5] += x[:, :5]  # partly shared
    ref, _ = reference_svcca(x, y)
    assert abs(svcca_distance(x, y) - ref) < 1e-10
    rho = svcca_correlations(x, y)
    assert np.all(np.diff(rho) <= 0) and rho.max() <= 1.0 and rho.min() >= 0.0
    assert abs(cka_distance(x, y) - (1.0 - reference_cka(x, y))) < 1e-10


def test_reduce_matches_reference_kept_dimension_and_is_orthonormal():
    rng = np.random.default_rng(3)
    for x in population(rng):
        for v in (0.5, 0.9, 0.95, 0.99):
            r = reduce(x, v)
            assert r.n_kept == reference_reduce(x, v).shape[1]
            assert np.allclose(r.basis.T @ r.basis, np.eye(r.n_kept), atol=1e-12)
            assert r.explained >= v
    low = latent_data(rng, rank=5, units=64)
    assert reduce(low, 1.0).n_kept == 5  # variance_kept=1 keeps the rank, no round-off dims


@pytest.mark.parametrize("metric", ["svcca", "cka"])
@pytest.mark.parametrize("block_size", [None, 1, 2, 3])
def test_all_pairs_equals_per_pair_reference(metric, block_size):
    rng = np.random.default_rng(11)
    reps = population(rng)
    d = pairwise_distances(reps, metric, block_size=block_size, progress=False)
    p = len(reps)
    ref = np.zeros((p, p))
    ks = []
    for i in range(p):
        for j in range(p):
            if i != j:
                ref[i, j] = reference_svcca(reps[i], reps[j])[0] if metric == "svcca" else (
                    1.0 - reference_cka(reps[i], reps[j])
                )
        ks.append(reference_reduce(reps[i], 0.95).shape[1])
    np.testing.assert_allclose(d.values, ref, rtol=0, atol=1e-8)
    assert len({r.shape[1] for r in reps}) > 3  # different unit counts
    if metric == "svcca":
        assert len(set(ks)) > 3  # different kept dimensions, hence zero padding in blocks
        assert list(d.coords["n_kept"].values) == ks


def test_matrix_is_symmetric_zero_diagonal_and_labelled():
    rng = np.random.default_rng(5)
    reps = population(rng)
    labels = pd.DataFrame(
        {
            "network_id": [f"net{i}" for i in range(len(reps))],
            "arch": ["gru", "lstm", "vanilla", "ugrnn", "gru", "lstm", "vanilla"],
            "l2": np.linspace(0, 1e-3, len(reps)),
            "seed": np.arange(len(reps)),
        }
    )
    d = pairwise_distances(reps, "svcca", labels=labels, progress=False)
    assert d.dims == similarity.DIMS
    assert np.array_equal(d.values, d.values.T)
    assert np.all(np.diag(d.values) == 0.0)
    assert np.all(d.values[~np.eye(len(reps), dtype=bool)] > 0.0)
    assert list(d["network"].values) == list(labels["network_id"])
    assert list(d["network_2"].values) == list(labels["network_id"])
    for col in ("arch", "l2", "seed"):
        assert list(d[col].values) == list(labels[col]) == list(d[col + "_2"].values)
        assert d[col].dims == ("network",) and d[col + "_2"].dims == ("network_2",)
    assert d.sel(network="net1", network_2="net2").item() == d.values[1, 2]
    assert d.attrs["metric"] == "svcca" and d.attrs["variance_kept"] == 0.95


def test_stacked_array_input_and_float32_match_list_input():
    rng = np.random.default_rng(9)
    arr = np.stack([latent_data(rng, n=200, units=16, noise=0.2) for _ in range(5)])
    a = pairwise_distances(arr, "svcca", progress=False)
    b = pairwise_distances(list(arr), "svcca", block_size=2, progress=False)
    np.testing.assert_allclose(a.values, b.values, rtol=0, atol=1e-12)
    c = pairwise_distances(arr.astype(np.float32), "cka", progress=False)
    ref = pairwise_distances(arr.astype(np.float32).astype(np.float64), "cka", progress=False)
    np.testing.assert_allclose(c.values, ref.values, rtol=0, atol=1e-12)


# ------------------------------------------------------------------------------- validation


@pytest.fixture
def no_compute(monkeypatch):
    """Make any reduction fail loudly: validation must come before compute."""

    def boom(*args, **kwargs):
        raise AssertionError("computation started before validation")

    from universality.similarity import core, metrics

    monkeypatch.setattr(core, "centred_gram", boom)
    monkeypatch.setattr(metrics, "principal_axes", boom)
    monkeypatch.setattr(metrics, "reduce_validated", boom)
    monkeypatch.setattr(metrics, "centred_gram", boom)


def _reps(rng, n=50, p=4, count=3):
    return [rng.standard_normal((n, p)) for _ in range(count)]


def test_pairwise_bad_inputs_raise_before_compute(no_compute):
    rng = np.random.default_rng(0)
    reps = _reps(rng)
    with pytest.raises(ValueError, match=r"representations\[2\] has 49 samples.*representations\[0\] has 50"):
        pairwise_distances(reps[:2] + [rng.standard_normal((49, 4))], progress=False)
    bad = _reps(rng)
    bad[1][3, 2] = np.nan
    with pytest.raises(ValueError, match=r"representations\[1\] contains 1 NaN or inf"):
        pairwise_distances(bad, progress=False)
    bad[1][3, 2] = np.inf
    with pytest.raises(ValueError, match=r"representations\[1\] contains 1 NaN or inf"):
        pairwise_distances(bad, "cka", progress=False)
    with pytest.raises(ValueError, match=r"representations\[1\] has zero variance"):
        pairwise_distances([reps[0], np.full((50, 4), 0.3), reps[2]], "cka", progress=False)
    with pytest.raises(ValueError, match="representations has 1 network"):
        pairwise_distances(reps[:1], progress=False)
    with pytest.raises(ValueError, match=r"representations has shape \(3, 50\)"):
        pairwise_distances(np.zeros((3, 50)), progress=False)
    for v in (0.0, 1.5, -0.1, float("nan"), True):
        with pytest.raises(ValueError, match=r"variance_kept=.* is outside \(0, 1\]"):
            pairwise_distances(reps, variance_kept=v, progress=False)
    with pytest.raises(ValueError, match=r"labels has 2 rows but representations has 3"):
        pairwise_distances(reps, labels=pd.DataFrame({"arch": ["a", "b"]}), progress=False)
    with pytest.raises(ValueError, match=r"metric='pca' is not one of \('svcca', 'svcca_matched', 'cka', 'procrustes'\)"):
        pairwise_distances(reps, metric="pca", progress=False)
    with pytest.raises(ValueError, match=r"block_size=0 must be a positive integer"):
        pairwise_distances(reps, block_size=0, progress=False)


def test_pair_bad_inputs_raise():
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((50, 4)), rng.standard_normal((40, 4))
    for f in (svcca_distance, cka_distance):
        with pytest.raises(ValueError, match=r"X has 50 samples \(rows\) but Y has 40"):
            f(x, y)
        with pytest.raises(ValueError, match=r"Y has shape \(40,\)"):
            f(x, y[:, 0])
        bad = x.copy()
        bad[7, 1] = np.nan
        with pytest.raises(ValueError, match=r"X contains 1 NaN"):
            f(bad, x)
    with pytest.raises(ValueError, match=r"variance_kept=2"):
        svcca_distance(x, x, variance_kept=2)
    with pytest.raises(ValueError, match=r"X has zero variance"):
        svcca_distance(np.ones((50, 4)), x)


# --------------------------------------------------------------------------- shape metrics


def procrustes_reference(X, Y, alpha):
    """The angular shape distance written from its definition (Williams et al. 2021), for
    one pair: centre, scale to unit Frobenius norm, partially whiten with the covariance
    C = X^T X (alpha I + (1 - alpha) C^(-1/2), pseudo-inverse on the rank), scale to unit
    norm, and arccos of the best orthogonal alignment, max_Q tr(X~^T Y~ Q) = ||X~^T Y~||_*."""
    def prep(Z):
        Z = Z - Z.mean(axis=0)
        Z = Z / np.linalg.norm(Z)
        lam, V = np.linalg.eigh(Z.T @ Z)
        keep = lam > lam.max() * 1e-10
        inv_sqrt = (V[:, keep] / np.sqrt(lam[keep])) @ V[:, keep].T
        W = alpha * np.eye(Z.shape[1]) + (1 - alpha) * inv_sqrt
        Zt = Z @ W
        return Zt / np.linalg.norm(Zt)

    a, b = prep(np.asarray(X, float)), prep(np.asarray(Y, float))
    return float(np.arccos(np.clip(np.linalg.svd(a.T @ b, compute_uv=False).sum(), 0, 1)))


@pytest.mark.parametrize("alpha", [0.0, 0.5, 1.0])
def test_procrustes_matches_the_definition_pair_by_pair(alpha):
    rng = np.random.default_rng(int(alpha * 10))
    reps = [rng.standard_normal((120, 5)) @ rng.standard_normal((5, 7)) + 0.05 * rng.standard_normal((120, 7))
            for _ in range(5)]
    d = similarity.pairwise(similarity.Procrustes(alpha=alpha, variance_kept=1.0), reps, progress=False,
                            block_size=2)
    for i in range(5):
        for j in range(5):
            want = 0.0 if i == j else procrustes_reference(reps[i], reps[j], alpha)
            assert d.values[i, j] == pytest.approx(want, abs=1e-7)


def test_procrustes_defaults_to_the_reference_definition():
    """No truncation by default: Procrustes() is arccos(||Xc^T Yc||_* / (||Xc|| ||Yc||)),
    netrep's LinearMetric(alpha=1, score_method='angular'), to round-off (1e-9 rad); a
    truncation to 90% of the variance is a departure and moves the distance."""
    rng = np.random.default_rng(12)
    reps = [rng.standard_normal((150, 8)) @ rng.standard_normal((8, 8)) for _ in range(3)]
    d = similarity.pairwise(similarity.Procrustes(), reps, progress=False)
    assert d.attrs["variance_kept"] == 1.0
    for i, j in ((0, 1), (0, 2), (1, 2)):
        xc, yc = reps[i] - reps[i].mean(0), reps[j] - reps[j].mean(0)
        want = np.arccos(np.linalg.svd(xc.T @ yc, compute_uv=False).sum() / (np.linalg.norm(xc) * np.linalg.norm(yc)))
        assert d.values[i, j] == pytest.approx(want, abs=1e-9)
    cut = similarity.pairwise(similarity.Procrustes(variance_kept=0.9), reps, progress=False)
    assert np.abs(cut.values - d.values).max() > 1e-3


def test_procrustes_invariances_and_negative_control():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((200, 6)) @ rng.standard_normal((6, 6))
    R, _ = np.linalg.qr(rng.standard_normal((6, 6)))
    A = rng.standard_normal((6, 6)) + 3 * np.eye(6)  # a general invertible map
    for alpha in (0.0, 0.5, 1.0):
        m = similarity.Procrustes(alpha=alpha, variance_kept=1.0)
        d = similarity.pairwise(m, [X, X @ R * 2.5 + 1.0], progress=False)  # rotation, scale, offset
        assert d.values[0, 1] < 1e-6
    cca = similarity.pairwise(similarity.Procrustes(alpha=0.0, variance_kept=1.0), [X, X @ A], progress=False)
    assert cca.values[0, 1] < 1e-6  # whitened: invariant to any invertible map
    proc = similarity.pairwise(similarity.Procrustes(alpha=1.0, variance_kept=1.0), [X, X @ A], progress=False)
    assert proc.values[0, 1] > 0.05  # Procrustes: not (the negative control)


def test_procrustes_triangle_inequality_on_random_triples():
    rng = np.random.default_rng(4)
    reps = [rng.standard_normal((80, 4)) @ rng.standard_normal((4, 6)) + 0.3 * rng.standard_normal((80, 6))
            for _ in range(12)]
    for alpha in (0.0, 0.5, 1.0):
        d = similarity.pairwise(similarity.Procrustes(alpha=alpha), reps, progress=False).values
        i, j, k = np.meshgrid(range(12), range(12), range(12), indexing="ij")
        assert np.all(d[i, k] <= d[i, j] + d[j, k] + 1e-9)
        assert np.all(d <= np.pi / 2 + 1e-12) and np.allclose(d, d.T)
    # SVCCA, the paper's measure, is not a metric: it can break the triangle inequality
    # (reported, not asserted: it depends on the draw)


def test_metric_objects_validate_their_parameters():
    with pytest.raises(ValueError, match=r"alpha=1.5 must be a number in \[0, 1\]"):
        similarity.Procrustes(alpha=1.5)
    with pytest.raises(ValueError, match=r"variance_kept=0 is outside \(0, 1\]"):
        similarity.SVCCA(variance_kept=0)
    with pytest.raises(ValueError, match="is not a Metric"):
        similarity.pairwise("svcca", [np.eye(3), np.eye(3)])
    svcca = similarity.pairwise(similarity.SVCCA(0.9), [np.random.default_rng(0).standard_normal((30, 4))
                                                       for _ in range(3)], progress=False)
    assert svcca.attrs == {"metric": "svcca", "variance_kept": 0.9}


# ------------------------------------------------------------- SVCCA on matched dimensions


def reference_top(x, k):
    """The top-k principal components of x by scipy's SVD, (n, k)."""
    xc = x - x.mean(axis=0)
    _, _, vt = sla.svd(xc, full_matrices=False)
    return xc @ vt[:k].T


def reference_matched(x, y, k):
    """Both sides keep k components; CCA by whitening; 1 - (sum of the k correlations) / k."""
    a, b = reference_top(x, k), reference_top(y, k)
    t = inv_sqrt(a.T @ a) @ (a.T @ b) @ inv_sqrt(b.T @ b)
    return 1.0 - sla.svdvals(t).sum() / k


def reference_k(rule, ks, i, j):
    return {"max": max(ks), "median": int(np.ceil(np.median(ks))), "pair": max(ks[i], ks[j])}.get(rule, rule)


# Tolerance 1e-8: the reference whitens with scipy's SVD and inverse square roots, the
# library takes a QR factor of the principal components: the same numbers through different
# round-off (agreement is ~1e-12 on these well-conditioned draws).
@pytest.mark.parametrize("rule", ["max", "median", "pair", 10])
@pytest.mark.parametrize("block_size", [None, 1, 2, 3])
def test_matched_all_pairs_equals_per_pair_reference(rule, block_size):
    rng = np.random.default_rng(11)
    reps = population(rng)
    ks = [reference_reduce(r, 0.95).shape[1] for r in reps]
    assert len(set(ks)) > 3  # the rules differ, and blocks are zero-padded
    d = similarity.pairwise(similarity.MatchedSVCCA(k=rule), reps, block_size=block_size, progress=False)
    p = len(reps)
    ref = np.zeros((p, p))
    for i in range(p):
        for j in range(p):
            if i != j:
                ref[i, j] = reference_matched(reps[i], reps[j], reference_k(rule, ks, i, j))
    np.testing.assert_allclose(d.values, ref, rtol=0, atol=1e-8)
    assert list(d.coords["n_variance"].values) == ks
    kept = ks if rule == "pair" else [reference_k(rule, ks, 0, 0)] * p
    assert list(d.coords["n_kept"].values) == kept
    assert d.attrs["metric"] == "svcca_matched" and d.attrs["k"] == rule
    assert ("k_common" not in d.attrs) if rule == "pair" else d.attrs["k_common"] == kept[0]


def test_matched_equals_svcca_when_every_network_keeps_the_same_dimension():
    """Known answer: with equal 95% counts both variants average the same correlations."""
    rng = np.random.default_rng(2)
    reps = [latent_data(rng, rank=5, units=40, noise=0.3) for _ in range(6)]
    assert {reduce(r).n_kept for r in reps} == {5}
    a = similarity.pairwise(similarity.SVCCA(), reps, progress=False)
    for rule in ("max", "median", "pair", 5):
        b = similarity.pairwise(similarity.MatchedSVCCA(k=rule), reps, progress=False)
        np.testing.assert_allclose(b.values, a.values, rtol=0, atol=1e-12)  # same products, same SVD


def test_matched_keeps_both_sides_at_the_same_dimension_where_svcca_does_not():
    """A network whose 95% lies in a shared 2-D signal: SVCCA averages only those 2 (near 1)
    correlations, the matched variant also its 6 low-variance, unshared components."""
    rng = np.random.default_rng(4)
    z = rng.standard_normal((500, 8))
    wide = z @ random_orthogonal(rng, 32)[:8] * 3 + 0.05 * rng.standard_normal((500, 32))  # 8 equal PCs
    narrow = z[:, :2] @ rng.standard_normal((2, 32)) * 10 + rng.standard_normal((500, 32))
    k_wide = reduce(wide).n_kept
    assert reduce(narrow).n_kept == 2 and k_wide == 8
    assert svcca_distance(narrow, wide) < 0.01
    d = similarity.pairwise(similarity.MatchedSVCCA(), [narrow, wide], progress=False)
    assert list(d.coords["n_kept"].values) == [k_wide, k_wide]
    # 2 of k_wide correlations are near 1, the others (noise against signal) small
    assert d.values[0, 1] > 0.5
    assert d.values[0, 1] == pytest.approx(reference_matched(narrow, wide, k_wide), abs=1e-8)


@pytest.mark.parametrize("rule", ["max", "median", "pair", 6])
def test_matched_invariances(rule):
    rng = np.random.default_rng(5)
    x = latent_data(rng, rank=5, units=64)  # exactly rank 5
    a = rng.standard_normal((64, 64))
    full = latent_data(rng, rank=12, units=40, noise=0.1)
    noisy = latent_data(rng, rank=5, units=64, noise=0.3)
    reps = [x, x @ a, full, noisy, noisy @ random_orthogonal(rng, 64) * 2.0 - 1.0]
    d = similarity.pairwise(similarity.MatchedSVCCA(k=rule), reps, progress=False)
    k = d.coords["n_kept"].values
    assert reduce(full).n_kept > 5
    assert d.values[0, 1] < 1e-8  # rank 5 on both sides: the pair keeps 5, CCA is invariant
    assert d.values[3, 4] < 1e-8  # orthogonal map, scale and offset
    # x has no 6th direction: its missing correlations count as 0, so it is no hub
    pair_k = min(k.max() if rule != "pair" else max(5, reduce(full).n_kept), 40)
    assert d.values[0, 2] >= 1.0 - 5.0 / pair_k - 1e-12
    assert d.values[0, 2] > 0.3


def test_matched_shuffling_the_networks_permutes_the_matrix():
    rng = np.random.default_rng(6)
    reps = population(rng)
    perm = rng.permutation(len(reps))
    for rule in ("max", "median", "pair"):
        m = similarity.MatchedSVCCA(k=rule)
        d = similarity.pairwise(m, reps, progress=False)
        e = similarity.pairwise(m, [reps[i] for i in perm], block_size=2, progress=False)
        np.testing.assert_allclose(e.values, d.values[np.ix_(perm, perm)], rtol=0, atol=1e-12)
        assert e.attrs == d.attrs


def test_matched_validates_k_and_is_named():
    for k in ("mean", 0, -2, 2.5, True, None):
        with pytest.raises(ValueError, match=r"k=.* is not one of \('max', 'median', 'pair'\) or a positive integer"):
            similarity.MatchedSVCCA(k=k)
    with pytest.raises(ValueError, match=r"variance_kept=1.5 is outside \(0, 1\]"):
        similarity.MatchedSVCCA(variance_kept=1.5)
    m = similarity.metric_from_name("svcca_matched", 0.9)
    assert m == similarity.MatchedSVCCA(0.9, "max") and m.name == "svcca_matched"
    assert similarity.MatchedSVCCA(k=np.int64(3)).k == 3  # numpy integers are integers
    rng = np.random.default_rng(0)
    reps = _reps(rng)
    d = pairwise_distances(reps, "svcca_matched", variance_kept=0.9, progress=False)
    assert d.attrs["metric"] == "svcca_matched" and d.attrs["variance_kept"] == 0.9
    with pytest.raises(ValueError, match=r"labels has column\(s\) \['n_variance'\]"):
        similarity.pairwise(m, reps, labels=pd.DataFrame({"n_variance": [1, 2, 3]}), progress=False)


def test_pairwise_with_matched_svcca_validates_before_compute(no_compute):
    rng = np.random.default_rng(0)
    reps = _reps(rng)
    reps[1] = reps[1][:49]
    with pytest.raises(ValueError, match=r"representations\[1\] has 49 samples"):
        similarity.pairwise(similarity.MatchedSVCCA(), reps, progress=False)


# ------------------------------------------------------------------------ kept dimensions


def test_kept_dimensions_per_metric():
    rng = np.random.default_rng(3)
    reps = population(rng)
    labels = pd.DataFrame({"network_id": [f"n{i}" for i in range(len(reps))],
                           "arch": ["gru", "gru", "lstm", "lstm", "vanilla", "vanilla", "ugrnn"]})
    ks = [reference_reduce(r, 0.95).shape[1] for r in reps]
    svcca = similarity.kept_dimensions(reps, labels=labels)  # default: SVCCA(0.95)
    assert list(svcca.columns) == ["network_id", "arch", "n_units", "rank", "n_variance", "n_kept", "explained"]
    assert list(svcca.n_units) == [r.shape[1] for r in reps] and list(svcca["rank"]) == [r.shape[1] for r in reps]
    assert list(svcca.n_variance) == ks == list(svcca.n_kept)
    assert np.all(svcca.explained >= 0.95) and svcca.attrs["metric"] == "svcca"
    matched = similarity.kept_dimensions(reps, similarity.MatchedSVCCA())
    assert list(matched.n_kept) == [max(ks)] * len(reps) and list(matched.n_variance) == ks
    assert np.all(matched.explained >= svcca.explained) and matched.attrs["k_common"] == max(ks)
    cka = similarity.kept_dimensions(reps, similarity.LinearCKA())
    assert list(cka.n_kept) == list(cka["rank"]) and np.allclose(cka.explained, 1.0)
    low = similarity.kept_dimensions([latent_data(rng, n=300, rank=5, units=64) for _ in range(2)] + [reps[4]],
                                     similarity.MatchedSVCCA(k=20))
    assert list(low["rank"][:2]) == [5, 5] and list(low.n_kept) == [5, 5, 20]  # capped at the rank
    summary = similarity.kept_summary(svcca, by=["arch"])
    assert summary.loc["gru", ("n_variance", "max")] == max(ks[:2])
    assert summary.loc["gru", ("networks", "")] == 2
    with pytest.raises(ValueError, match=r"table has no column\(s\) \['activation'\]"):
        similarity.kept_summary(svcca)
    with pytest.raises(ValueError, match="is not a Metric"):
        similarity.kept_dimensions(reps, "svcca")
