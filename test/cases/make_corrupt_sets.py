"""Write small case sets with one corrupted case each (plus a valid one) for test/cases/*.test.ts.

usage: python3 make_corrupt_sets.py OUT_DIR
Each OUT_DIR/<problem>/ is a case set (imgs/, gts/) holding the valid 2DBox_US_0001 and the broken case; all/ holds
every broken case together. numpy writes every file (as a participant's tools would).
"""
import os
import shutil
import sys

import numpy as np

out = sys.argv[1]
rng = np.random.default_rng(7)


def good2d(H=48, W=64):
    imgs = rng.integers(0, 256, (H, W, 3), dtype=np.uint8)
    boxes = np.array([[10, 5, 30, 20], [40, 25, 60, 40]], dtype=np.int64)
    gts = np.zeros((H, W), np.uint8)
    gts[8:18, 12:28] = 1
    gts[28:38, 42:58] = 2
    return imgs, boxes, gts


def good3d(D=6, H=20, W=24):
    imgs = rng.integers(0, 256, (D, H, W), dtype=np.uint8)
    boxes = np.array([[2, 3, 1, 10, 12, 4]], dtype=np.int64)
    gts = np.zeros((D, H, W), np.uint8)
    gts[1:5, 4:12, 3:10] = 1
    return imgs, boxes, gts, np.array([0.8, 0.8, 2.5])


def write_set(name, cases):
    d = os.path.join(out, name)
    os.makedirs(os.path.join(d, 'imgs'), exist_ok=True)
    os.makedirs(os.path.join(d, 'gts'), exist_ok=True)
    for case, (img_arrays, gts_arrays, post) in cases.items():
        ip = os.path.join(d, 'imgs', case + '.npz')
        gp = os.path.join(d, 'gts', case + '.npz')
        np.savez_compressed(ip, **img_arrays)
        np.savez_compressed(gp, **gts_arrays)
        if post:
            post(ip, gp)


def valid_case():
    imgs, boxes, gts = good2d()
    return {'imgs': imgs, 'boxes': boxes}, {'gts': gts}, None


