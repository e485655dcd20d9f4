#!/usr/bin/env python3
"""Write a JSON manifest of every .npz under the given folders, computed independently with numpy.

For each file and key: numpy dtype name, shape, and the sha256 of the array's bytes in C order, little-endian
(bool as 0/1 bytes) -- exactly the bytes medseg-bench's reader must produce. Also the sum as float64 (a readable
cross-check). The manifest is checked in (test/io/fixtures/*.manifest.json) and compared by test/io/*.test.ts.

usage: scripts/npz_manifest.py OUT.json BASE_DIR SUBDIR [SUBDIR ...]
  paths in the manifest are relative to BASE_DIR, e.g. cases/public/imgs/2DBox_US_0001.npz

The checked-in manifest was made with:
  python3 scripts/npz_manifest.py test/io/fixtures/shared.manifest.json ../shared cases/public golden/metrics golden/pipeline
"""
import hashlib
import json
import os
import sys

import numpy as np


def describe(a):
    a = np.asarray(a)
    le = a.dtype.newbyteorder('<') if a.dtype.byteorder not in ('|', '=') else a.dtype
    c = np.ascontiguousarray(a.astype(le, copy=False))
    return {
        'dtype': a.dtype.name,
        'shape': list(a.shape),
        'fortran_order': bool(a.flags.f_contiguous and not a.flags.c_contiguous),
        'byteorder': '>' if a.dtype.byteorder == '>' else '<',
        'sha256': hashlib.sha256(c.tobytes(order='C')).hexdigest(),
        'sum': json_number(float(c.astype(np.float64).sum())) if c.size else 0.0,
    }


def json_number(x):
    """JSON has no NaN/Infinity: those sums are written as strings."""
    return x if np.isfinite(x) else repr(x)


def main():
    out, base, subdirs = sys.argv[1], sys.argv[2], sys.argv[3:]
    files = {}
    for sub in subdirs:
        for root, _dirs, names in os.walk(os.path.join(base, sub)):
            for n in sorted(names):
                if not n.endswith('.npz'):
                    continue
                p = os.path.join(root, n)
                rel = os.path.relpath(p, base)
                with np.load(p, allow_pickle=False) as z:
                    files[rel] = {k: describe(z[k]) for k in z.files}
    with open(out, 'w') as f:
        json.dump({'generator': 'scripts/npz_manifest.py', 'numpy': np.__version__,
                   'files': dict(sorted(files.items()))}, f, indent=1, allow_nan=False)
        f.write('\n')
    print(f'{out}: {len(files)} files')


if __name__ == '__main__':
    main()
