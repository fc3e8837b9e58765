"""Size as a label (universality.sizes): known answers on synthetic populations whose
geometry is set by architecture, by size or by neither, and the negative controls."""

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from universality import sizes
from universality.errors import ParameterError


def _population(arch_scale, size_scale, seed=0, noise=0.3, l2s=(1e-4,)):
    """Networks as points: an offset per architecture, one per size, seed noise."""
    rng = np.random.default_rng(seed)
    rows, pts = [], []
    arch_off = {a: rng.standard_normal(8) for a in ("vanilla", "gru", "lstm", "ugrnn")}
    size_off = {u: rng.standard_normal(8) for u in (64, 128)}
    for l2 in l2s:
        for a in arch_off:
            for act in ("tanh", "relu"):
                for u in size_off:
                    for s in range(4):
                        rows.append({"arch": a, "activation": act, "units": u, "l2": l2, "seed": s})
                        pts.append(arch_scale * arch_off[a] + size_scale * size_off[u] + noise * rng.standard_normal(8))
    lab = pd.DataFrame(rows)
    x = np.array(pts)
    d = np.sqrt(((x[:, None] - x[None]) ** 2).sum(-1))
    coords = {c: ("network", lab[c].to_numpy()) for c in lab}
    return xr.DataArray(d, dims=("network", "network_2"), coords=coords)


def test_geometry_set_by_size_is_found():
    res = sizes.compare(_population(arch_scale=0.2, size_scale=2.0), n_boot=200)
    assert res.decision == "size more" and res.effect.low > 0, str(res)
    assert res.pairs == {"seed": 16 * 6, "size": 8 * 16, "architecture": 2 * 2 * 6 * 16}


def test_geometry_set_by_architecture_is_found():
    res = sizes.compare(_population(arch_scale=2.0, size_scale=0.2), n_boot=200)
    assert res.decision == "architecture more" and res.effect.high < 0, str(res)


def test_neither_is_comparable_and_few_networks_inconclusive():
    """Negative control: no architecture and no size offsets, only seed noise: the two
    kinds of pair are alike.  With many networks the interval sits inside the margin."""
    big = sizes.compare(_population(0.0, 0.0, l2s=(1e-5, 1e-4, 1e-3, 1e-2)), n_boot=200)
    assert big.decision == "comparable", str(big)
    assert abs(big.effect.estimate) < sizes.MARGIN


def test_only_l2_values_with_two_sizes_enter():
    """A third L2 trained at one size adds no pair (the book: L2 1e-3 only at 64 units)."""
    d = _population(0.2, 2.0, l2s=(1e-4, 1e-3))
    one_size = (d.coords["l2"].values == 1e-3) & (d.coords["units"].values == 128)
    d = d.isel(network=~one_size, network_2=~one_size)
    res = sizes.compare(d, n_boot=50)
    assert res.n_networks == 64


def test_shuffling_what_should_not_matter():
    """The network order does not change the estimate; the bootstrap seed changes the
    interval only a little."""
    d = _population(0.5, 1.0, seed=3)
    perm = np.random.default_rng(1).permutation(d.shape[0])
    a = sizes.compare(d, n_boot=300, seed=0)
    b = sizes.compare(d.isel(network=perm, network_2=perm), n_boot=300, seed=0)
    c = sizes.compare(d, n_boot=300, seed=5)
    assert a.effect.estimate == pytest.approx(b.effect.estimate, abs=1e-12)
    assert abs(a.effect.low - c.effect.low) < 0.05 and abs(a.effect.high - c.effect.high) < 0.05


def test_bad_input_is_named():
    d = _population(1.0, 1.0)
    with pytest.raises(ParameterError, match="margin"):
        sizes.compare(d, margin=0)
    with pytest.raises(ParameterError, match="n_boot"):
        sizes.compare(d, n_boot=0)
    with pytest.raises(ParameterError, match="units"):
        sizes.compare(d.drop_vars("units"))
    one = d.isel(network=d.coords["units"].values == 64, network_2=d.coords["units"].values == 64)
    assert sizes.compare(one, n_boot=10).decision == "not computed"


def test_the_scorecard_claim_is_graded_by_the_size_comparison():
    """beyond.size (claims.architecture_beyond_size) takes sizes.compare's decision: each of
    its outcomes on a population built to give it, and one size only is not tested."""
    from universality import claims

    def claim(d):
        return claims.architecture_beyond_size("beyond.size (x)", "x", sizes.compare(d, n_boot=200), "svcca")

    arch = claim(_population(arch_scale=2.0, size_scale=0.2))
    assert arch.verdict == "reproduced" and "architecture more" in arch.value
    assert claim(_population(arch_scale=0.2, size_scale=2.0)).verdict == "not reproduced"
    # negative control: neither offset; 'comparable' means size moves geometry as much as architecture
    assert claim(_population(0.0, 0.0, l2s=(1e-5, 1e-4, 1e-3, 1e-2))).verdict == "not reproduced"
    one = _population(2.0, 0.2)
    keep = one.coords["units"].values == 64
    assert claim(one.isel(network=keep, network_2=keep)).verdict == "not tested"
