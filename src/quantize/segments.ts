/**
 * Bounded-memory calibration runs: the model is cut into consecutive segments of its (topologically sorted) nodes so
 * that each segment exposes at most `maxTensors` calibration tensors as outputs, and a call runs the segments one
 * after the other, handing on only the tensors a later segment (or the caller) reads.
 *
 * Why: exposing every calibration tensor of the whole graph as an output at once keeps all of them alive inside
 * onnxruntime until the run ends, and again as copies in JS: for the aug-fp32 encoder (pre-optimized, 97 Conv/Gemm
 * tensors) that is 1.16 GB per call, twice, and `bench quantize` peaked at 3.8 GB RSS. Cut into segments, a run holds
 * at most `maxTensors` calibration tensors plus the few tensors crossing a cut (the residual stream), and the compute
 * is the same as one run of the whole graph (each node runs once). onnxruntime's own MinMaxCalibrater instead adds
 * ReduceMin/ReduceMax nodes (onnxruntime/python/tools/quantization/calibrate.py), which only serves min/max; the
 * histogram methods need the values.
 */
import * as ort from 'onnxruntime-node';
import { decodeModel, encodeModel, tensorFloat32, toNum, type Model, type Node, type Tensor, type ValueInfo } from '../onnx/proto.js';

/** One segment: a run of consecutive nodes of the graph. */
export interface Segment {
  /** Node indices [start, end) into the graph's node list. */
  start: number;
  end: number;
  /** Tensors the segment reads that come from the feeds or an earlier segment (not initializers). */
  inputs: string[];
  /** Calibration tensors produced by this segment (each calibration tensor is in exactly one segment, or a feed). */
  calibrated: string[];
  /** Tensors produced here that a later segment reads or that are outputs of the whole graph. */
  handOn: string[];
}

export interface SegmentPlan {
  segments: Segment[];
  /** Calibration tensors that are inputs of the whole graph (their values are the feeds). */
  fromFeeds: string[];
  /** For every tensor handed on: index of the last segment that reads it (graph outputs: segments.length). */
  lastUse: Map<string, number>;
}

/** Names a node reads, including the outer-scope names its subgraphs (If/Loop/Scan bodies) read. */
function nodeReads(n: Node): string[] {
  const out = n.input.filter((x) => x !== '');
  for (const a of n.attribute ?? []) {
    const graphs = [...(a.g ? [a.g as { node?: Node[] }] : []), ...((a.graphs as { node?: Node[] }[] | undefined) ?? [])];
    for (const g of graphs) for (const sn of g.node ?? []) out.push(...nodeReads(sn));
  }
  return out;
}

/**
 * Cut the graph into segments exposing at most `maxTensors` calibration tensors each (a single node producing more
 * is a segment of its own). Node order is the graph's, which ONNX requires to be topological.
 * @param tensors calibration tensor names (graph inputs or node outputs; others are an error).
 * @throws Error when `maxTensors` < 1, the node list is not topologically sorted, or a tensor is produced nowhere.
 */
