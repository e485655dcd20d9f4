#!/usr/bin/env python3
"""Write a CT-like (287, 512, 512) uint8 volume with np.savez_compressed for `npm run bench:io`.

The content imitates a windowed abdominal CT (as the challenge's 3D cases): air outside an elliptical body is 0,
soft tissue with a few organs of different intensity, bone, and mild noise, so that the deflate ratio is close to
real case files (3DBox_CT_0002 of the public set: about 1.8x). Keys: imgs (uint8), boxes (int64 (1,6)),
spacing (float64 (3,)).

With --noisy, Gaussian noise (sigma 6) is added everywhere, background included: a worst case for inflate speed
(deflate ratio about 1.2x; every byte a literal code).

usage: scripts/make_bench_volume.py OUT.npz [--noisy] [D H W]
"""
import sys

import numpy as np

args = [a for a in sys.argv[1:] if a != '--noisy']
noisy = '--noisy' in sys.argv
out = args[0]
D, H, W = (int(x) for x in args[1:4]) if len(args) >= 4 else (287, 512, 512)
rng = np.random.default_rng(287)
y, x = np.ogrid[:H, :W]
vol = np.zeros((D, H, W), np.uint8)
for z in range(D):
    t = z / max(D - 1, 1)
    ry, rx = H * (0.33 + 0.04 * np.sin(3 * t)), W * (0.42 + 0.03 * np.cos(2 * t))
    body = ((y - H / 2) / ry) ** 2 + ((x - W / 2) / rx) ** 2 < 1
    sl = np.where(body, 120.0, 0.0)
    liver = ((y - H * 0.45) / (H * 0.15)) ** 2 + ((x - W * 0.35) / (W * 0.16)) ** 2 < 1 - 0.5 * abs(t - 0.5)
    sl[liver & body] = 150
    kid = (((y - H * 0.6) / (H * 0.05)) ** 2 + ((np.abs(x - W / 2) - W * 0.16) / (W * 0.04)) ** 2) < 1
    sl[kid & body] = 170
    spine = ((y - H * 0.7) / (H * 0.05)) ** 2 + ((x - W / 2) / (W * 0.05)) ** 2 < 1
    sl[spine] = 255
    fat = body & (((y - H / 2) / (ry * 0.9)) ** 2 + ((x - W / 2) / (rx * 0.9)) ** 2 > 1)
    sl[fat] = 60
    sl = sl + (rng.normal(0, 6, (H, W)) + 40 if noisy else body * rng.normal(0, 8, (H, W)))
    vol[z] = np.clip(sl, 0, 255).astype(np.uint8)
np.savez_compressed(out, imgs=vol, boxes=np.array([[100, 150, 10, 300, 350, D - 10]], dtype=np.int64),
                    spacing=np.array([0.8, 0.8, 1.5]))
print(f'{out}: {vol.shape} uint8')
