/**
 * The `points` box encoding (SAM's official ONNX export: the box as two corner points with labels 2 and 3) is a
 * declared option, not a hard-coded assumption. No public SAM export is stored here, so the test derives one from the
 * oracle decoder by editing its protobuf: input `boxes` is replaced by `point_coords` [1,2,2] and `point_labels` [1,2],
 * and a Reshape node rebuilds `boxes` [1,1,4] from the coordinates. The oracle variant run in `points` mode on that
 * model must reproduce the golden e2e segs exactly (2D and 3D).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readNpz } from '../../src/io/npz.js';
import { createRunner } from '../../src/runner/create.js';
import { loadVariants, type OnnxVariant } from '../../src/runner/variants.js';
import { INDEX, PUBLIC_IMGS, REPO, sha256Of } from './golden.js';

// --- minimal protobuf wire format (varint and length-delimited fields are all an ONNX model uses here) ---
type Field = { no: number; wt: number; v: bigint | Uint8Array };
function readVarint(b: Uint8Array, p: { i: number }): bigint {
  let r = 0n;
  let s = 0n;
  for (;;) {
    const x = b[p.i++]!;
    r |= BigInt(x & 0x7f) << s;
    if (!(x & 0x80)) return r;
    s += 7n;
  }
}
function parse(b: Uint8Array): Field[] {
  const out: Field[] = [];
  const p = { i: 0 };
  while (p.i < b.length) {
    const key = Number(readVarint(b, p));
    const no = key >>> 3;
    const wt = key & 7;
    if (wt === 0) out.push({ no, wt, v: readVarint(b, p) });
    else if (wt === 2) {
      const n = Number(readVarint(b, p));
      out.push({ no, wt, v: b.subarray(p.i, p.i + n) });
      p.i += n;
    } else if (wt === 5) {
      out.push({ no, wt, v: b.subarray(p.i, p.i + 4) });
      p.i += 4;
    } else if (wt === 1) {
      out.push({ no, wt, v: b.subarray(p.i, p.i + 8) });
      p.i += 8;
    } else throw new Error(`wire type ${wt}`);
  }
  return out;
}
function varint(x: bigint | number): number[] {
  let v = BigInt(x);
  const o: number[] = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v) byte |= 0x80;
    o.push(byte);
  } while (v);
  return o;
}
function encode(fields: Field[]): Uint8Array {
  const parts: number[] = [];
  for (const f of fields) {
    parts.push(...varint((f.no << 3) | f.wt));
    if (f.wt === 0) parts.push(...varint(f.v as bigint));
    else if (f.wt === 2) parts.push(...varint((f.v as Uint8Array).length), ...(f.v as Uint8Array));
    else parts.push(...(f.v as Uint8Array));
  }
  return Uint8Array.from(parts);
}
const str = (no: number, s: string): Field => ({ no, wt: 2, v: new TextEncoder().encode(s) });
const msg = (no: number, fields: Field[]): Field => ({ no, wt: 2, v: encode(fields) });
const int = (no: number, x: number): Field => ({ no, wt: 0, v: BigInt(x) });
/** ValueInfoProto of a float tensor with fixed dims. */
const floatInput = (name: string, dims: number[]): Field =>
  msg(11, [str(1, name), msg(2, [msg(1, [int(1, 1), msg(2, dims.map((d) => msg(1, [int(1, d)])))])])]);

function pointsDecoder(oracleDecoder: Uint8Array): Uint8Array {
  const model = parse(oracleDecoder);
  const graph = parse(model.find((f) => f.no === 7)!.v as Uint8Array);
  const name = (f: Field) => new TextDecoder().decode(parse(f.v as Uint8Array).find((x) => x.no === 1)!.v as Uint8Array);
  const kept = graph.filter((f) => !(f.no === 11 && name(f) === 'boxes'));
  expect(kept.length).toBe(graph.length - 1);
  const shape = msg(5, [int(1, 3), int(2, 7), { no: 7, wt: 2, v: Uint8Array.from([...varint(1), ...varint(1), ...varint(4)]) }, str(8, 'boxes_shape')]);
  const reshape = msg(1, [str(1, 'point_coords'), str(1, 'boxes_shape'), str(2, 'boxes'), str(3, 'points_to_boxes'), str(4, 'Reshape')]);
  const newGraph = [reshape, ...kept, shape, floatInput('point_coords', [1, 2, 2]), floatInput('point_labels', [1, 2])];
  return encode(model.map((f) => (f.no === 7 ? { ...f, v: encode(newGraph) } : f)));
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'runner-points-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('points box encoding', () => {
  it('a SAM-style points decoder run with boxEncoding points reproduces the golden segs', async () => {
    const oracle = loadVariants().find((v) => v.name === 'oracle') as OnnxVariant;
    const dec = path.join(tmp, 'decoder_points.onnx');
    writeFileSync(dec, pointsDecoder(readFileSync(path.join(REPO, 'models', 'oracle', 'decoder.onnx'))));
    const variant: OnnxVariant = {
      ...oracle,
      name: 'oracle-points',
      decoder: dec,
      sha256: { encoder: oracle.sha256!.encoder },
      boxEncoding: { type: 'points', coordsInput: 'point_coords', labelsInput: 'point_labels' },
    };
    const r = createRunner(variant);
    const { facts } = await r.prepare();
    expect(facts!.box_encoding).toEqual({ type: 'points', coordsInput: 'point_coords', labelsInput: 'point_labels' });
    for (const f of ['2DBox_X-Ray_0001.npz', '3DBox_MR_0002.npz']) {
      const out = path.join(tmp, f);
      await r.runCase(path.join(PUBLIC_IMGS, f), out, { caseName: f.replace('.npz', ''), logDir: tmp });
      const segs = (await readNpz(out)).segs!;
      expect(sha256Of(segs), f).toBe(INDEX.sets.e2e.cases.find((c: any) => c.case === f).segs_sha256);
    }
    await r.dispose();
    // and the boxes-mode variant refuses this model with a clear message
    const wrong = createRunner({ ...variant, boxEncoding: { type: 'boxes', input: 'boxes' } });
    await expect(wrong.prepare()).rejects.toThrow(/no input named "boxes" \(boxEncoding.input\); the model's inputs are: "image_embeddings", "point_coords", "point_labels"/);
  });
});