export function planSegments(m: Model, tensors: readonly string[], maxTensors: number): SegmentPlan {
  if (!(maxTensors >= 1)) throw new Error(`calibration: at most ${maxTensors} tensors per run is not a positive count`);
  const g = m.graph;
  const want = new Set(tensors);
  const inits = new Set(g.initializer.map((t) => t.name ?? ''));
  const graphInputs = new Set(g.input.map((i) => i.name));
  const producer = new Map<string, number>();
  g.node.forEach((n, i) => n.output.forEach((o) => o && producer.set(o, i)));
  const fromFeeds = tensors.filter((t) => graphInputs.has(t) && !inits.has(t));
  for (const t of tensors) {
    if (!producer.has(t) && !fromFeeds.includes(t)) throw new Error(`calibration tensor "${t}" is neither a graph input nor a node output`);
  }
  // cut points
  const bounds: [number, number][] = [];
  let start = 0;
  let count = 0;
  g.node.forEach((n, i) => {
    const k = n.output.filter((o) => want.has(o)).length;
    if (count > 0 && count + k > maxTensors) {
      bounds.push([start, i]);
      start = i;
      count = 0;
    }
    count += k;
  });
  if (g.node.length) bounds.push([start, g.node.length]);
  const segOf = (nodeIndex: number) => bounds.findIndex(([a, b]) => nodeIndex >= a && nodeIndex < b);
  const nodeSeg = g.node.map((_, i) => segOf(i));
  const lastUse = new Map<string, number>();
  const segments: Segment[] = bounds.map(([a, b], s) => {
    const inputs = new Set<string>();
    for (let i = a; i < b; i++) {
      for (const x of nodeReads(g.node[i]!)) {
        if (inits.has(x)) continue;
        const p = producer.get(x);
        if (p === undefined && !graphInputs.has(x)) continue; // a subgraph's own name
        if (p !== undefined && p >= i) throw new Error(`calibration: the graph's nodes are not topologically sorted ("${x}" is read by node ${i} before node ${p} makes it)`);
        if (p === undefined || nodeSeg[p]! < s) {
          inputs.add(x);
          lastUse.set(x, Math.max(lastUse.get(x) ?? -1, s));
        }
      }
    }
    const calibrated: string[] = [];
    for (let i = a; i < b; i++) for (const o of g.node[i]!.output) if (want.has(o)) calibrated.push(o);
    return { start: a, end: b, inputs: [...inputs], calibrated, handOn: [] };
  });
  for (const o of g.output) lastUse.set(o.name, segments.length);
  for (const [name, last] of lastUse) {
    const p = producer.get(name);
    if (p === undefined) continue; // a feed
    const s = nodeSeg[p]!;
    if (last > s) segments[s]!.handOn.push(name);
  }
  return { segments, fromFeeds, lastUse };
}

/** ONNX TensorProto.DataType of an onnxruntime-node tensor type. */
const ONNX_TYPE: Record<string, number> = { float32: 1, uint8: 2, int8: 3, uint16: 4, int16: 5, int32: 6, int64: 7, string: 8, bool: 9, float16: 10, float64: 11, uint32: 12, uint64: 13 };

/** A standalone model of one segment; input types from the tensors that will be fed. */
export function segmentModel(m: Model, seg: Segment, inputTypes: Record<string, string>): Uint8Array {
  const g = m.graph;
  const nodes = g.node.slice(seg.start, seg.end);
  const reads = new Set(nodes.flatMap(nodeReads));
  const initializer: Tensor[] = g.initializer.filter((t) => reads.has(t.name ?? ''));
  const input: ValueInfo[] = seg.inputs.map((name) => {
    const t = inputTypes[name];
    const elem = t === undefined ? undefined : ONNX_TYPE[t];
    if (elem === undefined) throw new Error(`calibration segment input "${name}": unsupported tensor type ${t ?? '(missing)'}`);
    return { name, type: { tensor_type: { elem_type: elem } } };
  });
  const outNames = [...new Set([...seg.handOn, ...seg.calibrated])];
  const known = new Map([...g.value_info, ...g.output].map((v) => [v.name, v]));
  const output: ValueInfo[] = outNames.map((name) => known.get(name) ?? { name, type: { tensor_type: { elem_type: 1 } } });
  const sub: Model = { ...m, graph: { ...g, node: nodes, initializer, input, output, value_info: g.value_info.filter((v) => reads.has(v.name) || outNames.includes(v.name)) } };
  return encodeModel(sub);
}

/** Counts a {@link SegmentedSession} keeps for the bounded-memory check. */
export interface SegmentRunStats {
  /** Most calibration tensors returned by one segment run (<= maxTensors unless one node makes more). */
  maxCalibratedPerRun: number;
  /** Most tensors held between segments at once (hand-on tensors, not calibration-only ones). */
  maxHeld: number;
  segmentRuns: number;
}

