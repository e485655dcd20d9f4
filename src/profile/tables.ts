/**
 * Tables and the chart of `bench profile`: Markdown tables with padded cells (readable as-is in a terminal, valid
 * GitHub Markdown), and one PNG stacked bar chart of kernel milliseconds per run by op type, per variant and role.
 */
import { axisTitle, colour, commonOptions, render } from '../reports/chart-render.js';
import { escapeMarkdown as esc, markdownTable } from '../reports/format.js';
import { opCategory, ROLES, type Role, type VariantProfile } from './profile.js';

/** A Markdown table whose columns are padded to equal width (cells escaped by the reports' one table formatter). */
export function paddedTable(header: string[], align: ('l' | 'r')[], rows: string[][]): string {
  return markdownTable(header, align, rows, { pad: true });
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const ms = (x: number) => x.toFixed(x >= 100 ? 0 : x >= 10 ? 1 : 2);
const mib = (b: number) => (b / 2 ** 20).toFixed(2);

/** Summary table: one row per variant and role (ms per run, shares by category, optimized-graph node counts, size). */
export function summaryTable(ps: VariantProfile[]): string {
  const header = ['Variant', 'Model', 'Runs', 'Kernel ms/run', 'Integer kernels', 'Q/DQ', 'Float Conv/MatMul/Gemm', 'Other', 'Graph: integer / Q-DQ / float compute / other nodes', 'File MiB'];
  const rows: string[][] = [];
  for (const p of ps) {
    for (const role of ROLES) {
      const r = p.roles[role];
      const other = 1 - r.integerShare - r.qdqShare - r.floatComputeShare;
      const c = r.composition;
      rows.push([p.variant, role, String(r.runs), ms(r.msPerRun), pct(r.integerShare), pct(r.qdqShare), pct(r.floatComputeShare), pct(Math.max(0, other)),
        `${c.integer} / ${c.qdq} / ${c['float-compute']} / ${c.other}`, mib(p.bytes[role])]);
    }
  }
  return paddedTable(header, ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'], rows);
}

/** Op-type table of one role: the `n` op types with most time over all variants; ms per run, share and calls per run. */
export function opTable(ps: VariantProfile[], role: Role, n = 12): string {
  const tot = new Map<string, number>();
  for (const p of ps) for (const o of p.roles[role].ops) tot.set(o.op, (tot.get(o.op) ?? 0) + o.share);
  const ops = [...tot].sort((a, b) => b[1] - a[1]).slice(0, n).map(([op]) => op);
  const header = ['Op type', 'Kind', ...ps.flatMap((p) => [`${p.variant} ms/run`, 'share', 'calls/run'])];
  const rows = ops.map((op) => [op, opCategory(op), ...ps.flatMap((p) => {
    const r = p.roles[role];
    const o = r.ops.find((x) => x.op === op);
    const runs = Math.max(1, r.runs);
    return o ? [ms(o.ms / runs), pct(o.share), (o.calls / runs).toFixed(o.calls % runs ? 1 : 0)] : ['-', '-', '-'];
  })]);
  return paddedTable(header, header.map((_, i) => (i < 2 ? 'l' : 'r')), rows);
}

/** Top nodes of one variant and role. */
export function topNodesTable(p: VariantProfile, role: Role): string {
  const r = p.roles[role];
  const runs = Math.max(1, r.runs);
  return paddedTable(
    ['Node', 'Op type', 'ms/run', 'share'],
    ['l', 'l', 'r', 'r'],
    r.topNodes.map((n) => [n.node.length > 70 ? `...${n.node.slice(-67)}` : n.node, n.op, ms(n.ms / runs), pct(n.share)]),
  );
}

/** The whole Markdown document of a profile. */
export function profileMarkdown(ps: VariantProfile[], context: string): string {
  const parts = [
    '## Where the time goes (onnxruntime profiler)',
    '',
    context,
    '',
    '### Summary: kernel time by kind, optimized graph composition, model size',
    '',
    summaryTable(ps),
    '',
    '- Integer kernels: fused QLinearConv / QLinearMatMul / MatMulIntegerToFloat / DynamicQuantizeMatMul / ConvInteger ...; Q/DQ: QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear left in the executed graph; float compute: Conv / MatMul / Gemm (incl. fused float variants) that stayed float.',
    '- Graph counts come from the optimized model onnxruntime wrote (`optimizedModelFilePath`), i.e. after its QDQ fusions.',
  ];
  for (const role of ROLES) {
    parts.push('', `### ${role}: time per op type`, '', opTable(ps, role));
  }
  for (const p of ps) {
    for (const role of ROLES) parts.push('', `### ${esc(p.variant)} ${role}: top nodes`, '', topNodesTable(p, role));
  }
  return parts.join('\n') + '\n';
}

/**
 * Stacked bars: one bar per variant x role, kernel ms per run split by op type (the 8 op types with most time over
 * all bars, the rest as "other").
 */
export async function profileChart(ps: VariantProfile[], subtitle: string): Promise<Buffer> {
  const bars = ps.flatMap((p) => ROLES.map((role) => ({ label: `${p.variant} ${role}`, r: p.roles[role] })));
  const tot = new Map<string, number>();
  for (const b of bars) for (const o of b.r.ops) tot.set(o.op, (tot.get(o.op) ?? 0) + o.ms / Math.max(1, b.r.runs));
  const top = [...tot].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([op]) => op);
  const perRun = (b: (typeof bars)[number], op: string) => {
    const o = b.r.ops.find((x) => x.op === op);
    return o ? o.ms / Math.max(1, b.r.runs) : 0;
  };
  const datasets = top.map((op, i) => ({ label: op, data: bars.map((b) => perRun(b, op)), backgroundColor: colour(i), stack: 's' }));
  datasets.push({
    label: 'other',
    data: bars.map((b) => b.r.msPerRun - top.reduce((a, op) => a + perRun(b, op), 0)),
    backgroundColor: '#BBBBBB',
    stack: 's',
  });
  return render({
    type: 'bar',
    data: { labels: bars.map((b) => b.label), datasets },
    options: {
      ...commonOptions('Kernel time per run by op type (onnxruntime profiler)', subtitle),
      scales: {
        x: { stacked: true, title: axisTitle('variant and model') },
        y: { stacked: true, beginAtZero: true, title: axisTitle('kernel time per run (ms)') },
      },
    },
  });
}
