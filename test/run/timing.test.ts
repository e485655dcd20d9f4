import { describe, expect, it } from 'vitest';
import { mad, median, summarise } from '../../src/run/timing.js';

describe('timing statistics', () => {
  it('median and MAD of odd and even lists', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(mad([1, 2, 3, 4, 100])).toBe(1);
  });

  it('summarises repeats: median/min/max, the first run is the cold one', () => {
    const s = summarise([1.5, 1.0, 1.1, 1.2]);
    expect(s).toMatchObject({ median: 1.15, min: 1.0, max: 1.5, cold: 1.5, repeats: 4 });
  });

  it('flags an outlier by the modified Z-score (hyperfine rule) and no warning for a tight spread', () => {
    expect(summarise([1.0, 1.01, 0.99, 1.0, 5.0]).warnings.join()).toMatch(/outlier/);
    expect(summarise([1.0, 1.01, 0.99, 1.0, 1.02]).warnings).toEqual([]);
  });

  it('flags a large spread without outliers and runs faster than the timer resolution', () => {
    expect(summarise([1, 1.3, 1.6, 1.9, 2.2]).warnings.join()).toMatch(/large spread/);
    expect(summarise([0.001]).warnings.join()).toMatch(/below 5 ms/);
  });
});
