/** Redis key names of the distributed run besides BullMQ's own (`<prefix>:<queue>:...`). */

/** Registration of a run by its coordinator: a worker refuses jobs of a run that is not registered. */
export const runKey = (prefix: string, runId: string) => `${prefix}:run:${runId}`;
