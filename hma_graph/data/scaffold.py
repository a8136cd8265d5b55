"""Bemis-Murcko scaffolds and OGB's deterministic scaffold split (pure functions, no files).

:func:`murcko_scaffold` is ``MurckoScaffold.MurckoScaffoldSmiles(mol=..., includeChirality=True)``:
the Bemis-Murcko framework as canonical SMILES with stereo ('' for an acyclic molecule).

:func:`split_by_scaffold` is the split OGB took from pretrain-gnns / deepchem (Hu et al. 2020), for
molecules i = 0..n-1 in file order: group them by scaffold, sort the groups by (size, smallest
index) in DESCENDING order (largest group first; among equal sizes the group whose first molecule
comes LATER goes first: ``sorted(..., key=lambda x: (len(x[1]), x[1][0]), reverse=True)``), then
for each group in turn: ``train`` if ``|train| + |group| <= frac_train * n``; else ``valid`` if
``|train| + |valid| + |group| <= (frac_train + frac_valid) * n``; else ``test``. A later, smaller
group can still enter train or valid after a larger one was refused.
"""
from __future__ import annotations

import math
from typing import Dict, List, Sequence

import numpy as np

__all__ = ["SPLIT_PARTS", "murcko_scaffold", "split_by_scaffold", "scaffold_split"]

SPLIT_PARTS = ("train", "valid", "test")


def murcko_scaffold(mol_or_smiles, include_chirality: bool = True) -> str:
    """Bemis-Murcko scaffold as canonical SMILES ('' for an acyclic molecule)."""
    from rdkit import Chem
    from rdkit.Chem.Scaffolds import MurckoScaffold

    mol = mol_or_smiles
    if isinstance(mol_or_smiles, str):
        mol = Chem.MolFromSmiles(mol_or_smiles)
        if mol is None:
            raise ValueError(f"RDKit cannot parse SMILES {mol_or_smiles!r}")
    return MurckoScaffold.MurckoScaffoldSmiles(mol=mol, includeChirality=include_chirality)


def _check_fracs(frac_train: float, frac_valid: float, frac_test: float) -> None:
    fr = (frac_train, frac_valid, frac_test)
    if any(not (0.0 <= f <= 1.0) for f in fr) or not math.isclose(sum(fr), 1.0, abs_tol=1e-9):
        raise ValueError(f"split fractions must lie in [0, 1] and sum to 1, got {fr}")


def split_by_scaffold(
    scaffolds: Sequence[str], frac_train: float = 0.8, frac_valid: float = 0.1, frac_test: float = 0.1
) -> Dict[str, np.ndarray]:
    """OGB's deterministic scaffold split of molecules 0..n-1 given their scaffold keys.

    Groups are visited by (size, first index) descending; each goes to train if it fits under
    ``frac_train * n``, else to valid if train + valid stay under ``(frac_train + frac_valid) * n``,
    else to test. Returns sorted int64 index arrays for 'train', 'valid', 'test'.
    """
    _check_fracs(frac_train, frac_valid, frac_test)
    n = len(scaffolds)
    groups: Dict[str, List[int]] = {}
    for i, s in enumerate(scaffolds):
        groups.setdefault(s, []).append(i)  # indices ascending, so members[0] is the smallest
    ordered = sorted(groups.values(), key=lambda members: (len(members), members[0]), reverse=True)
    train_cut, valid_cut = frac_train * n, (frac_train + frac_valid) * n
    parts: Dict[str, List[int]] = {p: [] for p in SPLIT_PARTS}
    for members in ordered:
        if len(parts["train"]) + len(members) <= train_cut:
            parts["train"].extend(members)
        elif len(parts["train"]) + len(parts["valid"]) + len(members) <= valid_cut:
            parts["valid"].extend(members)
        else:
            parts["test"].extend(members)
    return {p: np.array(sorted(v), dtype=np.int64) for p, v in parts.items()}


def scaffold_split(
    smiles: Sequence[str],
    frac_train: float = 0.8,
    frac_valid: float = 0.1,
    frac_test: float = 0.1,
    include_chirality: bool = True,
) -> Dict[str, np.ndarray]:
    """:func:`split_by_scaffold` of the Murcko scaffolds of ``smiles`` (all must parse)."""
    scaffolds = [murcko_scaffold(s, include_chirality) for s in smiles]
    return split_by_scaffold(scaffolds, frac_train, frac_valid, frac_test)
