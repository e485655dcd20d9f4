/** Public surface of the npy/npz layer: `readNpz`, `writeNpz`, `readNpzInfo`, `writeSegs`, `segsArray` and helpers. */
export * from './npz.js';
export * from './segs.js';
export { decodeNpyData, fortranToC, npyHeaderBytes, ndarrayBytes } from './npy.js';
