/**
 * Pre-optimization before quantization, the step onnxruntime's quantization tool recommends (quant_pre_process in
 * onnxruntime/python/tools/quantization/shape_inference.py runs onnxruntime's graph optimizer before calibration):
 * the FP32 graph is loaded by onnxruntime-node with its *extended* (level 2) CPU fusions and the optimized graph it
 * writes (`optimizedModelFilePath`) is what gets calibrated and quantized.
 *
 * Why it matters on x86 (measured with `bench profile`, see docs/profile-quantize.md): in the raw graph a linear
 * layer is MatMul + Add(bias) and GELU is Div/Erf/Add/Mul/Mul. Quantized as they are, (1) the bias Add keeps every
 * MatMul output in float, so onnxruntime only fuses MatMul into an integer kernel when its output is quantized too,
 * which then needs a DequantizeLinear before every LayerNorm / residual Add / GELU; (2) a DequantizeLinear read by the
 * two first nodes of an unfused GELU is duplicated per consumer by onnxruntime (EnsureUniqueDQForNodeUnit), which
 * also blocks its GELU fusion. After the fusions, a linear layer is one Gemm with its bias (quantized to int32: QGemm
 * with a float output, no output Q/DQ needed) and GELU is one node that reads one DequantizeLinear.
 *
 * Constant folding can make the file bigger (TinyViT's attention biases: a small table gathered into a [heads, N, N]
 * tensor); {@link restoreFoldedConstants} puts the original subgraph back for such tensors, so the quantized file
 * stays small (onnxruntime folds them again in memory when it loads the model).
 *
 * The level-3 layout fusions (NCHWc Conv, ReorderInput/Output) are hardware specific and are NOT applied here;
 * onnxruntime applies them again when the quantized model is loaded.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { decodeModel, encodeModel, type Model, type Node, type Tensor } from '../onnx/proto.js';

/**
 * The graph onnxruntime-node executes after its basic + extended (level 1 and 2) CPU fusions: MatMul + Add -> Gemm,
 * GELU -> com.microsoft Gelu, LayerNorm patterns -> LayerNormalization / SkipLayerNormalization, MatMul + Transpose /
 * scale -> com.microsoft FusedMatMul, constant folding. Shapes and outputs are unchanged; the result needs
 * onnxruntime (contrib ops of domain com.microsoft).
 * @param bytes an ONNX model (float).
 * @param where the model's file, named in errors.
 * @throws Error naming `where` when onnxruntime cannot load the model.
 */
export async function preoptimize(bytes: Uint8Array, where: string): Promise<Uint8Array> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'preoptimize-'));
  try {
    const out = path.join(dir, 'optimized.onnx');
    let s: ort.InferenceSession;
    try {
      s = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'extended', optimizedModelFilePath: out, logSeverityLevel: 3, intraOpNumThreads: 1 });
    } catch (e) {
      throw new Error(`${where}: onnxruntime cannot load the model to pre-optimize it: ${(e as Error).message}`, { cause: e });
    }
    await s.release();
    const m = decodeModel(readFileSync(out), `${where} (pre-optimized by onnxruntime)`);
    restoreFoldedConstants(m, decodeModel(bytes, where));
    return encodeModel(m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Bytes of a tensor's payload. */
function payloadBytes(t: Tensor): number {
  return (t.raw_data?.length ?? 0) + 4 * ((t.float_data?.length ?? 0) + (t.int32_data?.length ?? 0)) + 8 * (t.int64_data?.length ?? 0);
}

/**
 * Undo constant folding where it grew the model: every initializer of `pre` of more than `minBytes` that is not an
 * initializer of `original` but the output of a constant-only subgraph there (same tensor name; onnxruntime keeps node
 * output names when it folds) is removed again, and that subgraph (its nodes in original order, and the initializers
 * they read) is put at the head of `pre`'s graph. Returns the number of restored tensors.
 * @throws Error when such a tensor's subgraph in `original` reads a graph input (it would not have been constant).
 */
export function restoreFoldedConstants(pre: Model, original: Model, minBytes = 16 * 1024): number {
  const origInit = new Map(original.graph.initializer.map((t) => [t.name ?? '', t]));
  const origIndex = new Map(original.graph.node.map((n, i) => [n, i]));
  const producer = new Map<string, Node>();
  for (const n of original.graph.node) for (const o of n.output) producer.set(o, n);
  const preInit = new Set(pre.graph.initializer.map((t) => t.name ?? ''));
  const restore = pre.graph.initializer.filter((t) => payloadBytes(t) > minBytes && !origInit.has(t.name ?? '') && producer.has(t.name ?? ''));
  if (!restore.length) return 0;
  const nodes = new Set<Node>();
  const inits = new Map<string, Tensor>();
  const visit = (name: string): void => {
    if (!name) return;
    const t = origInit.get(name);
    if (t) {
      if (!preInit.has(name)) inits.set(name, t);
      return;
    }
    const p = producer.get(name);
    if (!p) throw new Error(`folded constant depends on "${name}", which is neither an initializer nor a node output`);
    if (nodes.has(p)) return;
    nodes.add(p);
    for (const i of p.input) visit(i);
  };
  for (const t of restore) visit(t.name ?? '');
  const removed = new Set(restore.map((t) => t.name ?? ''));
  pre.graph.initializer = [...pre.graph.initializer.filter((t) => !removed.has(t.name ?? '')), ...inits.values()];
  pre.graph.node = [...[...nodes].sort((a, b) => origIndex.get(a)! - origIndex.get(b)!), ...pre.graph.node];
  // a restored subgraph may also produce (as a side output) a tensor pre still holds as a small initializer
  const produced = new Set([...nodes].flatMap((n) => n.output));
  pre.graph.initializer = pre.graph.initializer.filter((t) => !produced.has(t.name ?? ''));
  return restore.length;
}
