/**
 * Keeps the hidden classes of the metrics kernels' per-case objects alive for the life of the thread.
 *
 * V8's optimised code refers weakly to the hidden classes (maps) it checks. The metrics classes (RunBuilder,
 * CornerList, LatticeKdTree, IntList) are instantiated per case and dropped after it, so a full GC that finds no
 * instance alive may collect such a map, and every kernel compiled against it is deoptimised (`node --trace-deopt`:
 * "reason: weak objects"), runs unoptimised again and is compiled again. On the 72 public golden cases `bench metrics`
 * lost 13-14 kernels that way over its two or three full GCs (borderRow, RunBuilder.push, pixelRuns, the k-d tree's
 * methods); with one instance of each class kept here, none (test/metrics/retain.test.ts): the folder then takes 3%
 * less wall time and 5% less CPU (0.504 vs 0.520 s, 20 interleaved pairs).
 */

const retained: object[] = [];

/**
 * Keeps `instance` reachable for the life of this thread, so that its hidden class (and V8's optimised code specialised
 * for it) survives full GCs when no other instance of its class is alive. Call it once per class at module load, with
 * an instance built like the real ones (same field types). O(1); the instance is never used again.
 * @returns `instance`
 */
export function retainShape<T extends object>(instance: T): T {
  retained.push(instance);
  return instance;
}
