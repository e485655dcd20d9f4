#!/usr/bin/env python3
"""Write the small .npy/.npz fixtures of test/io/fixtures with numpy, plus their manifest.

Covers every dtype medseg-bench reads (bool, int8..int64, uint8..uint64, float32/64) in little- and big-endian,
C and Fortran order, .npy format versions 1.0/2.0/3.0, 0-d and empty arrays, stored (savez) and deflated
(savez_compressed) members, and the refusals: an object (pickle) array and a float16 array.

usage: scripts/make_npy_fixtures.py [OUT_DIR]   (default test/io/fixtures)
"""
import os
import sys

import numpy as np

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), '..', 'test', 'io', 'fixtures')
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(20241)


def values(dt, shape):
    dt = np.dtype(dt)
    n = int(np.prod(shape))
    if dt.kind == 'b':
        return (rng.integers(0, 2, n) == 1).reshape(shape)
    if dt.kind in 'iu':
        info = np.iinfo(dt)
        v = rng.integers(info.min, info.max, n, dtype=dt, endpoint=True)
        v.flat[0] = info.min
        v.flat[-1] = info.max
        return v.reshape(shape)
    v = rng.standard_normal(n).astype(dt) * 1000
    v.flat[0] = -0.0
    v.flat[-1] = np.inf
    return v.reshape(shape)


arrays = {}
for name in ['bool', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'float32', 'float64']:
    base = values(name, (3, 4, 5))
    for order in '<>':
        dt = np.dtype(name).newbyteorder(order) if np.dtype(name).itemsize > 1 else np.dtype(name)
        if np.dtype(name).itemsize == 1 and order == '>':
            continue
        a = base.astype(dt)
        arrays[f'{name}_{"le" if order == "<" else "be"}_c'] = a
        arrays[f'{name}_{"le" if order == "<" else "be"}_f'] = np.asfortranarray(a)
arrays['int32_f_2d'] = np.asfortranarray(np.arange(35, dtype=np.int32).reshape(5, 7))
arrays['int64_f_4d'] = np.asfortranarray(np.arange(2 * 3 * 4 * 5, dtype=np.int64).reshape(2, 3, 4, 5) - 60)
arrays['scalar_f8'] = np.array(3.25)
arrays['empty_u2'] = np.zeros((0, 3), dtype=np.uint16)
arrays['vector_i8'] = np.array([-(2 ** 62), 0, 2 ** 53 + 1], dtype=np.int64)

np.savez_compressed(os.path.join(out, 'dtypes_deflated.npz'), **arrays)
np.savez(os.path.join(out, 'dtypes_stored.npz'), **arrays)

# Single .npy files with explicit header versions.
a = values('uint16', (6, 7)).astype('>u2')
for ver in [(1, 0), (2, 0), (3, 0)]:
    with open(os.path.join(out, f'v{ver[0]}{ver[1]}_be_u2.npy'), 'wb') as f:
        np.lib.format.write_array(f, a, version=ver)
with open(os.path.join(out, 'v10_f_f4.npy'), 'wb') as f:
    np.lib.format.write_array(f, np.asfortranarray(values('float32', (4, 3, 2))), version=(1, 0))

# Refusals.
np.savez(os.path.join(out, 'object_array.npz'), obj=np.array([{'a': 1}, None], dtype=object), ok=np.arange(3))
np.savez(os.path.join(out, 'float16.npz'), half=np.ones((2, 2), dtype=np.float16))

# Manifest of everything above.
import hashlib  # noqa: E402
import json  # noqa: E402


def describe(a):
    le = a.dtype.newbyteorder('<') if a.dtype.byteorder not in ('|', '=') else a.dtype
    c = np.ascontiguousarray(a.astype(le, copy=False))
    return {'dtype': a.dtype.name, 'shape': list(a.shape), 'sha256': hashlib.sha256(c.tobytes(order='C')).hexdigest()}


manifest = {'generator': 'scripts/make_npy_fixtures.py', 'numpy': np.__version__, 'files': {}}
for fn in ['dtypes_deflated.npz', 'dtypes_stored.npz']:
    with np.load(os.path.join(out, fn)) as z:
        manifest['files'][fn] = {k: describe(z[k]) for k in z.files}
for fn in sorted(os.listdir(out)):
    if fn.endswith('.npy'):
        manifest['files'][fn] = {'': describe(np.load(os.path.join(out, fn)))}
with open(os.path.join(out, 'fixtures.manifest.json'), 'w') as f:
    json.dump(manifest, f, indent=1)
    f.write('\n')
print(f'wrote fixtures to {out}')
