/**
 * Contention warnings: the long sentence once per run in the report notes, with the affected cases listed compactly
 * (not once per case: a busy machine marks every case).
 */
import { cpSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { testTempDir } from '../bench-cli.js';
import { buildModel } from '../../src/reports/model.js';

const FIXTURE = path.resolve(import.meta.dirname, '..', 'fixtures', 'results-small');
const tmp = testTempDir('medseg-contention-');

describe('contention warnings in the report notes', () => {
  it('one note for all contention warnings, listing the cases', () => {
    const dir = path.join(tmp, 'run');
    cpSync(FIXTURE, dir, { recursive: true });
    const w = (variant: string, c: string, share: number) =>
      JSON.stringify({ variant, case: c, warning: { kind: 'contention', other_cpu_share: share, threshold: 0.25, load_start: 3.1, load_end: 4.2 } });
    writeFileSync(
      path.join(dir, 'warnings.jsonl'),
      [w('oracle', '3DBox_CT_0001', 0.41), w('oracle', '2DBox_US_0001', 0.52), w('noaug-fp32', '3DBox_CT_0001', 0.33)].join('\n') + '\n',
    );
    const m = buildModel(dir);
    const notes = m.runNotes.filter((n) => /contention/.test(n));
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(/3 case\(s\) timed under contention \(other processes used more than 25%/);
    expect(notes[0]).toContain('oracle: 3DBox_CT_0001 41%, 2DBox_US_0001 52%; noaug-fp32: 3DBox_CT_0001 33%');
    expect(notes[0]!.match(/compare cpu_s/g)).toHaveLength(1);
  });
});
