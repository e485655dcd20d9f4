/**
 * Image operations of the LiteMedSAM reference pipeline (../shared/docs/PIPELINE.md), on typed arrays, reproducing
 * OpenCV 4.6 `cv2.resize(INTER_AREA)` and torch 1.13 `F.interpolate(bilinear, align_corners=False)` + `sigmoid > 0.5`
 * bit for bit. The exact arithmetic rules come from ../shared/golden/pipeline/README.md (written from OpenCV's
 * `modules/imgproc/src/resize.cpp` and torch's `UpSampleKernel.cpp`) and are tested against its golden vectors.
 *
 * Conventions: images are interleaved (row-major, channels last) `Uint8Array`s of `height*width*channels`;
 * coordinates x = column, y = row; boxes are inclusive pixel coordinates `[x_min, y_min, x_max, y_max]`.
 *
 * Modules (this file re-exports their public functions): imageops/area.ts (OpenCV INTER_AREA resize),
 * imageops/prompts.ts (encoder input pre-processing and box prompts), imageops/bilinear.ts (torch bilinear
 * post-processing and the mask threshold), imageops/common.ts (frame size, image type, shared helpers).
 */
export { FRAME, SIGMOID_HALF_THRESHOLD, type Image8 } from './imageops/common.js';
export { interAreaPath, longestSideSize, resizeLongestSide, type InterAreaPath } from './imageops/area.js';
export { bbox256FromMask, box256, normalizePad, tightBox } from './imageops/prompts.js';
export { fma32, postprocessMask } from './imageops/bilinear.js';
