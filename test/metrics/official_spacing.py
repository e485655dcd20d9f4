"""Independent reference for test/metrics/spacing.test.ts: the official DSC / NSD@2 (compute_metrics.py + SurfaceDice.py,
re-implemented from ../shared/docs/METRICS.md with numpy + scipy, no code of this project) on a real 3D case whose
gts spacing is altered (NaN, negative). Spacing is used verbatim, as the official scorer does.

usage: python3 official_spacing.py NORMALS_JSON IMGS_NPZ GTS_NPZ OUT_DIR
Writes OUT_DIR/<variant>/{imgs,gts,segs}/3DBox_MR_0002.npz and prints {variant: {"dsc": .., "nsd": ..}} as JSON
(NaN as null).
"""
import json
import os
import sys

import numpy as np
import scipy.ndimage as nd

normals_json, imgs_npz, gts_npz, out = sys.argv[1:5]
NORMALS = json.load(open(normals_json))['normals']
KERNEL = np.array([[[128, 64], [32, 16]], [[8, 4], [2, 1]]])
TOL = 2.0


def area_table(s):
    s0, s1, s2 = (float(x) for x in s)
    return np.array([sum(np.linalg.norm([n[0] * s1 * s2, n[1] * s0 * s2, n[2] * s0 * s1]) for n in code) for code in NORMALS])


def nsd_label(g, p, s, areas, tol):
    m = g | p
    if not m.any():
        return float('nan')
    lo = [int(np.where(m.any(axis=tuple(a for a in range(3) if a != k)))[0].min()) for k in range(3)]
    hi = [int(np.where(m.any(axis=tuple(a for a in range(3) if a != k)))[0].max()) for k in range(3)]

    def corners(x):
        c = np.zeros([hi[k] - lo[k] + 2 for k in range(3)], np.uint8)
        c[: hi[0] - lo[0] + 1, : hi[1] - lo[1] + 1, : hi[2] - lo[2] + 1] = x[lo[0]: hi[0] + 1, lo[1]: hi[1] + 1, lo[2]: hi[2] + 1]
        return nd.correlate(c, KERNEL, mode='constant', cval=0)

    cg, cp = corners(g), corners(p)
    bg, bp = (cg != 0) & (cg != 255), (cp != 0) & (cp != 255)
    dg = nd.distance_transform_edt(~bg, sampling=s) if bg.any() else np.full(bg.shape, np.inf)
    dp = nd.distance_transform_edt(~bp, sampling=s) if bp.any() else np.full(bp.shape, np.inf)
    d_gt, a_gt = dp[bg], areas[cg[bg]]
    d_pr, a_pr = dg[bp], areas[cp[bp]]
    return (np.sum(a_gt[d_gt <= tol]) + np.sum(a_pr[d_pr <= tol])) / (np.sum(a_gt) + np.sum(a_pr))


def official(gts, segs, s, tol):
    labels = range(1, int(gts.max()) + 1)
    dscs = []
    for i in labels:
        g, p = gts == i, segs == i
        n = g.sum() + p.sum()
        dscs.append(float('nan') if n == 0 else 2 * (g & p).sum() / n)
    dsc = np.mean(dscs)
    if dsc > 0.2:
        areas = area_table(s)
        nsd = np.mean([nsd_label(gts == i, segs == i, s, areas, tol) for i in labels])
    else:
        nsd = 0.0
    return float(dsc), float(nsd)


img = dict(np.load(imgs_npz))
gts = np.load(gts_npz)['gts']
variants = {
    'control': ([1.5, 1.0, 2.5], 1),  # a valid spacing: checks this reference against the project's golden-tested code
    'nan': ([np.nan, 1.0, 1.0], 1),
    'negative': ([-1.5, 1.0, -2.5], 1),
    'nan-gated': ([1.0, np.nan, 1.0], 14),
    'tol0': ([1.5, 1.0, 2.5], 1),  # scored with tolerance 0 mm (TOLS)
    'huge': ([1e300, 3.0, 3.0], 1),  # extreme anisotropy
}
TOLS = {'tol0': 0.0}
res = {}
with np.errstate(invalid='ignore', divide='ignore'):
    for name, (spacing, shift) in variants.items():
        sp = np.array(spacing)
        segs = np.roll(gts, shift, axis=2)  # the prediction: the gts moved by `shift` voxels along the last axis
        d = os.path.join(out, name)
        for sub in ('imgs', 'gts', 'segs'):
            os.makedirs(os.path.join(d, sub), exist_ok=True)
        np.savez_compressed(os.path.join(d, 'imgs', '3DBox_MR_0002.npz'), **{**img, 'spacing': sp})
        np.savez_compressed(os.path.join(d, 'gts', '3DBox_MR_0002.npz'), gts=gts, spacing=sp)
        np.savez_compressed(os.path.join(d, 'segs', '3DBox_MR_0002.npz'), segs=segs)
        dsc, nsd = official(gts, segs, sp, TOLS.get(name, TOL))
        res[name] = {'dsc': None if np.isnan(dsc) else dsc, 'nsd': None if np.isnan(nsd) else nsd}
print(json.dumps(res))
