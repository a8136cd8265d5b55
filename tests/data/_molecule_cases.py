"""Hand-made molecule cases shared by test_scaffold.py and test_molecules.py (pytest puts this
folder on sys.path): ten SMILES and their scaffold splits computed by hand."""

# Ten molecules, scaffolds by hand: benzene {2, 4, 9}, cyclohexane {3, 7}, pyridine {1, 6},
# acyclic '' {0, 5}, naphthalene {8}.
TINY = [
    "CCO",  # 0 acyclic
    "Cc1ccncc1",  # 1 pyridine
    "Cc1ccccc1",  # 2 benzene
    "OC1CCCCC1",  # 3 cyclohexane
    "Oc1ccccc1",  # 4 benzene
    "CCN",  # 5 acyclic
    "Nc1ccncc1",  # 6 pyridine
    "CC1CCCCC1",  # 7 cyclohexane
    "c1ccc2ccccc2c1",  # 8 naphthalene
    "CCc1ccccc1",  # 9 benzene
]
# Visiting order: benzene (3), then the size-2 groups by first index DESCENDING: cyclohexane
# (first 3), pyridine (1), acyclic (0); then naphthalene (1).
# 0.6/0.2/0.2 of 10 -> train cut 6, train+valid cut 8:
#   benzene -> train (3); cyclohexane 3+2=5<=6 -> train; pyridine 5+2>6, 5+0+2=7<=8 -> valid;
#   acyclic 5+2>6, 5+2+2=9>8 -> test; naphthalene 5+1=6<=6 -> train.
HAND_60_20_20 = {"train": [2, 3, 4, 7, 8, 9], "valid": [1, 6], "test": [0, 5]}
# 0.5/0.3/0.2 -> cuts 5, 8: benzene -> train (3); cyclohexane 5<=5 -> train; pyridine 7>5, 7<=8 ->
#   valid; acyclic 7>5, 5+2+2=9>8 -> test; naphthalene 6>5, 5+2+1=8<=8 -> valid.
HAND_50_30_20 = {"train": [2, 3, 4, 7, 9], "valid": [1, 6, 8], "test": [0, 5]}
# 0.8/0.1/0.1 -> cuts 8, 9: benzene, cyclohexane, pyridine -> train (7); acyclic 7+2>8,
#   7+0+2=9<=9 -> valid; naphthalene 7+1=8<=8 -> train.
HAND_80_10_10 = {"train": [1, 2, 3, 4, 6, 7, 8, 9], "valid": [0, 5], "test": []}


def as_lists(split):
    return {k: [int(i) for i in v] for k, v in split.items()}
