/**
 * The one statistics module: median/MAD against numpy, the outlier rule against hyperfine's own test vectors
 * (sharkdp/hyperfine src/outlier_detection.rs, tests `test_detect_outliers` and `test_detect_outliers_if_mad_becomes_0`)
 * and boundary vectors around the threshold 1.4826 x 10, the typed warnings and the one empty-input behaviour.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  countOutliers, mad, maxOf, median, minOf, modifiedZScores, OUTLIER_THRESHOLD, summariseTimes,
} from '../../src/stats/summary.js';
import { caseTimingWarningSchema, timingWarningSchema, timingWarningText, type TimingWarning } from '../../src/stats/warnings.js';

describe('median and MAD', () => {
  it('agree with numpy.median on odd, even and tied lists', () => {
    const lists = [[3, 1, 2], [4, 1, 3, 2], [1, 1, 1, 5], [0.3, 0.1, 0.2, 0.7, 0.5, 0.25], [7], [2.5, -1, 1e-9, 3e5, 3, 3, 3]];
    const ref = JSON.parse(execFileSync('python3', ['-c', `
import json, sys, numpy as np
L = json.loads(sys.argv[1])
print(json.dumps([[float(np.median(x)), float(np.median(np.abs(np.array(x) - np.median(x))))] for x in L]))`, JSON.stringify(lists)], { encoding: 'utf8' })) as [number, number][];
    lists.forEach((xs, i) => {
      expect(median(xs)).toBe(ref[i]![0]);
      expect(mad(xs)).toBe(ref[i]![1]);
    });
  });

  it('one behaviour on empty input: NaN statistics, empty score list, an empty summary, nothing throws', () => {
    expect(median([])).toBeNaN();
    expect(mad([])).toBeNaN();
    expect(minOf([])).toBeNaN();
    expect(maxOf([])).toBeNaN();
    expect(modifiedZScores([])).toEqual([]);
    expect(countOutliers([])).toBe(0);
    const s = summariseTimes([]);
    expect(s.repeats).toBe(0);
    expect([s.median, s.min, s.max, s.cold].every(Number.isNaN)).toBe(true);
    expect(s.warnings).toEqual([]);
  });
});

describe('outliers exactly as hyperfine', () => {
  it('threshold is 1.4826 x 10 on the unscaled-MAD score', () => {
    expect(OUTLIER_THRESHOLD).toBe(1.4826 * 10);
  });

  it("hyperfine's test_detect_outliers vectors", () => {
    expect(countOutliers([])).toBe(0);
    expect(countOutliers([50.0])).toBe(0);
    expect(countOutliers([1000.0, 0.0])).toBe(0);
    expect(countOutliers([-0.2, 0.0, 0.2])).toBe(0);
    expect(countOutliers([-0.2, 0.0, 0.2, 4.0])).toBe(1);
    expect(countOutliers([0.5, 0.3, 0.29, 0.31, 0.3])).toBe(1);
    const normal = [2.33269488, 1.42195907, -0.57527698, -0.31293437, 2.2948158, 0.75813273, -1.0712388, -0.96394741, -1.15897446, 1.10976285];
    expect(countOutliers(normal)).toBe(0);
    expect(countOutliers([...normal, 20.0, -500.0])).toBe(2);
  });

  it("hyperfine's test_detect_outliers_if_mad_becomes_0 vectors", () => {
    expect(countOutliers([10, 10, 10, 10, 10, 10, 10, 100])).toBe(1);
    expect(countOutliers([10, 10, 10, 10, 10, 10, 10, 100, 100])).toBe(2);
  });

  it('boundary: median 0, MAD 1; 15 MADs away is an outlier, 14.8 and exactly the threshold are not', () => {
    // sorted |deviations| of [-1, 0, 0, 1, x] are [0, 0, 1, 1, |x|] -> MAD 1 for any |x| >= 1
    expect(mad([-1, 0, 0, 1, 15])).toBe(1);
    expect(countOutliers([-1, 0, 0, 1, 15])).toBe(1);
    expect(countOutliers([-1, 0, 0, 1, -15])).toBe(1);
    expect(countOutliers([-1, 0, 0, 1, 14.8])).toBe(0);
    expect(countOutliers([-1, 0, 0, 1, OUTLIER_THRESHOLD])).toBe(0);
    expect(countOutliers([-1, 0, 0, 1, OUTLIER_THRESHOLD * (1 + 1e-12)])).toBe(1);
    // a scaled-MAD rule (|x - m| / (1.4826 MAD) > 14) would miss this one: 15 / 1.4826 = 10.1 < 14
    expect(summariseTimes([1.0, 0.99, 1.01, 1.0, 1.0 + 15 * 0.01]).warnings.map((w) => w.kind)).toEqual(['outliers']);
  });
});

describe('typed timing warnings', () => {
  it('slow first run when the first run is the high outlier (hyperfine SlowInitialRun), else outliers', () => {
    const slow = summariseTimes([3.0, 1.0, 1.01, 0.99, 1.0]);
    expect(slow.warnings).toEqual([{ kind: 'slow-first-run', first_s: 3.0, median_s: 1.0, runs: 5 }]);
    const fastFirst = summariseTimes([0.2, 1.0, 1.01, 0.99, 1.0]);
    expect(fastFirst.warnings.map((w) => w.kind)).toEqual(['outliers']);
    expect(summariseTimes([1.0, 1.01, 0.99, 1.0, 5.0]).warnings).toEqual([{ kind: 'outliers', count: 1, runs: 5, median_s: 1.0 }]);
  });

  it('large spread without outliers; no warning for a tight spread; a single run never warns on spread', () => {
    expect(summariseTimes([1, 1.3, 1.6, 1.9, 2.2]).warnings.map((w) => w.kind)).toEqual(['large-spread']);
    expect(summariseTimes([1.0, 1.01, 0.99, 1.0, 1.02]).warnings).toEqual([]);
    expect(summariseTimes([2.0]).warnings).toEqual([]);
  });

  it('below timer resolution when any run is under 5 ms (hyperfine FastExecutionTime)', () => {
    expect(summariseTimes([0.001]).warnings).toEqual([{ kind: 'below-timer-resolution', min_s: 0.001, threshold_s: 0.005 }]);
    expect(summariseTimes([0.006, 0.0049, 0.006]).warnings.map((w) => w.kind)).toContain('below-timer-resolution');
    expect(summariseTimes([0.005, 0.005]).warnings).toEqual([]);
  });

  it('summary figures: median/min/max, the first run is the cold one', () => {
    expect(summariseTimes([1.5, 1.0, 1.1, 1.2])).toMatchObject({ median: 1.15, min: 1.0, max: 1.5, cold: 1.5, repeats: 4 });
  });

  it('every kind has a sentence and survives the JSON round trip through its schema; unknown fields are refused', () => {
    const all: TimingWarning[] = [
      { kind: 'slow-first-run', first_s: 3, median_s: 1, runs: 5 },
      { kind: 'outliers', count: 1, runs: 5, median_s: 1 },
      { kind: 'large-spread', mad_s: 0.3, median_s: 1.6, runs: 5 },
      { kind: 'below-timer-resolution', min_s: 0.001, threshold_s: 0.005 },
    ];
    const texts = all.map(timingWarningText);
    expect(texts[0]).toMatch(/slow first run: 3\.000 s vs median 1\.000 s/);
    expect(texts[1]).toMatch(/1 statistical outlier\(s\) among 5 runs/);
    expect(texts[2]).toMatch(/large spread: MAD 0\.300 s is 19% of the median 1\.600 s/);
    expect(texts[3]).toMatch(/1\.00 ms, below 5\.00 ms/);
    for (const w of all) expect(timingWarningSchema.parse(JSON.parse(JSON.stringify(w)))).toEqual(w);
    expect(caseTimingWarningSchema.safeParse({ variant: 'a', case: 'c', warning: { kind: 'outliers', count: 1, runs: 5 } }).success).toBe(false);
    expect(timingWarningSchema.safeParse({ kind: 'nope' }).success).toBe(false);
  });
});
