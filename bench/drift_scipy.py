"""What a user would otherwise run: read both CSVs with the csv module into numpy arrays (pandas is not installed
here), then Evidently's defaults for n_ref > 1000 with scipy: Wasserstein / std(ref) for numeric columns with more
than 5 values, Jensen-Shannon (base e) over per-value counts for categorical ones. Writes per-column statistics."""
import csv, json, sys
import numpy as np
from scipy.spatial.distance import jensenshannon
from scipy.stats import wasserstein_distance

def read(path):
    with open(path, newline='') as handle:
        reader = csv.reader(handle)
        header = next(reader)
        columns = [[] for _ in header]
        for row in reader:
            for i, value in enumerate(row):
                columns[i].append(value)
    return header, columns

ref_header, ref = read(sys.argv[1])
cur_header, cur = read(sys.argv[2])
result = {}
for name, r, c in zip(ref_header, ref, cur):
    try:
        rv = np.array(r, dtype=float); cv = np.array(c, dtype=float)
        if len(np.unique(np.concatenate([rv, cv]))) > 5:
            result[name] = {'method': 'wasserstein', 'statistic': wasserstein_distance(rv, cv) / max(np.std(rv), 0.001)}
            continue
    except ValueError:
        pass
    keys = sorted(set(r) | set(c))
    rc = {k: 0 for k in keys}; cc = {k: 0 for k in keys}
    for v in r: rc[v] += 1
    for v in c: cc[v] += 1
    p = np.array([rc[k] for k in keys]) / len(r); q = np.array([cc[k] for k in keys]) / len(c)
    result[name] = {'method': 'jensenshannon', 'statistic': float(jensenshannon(p, q))}
json.dump(result, open(sys.argv[3], 'w'), indent=1)
