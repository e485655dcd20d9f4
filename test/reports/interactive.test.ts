/**
 * Overlays, the Fig. 2-style figure, the Ranking section and the interactive case table of the report, on a real run
 * (bench run with the oracle network and `bench predict` as a command variant, on one 2D and one 3D demo case),
 * checked statically and in headless Chromium (playwright-core): clicking a row shows that case's overlays, decoded
 * (naturalWidth > 0), with no console error. Chromium missing: the browser part is SKIPPED LOUDLY (see html.test.ts).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadImage } from '@napi-rs/canvas';
import { beforeAll, describe, expect, it } from 'vitest';
import { renderReport } from '../../src/reports/index.js';
import { readRun } from '../../src/results/store.js';
import { renderOverlays } from '../../src/overlays/index.js';
import { chooseFigureRows } from '../../src/overlays/figure.js';
import { benchSync, ROOT, testTempDir } from '../bench-cli.js';
import type { BrowserDocument, BrowserElement, BrowserImage, BrowserTableRow } from './browser-dom.js';

/** The browser's document inside page.evaluate callbacks (types: ./browser-dom.ts). */
declare const document: BrowserDocument;

const TEST_OUTPUT = path.join(ROOT, 'test-output');
const CHROMIUM = process.env.MEDSEG_CHROMIUM ?? '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const CASES = ['2DBox_US_0001', '3DBox_MR_0101'];

if (!HAVE_CHROMIUM) {
  console.error(`\n${'!'.repeat(100)}\n!!! SKIPPED: interactive report browser test — chromium not found at ${CHROMIUM}.\n${'!'.repeat(100)}\n`);
}

const tmp = testTempDir('medseg-interactive-');
let runDir: string;
let outDir: string;
let html: string;
beforeAll(async () => {
  runDir = path.join(tmp, 'run');
  const r = benchSync(['run', '--variants', 'oracle,oracle-cmd', '--filter', CASES.join(','), '--out', runDir, '--no-report', '--threads', '1']);
  if (r.status !== 0) throw new Error(`bench run failed: ${r.stderr}`);
  outDir = path.join(tmp, 'report');
  await renderReport(runDir, { outDir, formats: ['html', 'png', 'md'], resamples: 200 });
  html = readFileSync(path.join(outDir, 'report.html'), 'utf8');
}, 600_000);

describe('overlays and figure', () => {
  it('draws per case the image with GT and each variant; 3D: one overlay per chosen slice; captions carry DSC/NSD', async () => {
    const run = readRun(runDir);
    const set = await renderOverlays(run);
    expect(set.problems).toEqual([]);
    const us = set.overlays.filter((o) => o.case === '2DBox_US_0001');
    expect(us.map((o) => o.variant)).toEqual(['gt', 'oracle', 'oracle-cmd']);
    const row = run.cases.find((c) => c.case === '2DBox_US_0001' && c.variant === 'oracle')!;
    expect(us[1]!.caption).toBe(`oracle DSC ${row.dsc.toFixed(4)} NSD ${row.nsd.toFixed(4)}`);
    const mr = set.overlays.filter((o) => o.case === '3DBox_MR_0101');
    const slices = [...new Set(mr.map((o) => o.slice))];
    expect(slices.length).toBeGreaterThanOrEqual(1);
    expect(slices.length).toBeLessThanOrEqual(3);
    expect(mr.length).toBe(3 * slices.length);
    for (const o of set.overlays) {
      expect(o.jpeg.subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff])); // JPEG
      const img = await loadImage(o.jpeg);
      expect([img.width, img.height]).toEqual([256, 276]);
    }
    // the drawn slice of the 3D case is the one with the largest ground-truth area of some label
    const gts = spawnSync('python3', ['-c', `
import numpy as np, json
g = np.load('cases/demo/gts/3DBox_MR_0101.npz')['gts']
best = {}
for l in np.unique(g)[1:]:
    a = (g == l).sum(axis=(1, 2)); best[int(l)] = (int(a.argmax()), int(a.max()))
print(json.dumps(sorted(set(z for z, _ in best.values()))))`], { cwd: ROOT, encoding: 'utf8' });
    const candidates = JSON.parse(gts.stdout) as number[];
    for (const z of slices) expect(candidates).toContain(z);
  });

  it('writes a print-resolution figure.png: columns image+GT and one per variant, one row per picked case', async () => {
    const rows = chooseFigureRows(readRun(runDir), 'oracle');
    expect(rows.map((r) => r.case).sort()).toEqual([...CASES].sort()); // one case per modality: best = median = worst
    expect(rows[0]!.pick).toBe('best = median = worst');
    const img = await loadImage(readFileSync(path.join(outDir, 'figure.png')));
    expect(img.width).toBe(300 + 3 * 360);
    expect(img.height).toBe(70 + 2 * (360 + 34) + 50);
    expect(() => chooseFigureRows(readRun(runDir), 'nope')).toThrow(/--figure-variant nope/);
    expect(() => chooseFigureRows(readRun(runDir), 'oracle', ['2DBox_Nope_1'])).toThrow(/--cases: case "2DBox_Nope_1"/);
    expect(chooseFigureRows(readRun(runDir), 'oracle', ['3DBox_MR_0101']).map((r) => r.pick)).toEqual(['chosen']);
  });

  it('report.html: Ranking, Figure and Cases sections; the one inline script is allowed by its hash', () => {
    expect(html).toContain('<h2 id="ranking">Ranking</h2>');
    expect(html).toContain('<h2 id="figure-section">Figure</h2>');
    expect(html).toContain('id="cases-table"');
    const script = html.match(/<script>([\s\S]*?)<\/script>/)![1]!;
    const hash = createHash('sha256').update(script).digest('base64');
    expect(html).toContain(`script-src 'sha256-${hash}'`);
    for (const f of ['ranking.md', 'rank_blob.png', 'figure.png', 'figure.html']) expect(existsSync(path.join(outDir, f)), f).toBe(true);
  });
});