/**
 * The whole graph as a chain of segment sessions (created on first use, onnxruntime's CPU memory arena off so that a
 * segment's buffers are freed when its run ends). `run` returns the graph's outputs and passes every calibration
 * tensor to `onTensor` right after its segment ran; nothing of it is kept afterwards.
 */
export class SegmentedSession {
  readonly plan: SegmentPlan;
  readonly inputNames: string[];
  readonly outputNames: string[];
  readonly stats: SegmentRunStats = { maxCalibratedPerRun: 0, maxHeld: 0, segmentRuns: 0 };
  private readonly model: Model;
  private readonly sessions: (ort.InferenceSession | undefined)[];
  /** Graph outputs that are initializers (onnxruntime folded a constant subgraph, e.g. a ConstantOfShape). */
  private readonly constants = new Map<string, ort.Tensor>();

  constructor(
    bytes: Uint8Array,
    where: string,
    tensors: readonly string[],
    maxTensors: number,
    private readonly options: ort.InferenceSession.SessionOptions,
    private readonly onTensor: (name: string, t: ort.Tensor) => void,
  ) {
    this.model = decodeModel(bytes, where);
    const inits = new Set(this.model.graph.initializer.map((t) => t.name));
    this.inputNames = this.model.graph.input.map((i) => i.name).filter((n) => !inits.has(n));
    this.outputNames = this.model.graph.output.map((o) => o.name);
    this.plan = planSegments(this.model, tensors, maxTensors);
    this.sessions = this.plan.segments.map(() => undefined);
    const produced = new Set(this.model.graph.node.flatMap((n) => n.output));
    for (const name of this.outputNames) {
      const t = this.model.graph.initializer.find((x) => x.name === name);
      if (t && t.data_type === 1 && !produced.has(name)) this.constants.set(name, new ort.Tensor('float32', tensorFloat32(t), t.dims.map(toNum)));
    }
  }

  /** Run all segments on `feeds`; the graph's outputs (all of them). */
  async run(feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>> {
    const held = new Map<string, ort.Tensor>(Object.entries(feeds));
    for (const n of this.plan.fromFeeds) {
      const t = feeds[n];
      if (!t) throw new Error(`calibration: feed "${n}" missing`);
      this.onTensor(n, t);
    }
    for (const [s, seg] of this.plan.segments.entries()) {
      const segFeeds: Record<string, ort.Tensor> = {};
      for (const n of seg.inputs) {
        const t = held.get(n);
        if (!t) throw new Error(`calibration segment ${s}: input "${n}" was not computed`);
        segFeeds[n] = t;
      }
      let session = this.sessions[s];
      if (!session) {
        const types = Object.fromEntries(Object.entries(segFeeds).map(([n, t]) => [n, t.type]));
        session = await ort.InferenceSession.create(segmentModel(this.model, seg, types), { ...this.options, enableCpuMemArena: false });
        this.sessions[s] = session;
      }
      const out = await session.run(segFeeds);
      this.stats.segmentRuns++;
      this.stats.maxCalibratedPerRun = Math.max(this.stats.maxCalibratedPerRun, seg.calibrated.length);
      for (const n of seg.calibrated) this.onTensor(n, out[n]!);
      for (const n of seg.handOn) held.set(n, out[n]!);
      // drop what no later segment reads (graph outputs have lastUse = segments.length)
      for (const n of [...held.keys()]) if ((this.plan.lastUse.get(n) ?? -1) <= s && !this.outputNames.includes(n)) held.delete(n);
      this.stats.maxHeld = Math.max(this.stats.maxHeld, held.size);
    }
    const result: Record<string, ort.Tensor> = {};
    for (const n of this.outputNames) {
      const t = held.get(n) ?? this.constants.get(n);
      if (!t) throw new Error(`calibration: graph output "${n}" was not computed`);
      result[n] = t;
    }
    return result;
  }

  async release(): Promise<void> {
    for (const s of this.sessions) await s?.release();
  }
}
