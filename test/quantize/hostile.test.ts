/**
 * `bench quantize` against a hostile command line (real CLI, the oracle variant's tiny real ONNX pair): a bad --name,
 * --name equal to --from, --out on another variant's models or on a file, a corrupt calibration case, --calib-count
 * above the folder, --calib-cases with --calib-count. Errors name the option, the file, expected and found; nothing
 * the user owns is changed: the variants file stays byte for byte, no model file of another variant is touched; one
 * bad calibration case never stops the others.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { benchSync, DEMO, ROOT, testTempDir } from '../bench-cli.js';

const tmp = testTempDir('medseg-quantize-hostile-');
const vf = path.join(tmp, 'variants.json');
const calib = path.join(tmp, 'calib');
const other = path.join(tmp, 'other-models');

// variants: the oracle (source) and "other", whose models are copies in `other`
const raw = JSON.parse(readFileSync(path.join(ROOT, 'baselines', 'variants.json'), 'utf8')) as { variants: Record<string, unknown>[] };
const oracle = raw.variants.find((v) => v.name === 'oracle')!;
mkdirSync(other);
for (const r of ['encoder', 'decoder']) copyFileSync(path.join(ROOT, oracle[r] as string), path.join(other, `${r}.onnx`));
const variants = {
  variants: [
    { ...oracle, encoder: path.join(ROOT, oracle.encoder as string), decoder: path.join(ROOT, oracle.decoder as string) },
    { ...oracle, name: 'other', encoder: path.join(other, 'encoder.onnx'), decoder: path.join(other, 'decoder.onnx') },
  ],
};
const VARIANTS_TEXT = JSON.stringify(variants, null, 2);
writeFileSync(vf, VARIANTS_TEXT);
// two good 2D cases and a truncated one
mkdirSync(path.join(calib, 'imgs'), { recursive: true });
for (const c of ['2DBox_US_0001', '2DBox_X-Ray_0001']) copyFileSync(path.join(DEMO, 'imgs', `${c}.npz`), path.join(calib, 'imgs', `${c}.npz`));
const BROKEN = path.join(calib, 'imgs', '2DBox_Fundus_0001.npz');
writeFileSync(BROKEN, readFileSync(path.join(DEMO, 'imgs', '2DBox_Fundus_0001.npz')).subarray(0, 3000));

const quantize = (...args: string[]) => benchSync(['quantize', '--from', 'oracle', '--calib', calib, '--calib-count', '2', '--variants-file', vf, '--threads', '1', ...args], { timeout: 120_000 });
const otherBytes = () => ['encoder', 'decoder'].map((r) => readFileSync(path.join(other, `${r}.onnx`)).toString('base64'));

describe('bench quantize: refused before anything is written', () => {
  const before = otherBytes();
  it.each([
    [['--name', 'a b'], /--name "a b": expected a variant name \(letters, digits, \. _ - only\)/],
    [['--name', '..'], /--name "\.\.": expected a variant name \(not "\." or "\.\."/],
    [['--name', '../escape'], /--name "\.\.\/escape": expected a variant name/],
    [['--name', 'oracle', '--force'], /--name "oracle" is the variant being quantized \(--from\)/],
    [['--name', 'q1', '--force', '--out', other], /is a model of variant "other"; refusing to overwrite it/],
    [['--name', 'q1', '--method', 'kl'], /--method: expected "minmax", "percentile" or "entropy", found "kl"/],
    [['--name', 'q1', '--activations', 'int4'], /--activations: expected "uint8" or "int8", found "int4"/],
    [['--name', 'q1', '--calib-exclude', '/nowhere'], /--calib-exclude \/nowhere: \/nowhere: not a case set/],
    [['--name', 'q1', '--calib-exclude', calib], /--calib .*: all 3 cases are in --calib-exclude .*: no calibration case left/],
    [['--name', 'q1', '--calib-cases', '2DBox_US_0001'], /option '--calib-cases <list>' cannot be used with option '--calib-count <n>'/],
  ])('%j', (args, message) => {
    const r = quantize(...args);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/calibration \d/); // refused before the calibration
    expect(readFileSync(vf, 'utf8')).toBe(VARIANTS_TEXT);
    expect(otherBytes()).toEqual(before);
    expect(existsSync(path.join(ROOT, 'escape'))).toBe(false);
  });

  it('--out naming a file: refused at once, the file unchanged', () => {
    const file = path.join(tmp, 'notes.txt');
    writeFileSync(file, 'mine');
    const r = quantize('--name', 'q2', '--out', file);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain(`--out ${file}: expected a folder for encoder.onnx and decoder.onnx, found a file`);
    expect(readFileSync(file, 'utf8')).toBe('mine');
    expect(readFileSync(vf, 'utf8')).toBe(VARIANTS_TEXT);
  });
});

describe('bench quantize: a corrupt calibration case and --calib-count above the folder', () => {
  it('--calib may name the imgs folder itself, as documented', () => {
    const r = benchSync(['quantize', '--from', 'oracle', '--calib', path.join(calib, 'imgs'), '--calib-count', '1', '--variants-file', vf, '--threads', '1', '--name', 'q4', '--out', path.join(tmp, 'q4')], { timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/calibration cases: 2DBox_US_0001\n/);
  });

  it('the broken case is left out and named (file, key, expected, found); the others calibrate; the record says so', () => {
    const r = quantize('--name', 'q3', '--calib-count', '5', '--out', path.join(tmp, 'q3'));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain(`note: calibration case 2DBox_Fundus_0001 left out: ${BROKEN}: key '(file)': not a readable .npz (zip) archive`);
    expect(r.stderr).toMatch(/\(expected a zip archive of \.npy members; found unreadable archive\)/);
    expect(r.stderr).toContain(`note: --calib-count 5: ${calib} has 2 usable calibration case(s); calibrating on 2`);
    const q = (JSON.parse(readFileSync(vf, 'utf8')) as { variants: { name: string; quantization?: Record<string, unknown> }[] }).variants.find((v) => v.name === 'q3')!.quantization!;
    expect(q.calibration_cases).toEqual(['2DBox_US_0001', '2DBox_X-Ray_0001']);
    expect((q.calibration_skipped as { case: string }[]).map((s) => s.case)).toEqual(['2DBox_Fundus_0001']);
  });
});
