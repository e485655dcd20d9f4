/**
 * Report notes on the models themselves: file size per variant (the paper's "reduces the memory footprint" as a
 * measured figure), the settings of variants made by `bench quantize`, and calibration/evaluation overlap warnings.
 * Read from run.json: `variants[].facts.models[].bytes` (onnx runner), `variants[].definition.quantization`,
 * `variants[].calibration_overlap`.
 */
import type { RunMeta } from '../results/store.js';

const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;

/**
 * Notes for the report: one line with the model file sizes (encoder + decoder) of every variant that has them, one
 * line per quantized variant with its settings, one warning per variant evaluated on its own calibration cases.
 */
export function modelNotes(meta: RunMeta): string[] {
  const notes: string[] = [];
  const sizes: string[] = [];
  for (const v of meta.variants ?? []) {
    const facts = v.facts as { models?: { bytes?: number }[] } | undefined;
    const bytes = facts?.models?.reduce((a, m) => a + (m.bytes ?? 0), 0) ?? 0;
    if (bytes > 0) sizes.push(`${v.name} ${mib(bytes)}`);
    const q = (v.definition as { quantization?: Record<string, unknown> } | undefined)?.quantization;
    if (q) {
      const cases = Array.isArray(q.calibration_cases) ? q.calibration_cases.length : 0;
      const ops = Array.isArray(q.op_types) ? q.op_types.join('/') : '?';
      notes.push(
        `${v.name}: made by bench quantize from ${String(q.from)}: ${String(q.mode)}` +
          (typeof q.activations === 'string' ? `, ${q.activations} activations (${String(q.method)} calibration on ${cases} cases)` : '') +
          `, int8 ${q.per_channel ? 'per-channel' : 'per-tensor'} ${q.symmetric_weights ? 'symmetric' : 'asymmetric'} weights, ops ${ops}` +
          (typeof q.size_ratio === 'number' ? `; files ${q.size_ratio.toFixed(2)}x of ${String(q.from)}` : '') + '.',
      );
    }
    if (v.calibration_overlap?.length) {
      notes.push(`Warning: ${v.name} was calibrated on ${v.calibration_overlap.length} of the evaluated cases (${v.calibration_overlap.join(', ')}); its accuracy there is optimistic.`);
    }
  }
  if (sizes.length) notes.unshift(`Model files (encoder + decoder): ${sizes.join('; ')}.`);
  return notes;
}
