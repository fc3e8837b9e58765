"""A group's random-search record survives a sweep of other L2 values into the same store
(the wider grid's L2 1e-3 once replaced the book's records of 1e-5 and 1e-4)."""

import json

from universality import store
from universality.profiles import get_profile
from universality.sweep import _write_group, merge_search


def _record(l2s, tag):
    return {"candidates": [{"l2": l2, "seed": i, "hparams": {"lr": tag}, "valid_loss": 0.1, "diverged": False}
                           for i, l2 in enumerate(l2s)],
            "best": {f"{l2:.0e}": {"lr": tag} for l2 in l2s}}


def test_other_l2_values_are_kept_and_a_value_searched_again_is_replaced():
    old = _record([1e-5, 1e-4], "old")
    merged = merge_search(old, _record([1e-3], "new"))
    assert list(merged["best"]) == ["1e-05", "1e-04", "1e-03"]
    assert sorted(c["l2"] for c in merged["candidates"]) == [1e-5, 1e-4, 1e-3]
    again = merge_search(merged, _record([1e-4], "again"))
    assert again["best"]["1e-04"] == {"lr": "again"} and again["best"]["1e-05"] == {"lr": "old"}
    assert [c["hparams"]["lr"] for c in again["candidates"] if c["l2"] == 1e-4] == ["again"]
    assert merge_search(None, old) == old


def test_the_sweep_writes_the_merged_record(tmp_path):
    profile = get_profile("smoke")
    path = store.search_path(tmp_path, profile.store_name, "flipflop", "g")
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(_record([1e-5], "old")))
    _write_group({"task": "flipflop", "group_id": "g", "search": _record([1e-3], "new"), "networks": []},
                 profile, tmp_path)
    assert set(json.loads(path.read_text())["best"]) == {"1e-05", "1e-03"}
    path.write_text("{ damaged")
    _write_group({"task": "flipflop", "group_id": "g", "search": _record([1e-3], "new"), "networks": []},
                 profile, tmp_path)
    assert list(json.loads(path.read_text())["best"]) == ["1e-03"]
