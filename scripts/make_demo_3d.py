#!/usr/bin/env python3
"""Make the two 3D cases of the demo set (cases/demo) from real public cases: a subset of their objects.

The default `bench run` runs every bundled variant on cases/demo; a 3D case costs one encoder call per slice that a
box visits and one decoder call per box per slice, so the full 3DBox_CT_0001 (37 objects, 741 decoder calls over 30
slices) and 3DBox_MR_0001 (19 objects, 306 decoder calls) made the demo take about 10 minutes. The demo cases keep the
same volume (imgs, spacing: unchanged arrays) and a subset of the objects, chosen to lie in a few consecutive slices:
their `boxes` rows (unchanged) and their `gts` labels (voxels unchanged, relabelled 1..n in the source order; every
other label set to 0, i.e. background, as in a case where only those organs were annotated).

Written with np.savez_compressed like the challenge's files; labels_3d.json gets one entry per new case naming the
labels and the source case/labels. Run once from the repository root:

    python3 scripts/make_demo_3d.py ../shared/cases/public cases/demo

then update cases/demo/SHA256SUMS (`cd cases/demo && sha256sum imgs/*.npz gts/*.npz > SHA256SUMS`).
"""
import json
import os
import sys

import numpy as np

# new case -> (source case, source labels kept, in this order -> new labels 1..n)
SUBSETS = {
    # slices 0-14 (15 of 30): 59 decoder calls, 15 encoder calls
    '3DBox_CT_0101': ('3DBox_CT_0001', [4, 13, 14, 16, 25]),  # gallbladder, small_bowel, duodenum, vertebrae_L2, iliopsoas_left
    # slices 0-10 (11 of 20): 32 decoder calls, 11 encoder calls
    '3DBox_MR_0101': ('3DBox_MR_0001', [3, 8, 9, 19]),  # kidney_left, small_bowel, duodenum, iliopsoas_right
}


def main(src: str, dst: str) -> None:
    labels_src = json.load(open(os.path.join(src, '..', 'labels_3d.json')))
    labels_path = os.path.join(dst, 'labels_3d.json')
    labels_dst = json.load(open(labels_path)) if os.path.exists(labels_path) else {}
    for new, (case, keep) in SUBSETS.items():
        imgs = np.load(os.path.join(src, 'imgs', f'{case}.npz'))
        gts = np.load(os.path.join(src, 'gts', f'{case}.npz'))
        boxes = imgs['boxes']
        assert set(imgs.files) == {'imgs', 'boxes', 'spacing'} and set(gts.files) == {'gts', 'spacing'}, case
        g = gts['gts']
        assert int(g.max()) == len(boxes), f'{case}: labels 1..{g.max()} vs {len(boxes)} boxes'
        new_g = np.zeros_like(g)
        for i, lab in enumerate(keep, start=1):
            new_g[g == lab] = i
        new_boxes = boxes[[lab - 1 for lab in keep]]
        np.savez_compressed(os.path.join(dst, 'imgs', f'{new}.npz'), imgs=imgs['imgs'], boxes=new_boxes, spacing=imgs['spacing'])
        np.savez_compressed(os.path.join(dst, 'gts', f'{new}.npz'), gts=new_g, spacing=gts['spacing'])
        names = labels_src[case]['labels']
        entry = {k: v for k, v in labels_src[case].items() if k not in ('labels', 'source_class_ids', 'dropped_small_classes(<100 vox)')}
        entry['labels'] = {str(i): names[str(lab)] for i, lab in enumerate(keep, start=1)}
        entry['source_case'] = case
        entry['source_labels'] = {str(i): lab for i, lab in enumerate(keep, start=1)}
        labels_dst[new] = entry
        zs = [(int(b[2]), int(b[5])) for b in new_boxes]
        calls = sum(min(z1, g.shape[0] - 1) - max(z0, 0) + 1 for z0, z1 in zs)
        slices = len({z for z0, z1 in zs for z in range(max(z0, 0), min(z1, g.shape[0] - 1) + 1)})
        print(f'{new}: {case} labels {keep} -> 1..{len(keep)}; shape {g.shape}; {calls} decoder calls over {slices} slices')
    json.dump(labels_dst, open(labels_path, 'w'), indent=1)
    open(labels_path, 'a').write('\n')


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2])
