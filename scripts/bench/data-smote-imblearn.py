#!/usr/bin/python3
"""Reference timing of imbalanced-learn's SMOTE for `scripts/bench/data-smote.ts`.

Reads the float32 signals [n, d] and int32 labels [n] written by the TypeScript benchmark,
then times, on this machine:
  * the neighbour search alone, as SMOTE does it: for every minority class, a
    NearestNeighbors(n_neighbors=k+1) fitted on that class and queried with it;
  * the whole `SMOTE(k_neighbors=k, random_state=0).fit_resample(X, y)`;
and reports the bytes of the materialised resampled set, plus the neighbour list of every
minority sample so that the TypeScript side can compare them with its own table.

Usage: /usr/bin/python3 scripts/bench/data-smote-imblearn.py X.f32 y.i32 n d out.json [k]
(python3-imblearn, python3-sklearn and python3-numpy from Debian.)
"""
import json
import os
import sys
import time

import numpy as np
import imblearn
import sklearn
from imblearn.over_sampling import SMOTE
from sklearn.neighbors import NearestNeighbors


def main() -> None:
    x_path, y_path, n, d, out_path = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
    k = int(sys.argv[6]) if len(sys.argv) > 6 else 5
    X = np.fromfile(x_path, dtype='<f4').reshape(n, d)
    y = np.fromfile(y_path, dtype='<i4')
    counts = np.bincount(y)
    majority = counts.max()
    minority = [c for c in range(len(counts)) if 0 < counts[c] < majority]

    # Neighbour search alone (what imblearn's SMOTE runs per minority class).
    t0 = time.perf_counter()
    neighbours = {}
    for c in minority:
        Xc = X[y == c]
        nn = NearestNeighbors(n_neighbors=k + 1).fit(Xc)
        neighbours[c] = nn.kneighbors(Xc, return_distance=False)[:, 1:]
    knn_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    X_res, y_res = SMOTE(k_neighbors=k, random_state=0).fit_resample(X, y)
    smote_s = time.perf_counter() - t0

    # Neighbours of every minority sample, as global sample ids, for comparison.
    cmp = {}
    for c in minority:
        ids = np.flatnonzero(y == c)
        for i in range(len(ids)):
            cmp[int(ids[i])] = [int(ids[j]) for j in neighbours[c][i]]

    result = {
        'imblearn': imblearn.__version__,
        'sklearn': sklearn.__version__,
        'numpy': np.__version__,
        'threads': os.environ.get('OMP_NUM_THREADS', 'default'),
        'n': n,
        'd': d,
        'k': k,
        'class_counts': counts.tolist(),
        'knn_seconds': knn_s,
        'fit_resample_seconds': smote_s,
        'resampled_rows': int(X_res.shape[0]),
        'resampled_bytes': int(X_res.nbytes + y_res.nbytes),
        'synthetic_bytes': int(X_res.nbytes + y_res.nbytes - X.nbytes - y.nbytes),
        'compare_neighbours': cmp,
    }
    with open(out_path, 'w') as f:
        json.dump(result, f)


if __name__ == '__main__':
    main()
