"""Murcko scaffolds and OGB's scaffold split rule against hand computations (no data files)."""
import pytest
from _molecule_cases import HAND_50_30_20, HAND_60_20_20, HAND_80_10_10, TINY, as_lists

from hma_graph.data import scaffold


def test_scaffolds_by_hand():
    assert scaffold.murcko_scaffold("Cc1ccccc1") == "c1ccccc1"
    assert scaffold.murcko_scaffold("OC1CCCCC1") == "C1CCCCC1"
    assert scaffold.murcko_scaffold("CCO") == ""
    # a stereocentre inside the scaffold: two scaffolds with chirality, one without
    r, s = "c1ccc(cc1)[C@H]1CCCN1", "c1ccc(cc1)[C@@H]1CCCN1"
    assert scaffold.murcko_scaffold(r) != scaffold.murcko_scaffold(s)
    assert (scaffold.murcko_scaffold(r, include_chirality=False)
            == scaffold.murcko_scaffold(s, include_chirality=False))


def test_unparsable_smiles_is_an_error():
    with pytest.raises(ValueError, match="cannot parse"):
        scaffold.murcko_scaffold("C1CC")


def test_scaffold_split_matches_hand_computation():
    assert as_lists(scaffold.scaffold_split(TINY, 0.6, 0.2, 0.2)) == HAND_60_20_20
    assert as_lists(scaffold.scaffold_split(TINY, 0.5, 0.3, 0.2)) == HAND_50_30_20
    assert as_lists(scaffold.scaffold_split(TINY)) == HAND_80_10_10


def test_split_tie_break_is_later_first_index_first():
    # two groups of equal size; the one whose first member comes later is visited first -> train
    keys = ["a", "b", "a", "b"]  # a = {0, 2}, b = {1, 3}
    assert as_lists(scaffold.split_by_scaffold(keys, 0.5, 0.5, 0.0)) == {
        "train": [1, 3], "valid": [0, 2], "test": []}


def test_split_rejects_bad_fractions():
    with pytest.raises(ValueError, match="sum to 1"):
        scaffold.split_by_scaffold(["a", "b"], 0.8, 0.1, 0.2)
