/**
 * The HTML report of the fixture results folder, opened in a real headless browser (Debian's chromium, driven by
 * playwright-core): tables present, every chart image actually decoded (naturalWidth > 0), no console errors, no
 * request leaving the file (offline, self-contained). A screenshot is saved to test-output/report-html.png.
 *
 * Chromium: /usr/bin/chromium (or $MEDSEG_CHROMIUM); install with .ci/chromium-install.sh. When it is missing, the
 * browser test is SKIPPED WITH A LOUD MESSAGE, never passed silently (with MEDSEG_REQUIRE_CHROMIUM=1, as CI should set
 * after running the install script, it FAILS instead); the static checks below still run.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderReport } from '../../src/reports/index.js';
import type { BrowserDocument, BrowserImage } from './browser-dom.js';

/** The browser's document inside page.evaluate callbacks (types: ./browser-dom.ts). */
declare const document: BrowserDocument;

const FIXTURE = path.resolve(import.meta.dirname, '..', 'fixtures', 'results-small');
const TEST_OUTPUT = path.resolve(import.meta.dirname, '..', '..', 'test-output');
const CHROMIUM = process.env.MEDSEG_CHROMIUM ?? '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);

if (!HAVE_CHROMIUM) {
  const bar = '!'.repeat(100);
  console.error(
    `\n${bar}\n!!! SKIPPED: HTML report browser test — chromium not found at ${CHROMIUM}.\n` +
      `!!! Install it with .ci/chromium-install.sh (apt-get install chromium) or set MEDSEG_CHROMIUM.\n` +
      `!!! The HTML report was NOT checked in a browser.\n${bar}\n`,
  );
}

let out: string;
let htmlFile: string;
let html: string;
beforeAll(async () => {
  out = mkdtempSync(path.join(tmpdir(), 'medseg-report-html-'));
  const { files } = await renderReport(FIXTURE, { formats: ['html'], outDir: out });
  htmlFile = files[0]!;
  html = readFileSync(htmlFile, 'utf8');
});
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('HTML report, static checks', () => {
  it('is one file with the charts as data: URIs and no external references', () => {
    expect(path.basename(htmlFile)).toBe('report.html');
    const srcs = [...html.matchAll(/\b(?:src|href)="([^"]*)"/g)].map((m) => m[1]!);
    // 5 report charts + 3 ranking charts (3 variants); overlays are JPEG (test/reports/interactive.test.ts)
    expect(srcs.filter((s) => s.startsWith('data:image/png;base64,')).length).toBe(8);
    for (const s of srcs) expect(s.startsWith('data:'), s.slice(0, 40)).toBe(true);
    expect(html).not.toMatch(/https?:\/\//);
    // one inline script (the case table), allowed by its hash in the Content-Security-Policy
    expect(html.match(/<script/gi)?.length).toBe(1);
    expect(html).not.toMatch(/<script[^>]*src=/i);
  });

  it('carries the run metadata: machine, CPU, threads, versions, commit, metric mode, spacing, model hashes', () => {
    for (const s of [
      'Intel(R) Xeon(R) Processor', 'intra-op 2', 'onnxruntime 1.30.0', 'node v20.20.2',
      '0123456789abcdef0123456789abcdef01234567', 'Metric mode', 'official', 'as-stored',
      '9548cbf38a2198e06b43bb6ed7a121ac1e4593089f26d0b0ab9747c0edc924b0', 'Aug. &amp; INT8 (Proposed)',
    ]) {
      expect(html).toContain(s);
    }
  });
});

describe.runIf(!HAVE_CHROMIUM && process.env.MEDSEG_REQUIRE_CHROMIUM === '1')('chromium required (MEDSEG_REQUIRE_CHROMIUM=1)', () => {
  it('fails because chromium is missing', () => {
    expect.fail(`chromium not found at ${CHROMIUM}; run .ci/chromium-install.sh`);
  });
});

describe.skipIf(!HAVE_CHROMIUM)(`HTML report in headless chromium (${CHROMIUM})`, () => {
  it('shows both tables and five decoded chart images, with no console error and no network request', async () => {
    const { chromium } = await import('playwright-core');
    const profile = mkdtempSync(path.join(tmpdir(), 'medseg-chromium-profile-'));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
      ],
      viewport: { width: 1280, height: 900 },
    });
    try {
      const page = await context.newPage();
      const consoleErrors: string[] = [];
      const requests: string[] = [];
      page.on('console', (msg) => {
        if (msg.type() === 'error' || msg.type() === 'warning') consoleErrors.push(`${msg.type()}: ${msg.text()}`);
      });
      page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
      page.on('request', (r) => requests.push(r.url().slice(0, 80)));
      page.on('requestfailed', (r) => consoleErrors.push(`requestfailed: ${r.url().slice(0, 80)} ${r.failure()?.errorText}`));

      await page.goto(pathToFileURL(htmlFile).href, { waitUntil: 'load' });
      const facts = await page.evaluate(() => {
        const rows = (id: string) => [...document.querySelectorAll(`#${id} tbody tr`)].map((tr) => [...tr.children].map((c) => c.textContent ?? ''));
        return {
          title: document.title,
          accuracy: rows('accuracy-table'),
          time: rows('time-table'),
          boldCells: document.querySelectorAll('#accuracy-table strong').length,
          images: [...document.querySelectorAll<BrowserImage>('img.chart')].map((img) => ({ alt: img.alt, complete: img.complete, w: img.naturalWidth, h: img.naturalHeight })),
        };
      });
      mkdirSync(TEST_OUTPUT, { recursive: true });
      await page.screenshot({ path: path.join(TEST_OUTPUT, 'report-html.png'), fullPage: true });

      expect(facts.title).toBe('medseg-bench report: fixture-results-small');
      // accuracy: 7 modalities + Average; Modality, N, then DSC/NSD for 3 variants
      expect(facts.accuracy.map((r) => r[0])).toEqual(['CT', 'MR', 'PET', 'US', 'X-Ray', 'Dermoscopy', 'Microscope', 'Average (mean of modality means)']);
      for (const r of facts.accuracy) expect(r.length).toBe(2 + 2 * 3);
      expect(facts.accuracy[2]!.slice(2)).toEqual(['n/a', '0.0000', 'n/a', '0.0000', 'n/a', '0.0000']);
      expect(facts.boldCells).toBeGreaterThan(0);
      // time: 8 cases (3D first) + Mean + Median
      expect(facts.time.length).toBe(10);
      expect(facts.time[0]![0]).toMatch(/^3DBox_/);
      expect(facts.time.slice(-2).map((r) => r[0])).toEqual(['Mean', 'Median']);
      expect(facts.images.length).toBe(5);
      for (const img of facts.images) {
        expect(img.complete, img.alt).toBe(true);
        expect(img.w, img.alt).toBe(1200);
        expect(img.h, img.alt).toBe(700);
      }
      expect(consoleErrors).toEqual([]);
      for (const u of requests) expect(u.startsWith('file:') || u.startsWith('data:'), u).toBe(true);
    } finally {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    }
  });
});