def truncate(ip, gp):
    data = open(ip, 'rb').read()
    open(ip, 'wb').write(data[: len(data) // 2])


broken = {}
i, b, g = good2d()
broken['truncated_zip'] = ('2DBox_US_0002', ({'imgs': i, 'boxes': b}, {'gts': g}, truncate))
i, b, g = good2d()
broken['wrong_key'] = ('2DBox_US_0003', ({'image': i, 'boxes': b}, {'gts': g}, None))
i, b, g = good2d()
broken['float_image'] = ('2DBox_X-Ray_0001', ({'imgs': i.astype(np.float32) / 255.0, 'boxes': b}, {'gts': g}, None))
i, b, g = good2d()
b2 = b.copy(); b2[1, 2] = 64  # x_max == W (outside, inclusive coordinates)
broken['box_outside'] = ('2DBox_Fundus_0001', ({'imgs': i, 'boxes': b2}, {'gts': g}, None))
i, b, g = good2d()
broken['object_dtype'] = ('2DBox_Endoscopy_0001', ({'imgs': i, 'boxes': np.array([[10, 5, 30, 20], None], dtype=object)}, {'gts': g}, None))
i, b, g = good2d()
broken['shape_mismatch'] = ('2DBox_Dermoscopy_0001', ({'imgs': i, 'boxes': b}, {'gts': g[:, :-1]}, None))
vi, vb, vg, sp = good3d()
broken['missing_spacing'] = ('3DBox_CT_0001', ({'imgs': vi, 'boxes': vb}, {'gts': vg, 'spacing': sp}, None))
vi, vb, vg, sp = good3d()
broken['dim_mismatch'] = ('3DBox_MR_0001', ({'imgs': vi, 'boxes': vb[:, :4], 'spacing': sp}, {'gts': vg, 'spacing': sp}, None))
i, b, g = good2d()
g3 = g.copy(); g3[0:2, 0:2] = 3
broken['label_without_box'] = ('2DBox_Microscope_0001', ({'imgs': i, 'boxes': b}, {'gts': g3}, None))
vi, vb, vg, sp = good3d()
broken['bad_spacing'] = ('3DBox_MR_0002', ({'imgs': vi, 'boxes': vb, 'spacing': np.array([0.8, 0.0, np.nan])}, {'gts': vg, 'spacing': sp}, None))
i, b, g = good2d()
b3 = b.copy(); b3[0, 0], b3[0, 2] = b3[0, 2], b3[0, 0]  # x_min > x_max
broken['box_min_gt_max'] = ('2DBox_OCT_0001', ({'imgs': i, 'boxes': b3}, {'gts': g}, None))



def flip_member_byte(ip, gp):
    # Corrupt one byte inside the imgs member's data, leaving the zip directory intact (CRC-32 / inflate error).
    import zipfile
    with zipfile.ZipFile(ip) as z:
        info = z.getinfo('imgs.npy')
    data = bytearray(open(ip, 'rb').read())
    pos = info.header_offset + 30 + len(info.filename) + 20 + info.compress_size // 2  # numpy's zip64 extra = 20 bytes
    data[pos] ^= 0xFF
    open(ip, 'wb').write(bytes(data))


i, b, g = good2d()
broken['corrupt_member'] = ('2DBox_Mammography_0001', ({'imgs': i, 'boxes': b}, {'gts': g}, flip_member_byte))

for name, (case, spec) in broken.items():
    write_set(name, {'2DBox_US_0001': valid_case(), case: spec})
write_set('all', {'2DBox_US_0001': valid_case(), **{case: spec for case, spec in broken.values()}})

# A valid set of "wild" files: big-endian, Fortran-order, int32 boxes, uint16 gts, float32 spacing, extra keys
# (including a pickled object array that must never be loaded).
vi, vb, vg, sp = good3d()
i, b, g = good2d()
write_set('wild_valid', {
    '3DBox_CT_0001': ({'imgs': np.asfortranarray(vi), 'boxes': vb.astype('>i8'), 'spacing': sp.astype('>f4')},
                      {'gts': np.asfortranarray(vg.astype('>u2')), 'spacing': sp.astype('>f4')}, None),
    '2DBox_X-Ray_0002': ({'imgs': i, 'boxes': np.asfortranarray(b.astype(np.int32)),
                          'text_prompts': np.array([{'1': 'lung'}], dtype=object)},
                         {'gts': g.astype(np.uint16)}, None),
})
# One case per case rule (src/cases/rules.ts), for the test that runs each through every entry point
# (test/cases/rules-entry-points.test.ts); the valid 2D and 3D cases must pass everywhere.
rules = {'2DBox_US_0001': valid_case()}
vi, vb, vg, sp = good3d()
rules['3DBox_CT_0103'] = ({'imgs': vi, 'boxes': vb, 'spacing': sp}, {'gts': vg, 'spacing': sp}, None)
vi, vb, vg, sp = good3d()
rules['3DBox_CT_0101'] = ({'imgs': vi, 'boxes': np.array([[2, 3, 2, 10, 12, 2]], dtype=np.int64), 'spacing': sp}, {'gts': vg, 'spacing': sp}, None)  # z_min == z_max
vi, vb, vg, sp = good3d()
rules['3DBox_CT_0102'] = ({'imgs': vi, 'boxes': vb}, {'gts': vg, 'spacing': sp}, None)  # no spacing in imgs
i = rng.integers(0, 256, (1, 64, 3), dtype=np.uint8)
rules['2DBox_US_0101'] = ({'imgs': i, 'boxes': np.array([[0, 0, 10, 0]], dtype=np.int64)}, {'gts': np.zeros((1, 64), np.uint8)}, None)  # height 1
i, b, g = good2d()
rules['2DBox_US_0102'] = ({'imgs': i.astype(np.uint16), 'boxes': b}, {'gts': g}, None)  # uint16 imgs 0..255
i, b, g = good2d()
rules['2DBox_US_0103'] = ({'imgs': i, 'boxes': b.astype(np.float64)}, {'gts': g}, None)  # float boxes
i, b, g = good2d()
rules['2DBox_US_0104'] = ({'imgs': i, 'boxes': np.zeros((0, 4), np.int64)}, {'gts': np.zeros_like(g)}, None)  # zero boxes
i, b, g = good2d()
b2 = b.copy(); b2[1, 2] = 64
rules['2DBox_US_0105'] = ({'imgs': i, 'boxes': b2}, {'gts': g}, None)  # box outside
i = rng.integers(0, 256, (2, 1100, 3), dtype=np.uint8)
rules['2DBox_US_0106'] = ({'imgs': i, 'boxes': np.array([[0, 0, 10, 1]], dtype=np.int64)}, {'gts': np.zeros((2, 1100), np.uint8)}, None)  # resizes to height 0
write_set('rules', rules)
print('ok')
