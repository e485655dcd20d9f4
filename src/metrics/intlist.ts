import { retainShape } from './retain.js';

/** Growable Int32 list (amortised doubling), for border corners and row runs. */
export class IntList {
  a: Int32Array;
  n = 0;
  constructor(cap = 1024) {
    this.a = new Int32Array(cap);
  }
  push(v: number): void {
    if (this.n === this.a.length) {
      const b = new Int32Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n++] = v;
  }
  done(): Int32Array {
    return this.a.subarray(0, this.n);
  }
}

// its hidden class outlives the cases (./retain.ts)
retainShape(new IntList(1));