describe('report.md and bench run options of the pictures', () => {
  it('report.md carries the Ranking section (ranking.md one heading level down) and the figure', () => {
    const md = readFileSync(path.join(outDir, 'report.md'), 'utf8');
    const ranking = readFileSync(path.join(outDir, 'ranking.md'), 'utf8').replace(/^(#+) /gm, '##$1 ');
    expect(md).toContain('### Ranking\n');
    expect(md).toContain(ranking);
    expect(md).toContain('](figure.png)');
    // results before the run's metadata
    expect(md.indexOf('### Ranking')).toBeGreaterThan(md.indexOf('### Running time per case'));
    expect(md.indexOf('### Ranking')).toBeLessThan(md.indexOf('### Run\n'));
  });

  it('bench run --figure-variant/--figure-cases/--slice reach the report; an unknown figure variant is refused before running', () => {
    const bad = benchSync(['run', '--variants', 'oracle', '--filter', CASES[0]!, '--out', path.join(tmp, 'bad'), '--figure-variant', 'nope']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--figure-variant "nope" is not one of the run's variants \(oracle\)/);
    expect(existsSync(path.join(tmp, 'bad', 'cases.csv'))).toBe(false);
    const dir = path.join(tmp, 'run-fig');
    const r = benchSync(['run', '--variants', 'oracle,oracle-cmd', '--filter', CASES.join(','), '--out', dir, '--threads', '1', '--quiet',
      '--figure-variant', 'oracle-cmd', '--figure-cases', '3DBox_MR_0101', '--slice', '3']);
    expect(r.status, r.stderr).toBe(0);
    const fig = readFileSync(path.join(dir, 'report', 'figure.html'), 'utf8');
    expect(fig).toContain('chosen<br><code>3DBox_MR_0101</code> z=3');
    expect(fig).toContain('(cases picked by hand)');
    expect(fig).not.toContain('2DBox_US_0001');
  });
});

describe.skipIf(!HAVE_CHROMIUM)(`interactive report in headless chromium (${CHROMIUM})`, () => {
  it('click a row: that case\'s overlays appear and are decoded; filters and sorting work; no console error', async () => {
    const { chromium } = await import('playwright-core');
    const profile = path.join(tmp, 'chromium-profile');
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1280, height: 900 },
    });
    try {
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text()}`);
      });
      page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
      await page.goto(pathToFileURL(path.join(outDir, 'report.html')).href, { waitUntil: 'load' });
      expect(await page.locator('.case-overlays:visible').count()).toBe(0);
      await page.locator('#cases-table tbody tr[data-case="3DBox_MR_0101"][data-variant="oracle-cmd"]').click();
      const panel = page.locator('.case-overlays[data-case="3DBox_MR_0101"]');
      await panel.waitFor({ state: 'visible' });
      expect(await page.locator('.case-overlays:visible').count()).toBe(1);
      const imgs = await panel.evaluate(async (el: BrowserElement) => {
        const list = [...el.querySelectorAll<BrowserImage>('img')];
        await Promise.all(list.map((i) => i.decode()));
        return list.map((i) => ({ w: i.naturalWidth, h: i.naturalHeight, alt: i.alt }));
      });
      expect(imgs.length).toBeGreaterThanOrEqual(3);
      for (const i of imgs) expect(i.w, i.alt).toBe(256);
      expect(await panel.locator('figure.cur').count()).toBeGreaterThanOrEqual(1);
      expect(await panel.locator('figure.cur').first().getAttribute('data-variant')).toBe('oracle-cmd');
      // filter by modality: only the MR rows stay visible
      await page.selectOption('#f-modality', 'MR');
      expect(await page.locator('#cases-table tbody tr:visible').count()).toBe(2);
      await page.selectOption('#f-modality', '');
      await page.selectOption('#f-variant', 'oracle');
      expect(await page.locator('#cases-table tbody tr:visible').count()).toBe(2);
      await page.selectOption('#f-variant', '');
      // sort by DSC (ascending, then descending)
      await page.locator('#cases-table th[data-col="5"]').click();
      const asc = await page.$$eval('#cases-table tbody tr', (rs: BrowserTableRow[]) => rs.map((r) => Number(r.cells[5]!.dataset.v)));
      expect(asc).toEqual([...asc].sort((a, b) => a - b));
      await page.locator('#cases-table th[data-col="5"]').click();
      const desc = await page.$$eval('#cases-table tbody tr', (rs: BrowserTableRow[]) => rs.map((r) => Number(r.cells[5]!.dataset.v)));
      expect(desc).toEqual([...asc].reverse());
      // the figure and ranking images decode too
      const others = await page.evaluate(async () => {
        const list = [...document.querySelectorAll<BrowserImage>('#figure img, img.rank-chart')];
        await Promise.all(list.map((i) => i.decode()));
        return list.map((i) => i.naturalWidth);
      });
      expect(others.length).toBe(2 * 3 + 3);
      for (const w of others) expect(w).toBeGreaterThan(0);
      mkdirSync(TEST_OUTPUT, { recursive: true });
      await page.screenshot({ path: path.join(TEST_OUTPUT, 'report-interactive.png'), fullPage: false });
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
