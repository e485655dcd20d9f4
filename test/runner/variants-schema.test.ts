/**
 * Variants files are validated strictly: an unknown key (a misspelt `sha265` or `timeout_s`) is an error naming the
 * variant and key, with the close spelling suggested, never silently ignored. The bundled file still loads.
 */
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_VARIANTS_FILE, loadVariants, suggestKey, variantsBase } from '../../src/runner/variants.js';

function file(content: unknown): string {
  const f = path.join(mkdtempSync(path.join(os.tmpdir(), 'medseg-variants-')), 'variants.json');
  writeFileSync(f, JSON.stringify(content));
  return f;
}

const onnx = { name: 'a', kind: 'onnx', encoder: 'e.onnx', decoder: 'd.onnx' };

describe('strict variants file', () => {
  it('the bundled baselines/variants.json loads', () => {
    expect(loadVariants().length).toBeGreaterThan(3);
  });

  it('sha265 on an onnx variant: error with "did you mean sha256"', () => {
    const f = file({ variants: [{ ...onnx, sha265: { encoder: 'x' } }] });
    expect(() => loadVariants(f)).toThrow(/variants\.0: unknown key "sha265" \(did you mean "sha256"\?\)/);
  });

  it('timeout_s on a command variant: error with "did you mean timeoutS"', () => {
    const f = file({ variants: [{ name: 'c', kind: 'command', command: ['true'], timeout_s: 5 }] });
    expect(() => loadVariants(f)).toThrow(/variants\.0: unknown key "timeout_s" \(did you mean "timeoutS"\?\)/);
  });

  it('nested and top-level unknown keys, and keys with no close spelling', () => {
    expect(() => loadVariants(file({ variants: [{ ...onnx, tensors: { imgae: 'x' } }] }))).toThrow(/variants\.0\.tensors: unknown key "imgae" \(did you mean "image"\?\)/);
    expect(() => loadVariants(file({ variant: [], variants: [onnx] }))).toThrow(/\(root\): unknown key "variant" \(did you mean "variants"\?\)/);
    const err = (() => {
      try {
        loadVariants(file({ variants: [{ ...onnx, completelyUnrelated: 1 }] }));
      } catch (e) {
        return (e as Error).message;
      }
      return '';
    })();
    expect(err).toMatch(/unknown key "completelyUnrelated"; accepted: name, label/);
    expect(err).not.toMatch(/did you mean/);
  });

  it('suggestKey', () => {
    expect(suggestKey('sha265', ['sha256', 'encoder'])).toBe('sha256');
    expect(suggestKey('timeout_s', ['timeoutS', 'command'])).toBe('timeoutS');
    expect(suggestKey('zzz', ['timeoutS'])).toBeUndefined();
    expect(suggestKey('x', [])).toBeUndefined();
  });
});

describe('relative paths of a variants file', () => {
  it('start from the file\'s folder joined with its "root": a copy of the bundled file beside it finds the same models', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'medseg-variants-root-'));
    try {
      const bundled = loadVariants();
      // a copy in the same folder as the bundled file (baselines/), as a user makes one
      const copy = path.join(path.dirname(DEFAULT_VARIANTS_FILE), `.copy-${process.pid}.json`);
      copyFileSync(DEFAULT_VARIANTS_FILE, copy);
      try {
        const copied = loadVariants(copy);
        const paths = (vs: typeof bundled) => vs.filter((v) => v.kind === 'onnx').map((v) => [v.encoder, v.decoder]);
        expect(paths(copied)).toEqual(paths(bundled));
        for (const [enc] of paths(copied)) expect(existsSync(enc!), enc).toBe(true);
      } finally {
        rmSync(copy, { force: true });
      }
      // without "root", paths start from the file's own folder
      const own = path.join(dir, 'v.json');
      writeFileSync(own, JSON.stringify({ variants: [{ name: 'x', kind: 'onnx', encoder: 'm/e.onnx', decoder: 'm/d.onnx' }] }));
      const [x] = loadVariants(own);
      expect(x!.kind === 'onnx' && x!.encoder).toBe(path.join(dir, 'm', 'e.onnx'));
      expect(variantsBase(own, '..')).toBe(path.dirname(dir));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('variants file that cannot be used', () => {
  it('a missing file says it is missing; broken JSON says so, with the position; a name "." or ".." is refused', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'medseg-variants-bad-'));
    try {
      const missing = path.join(dir, 'missing.json');
      expect(() => loadVariants(missing)).toThrow(`${missing}: cannot read the variants file: ENOENT: no such file or directory`);
      const broken = path.join(dir, 'broken.json');
      writeFileSync(broken, '{bad');
      expect(() => loadVariants(broken)).toThrow(new RegExp(`^${broken.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: variants file is not valid JSON: .*position 1`));
      const dots = path.join(dir, 'dots.json');
      writeFileSync(dots, JSON.stringify({ variants: [{ name: '..', kind: 'command', command: ['true'] }] }));
      expect(() => loadVariants(dots)).toThrow(/variants\.0\.name: not "\." or "\.\."/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
