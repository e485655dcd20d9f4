#!/usr/bin/env node
// Harness overhead of the external variant kinds (issue 6): median wall time of a no-op predictor under the exact
// case protocol. Prints figures; checks nothing.
//   command: `true` spawned detached with fresh inputs/outputs folders and /proc memory sampling (spawn -> exit)
//   docker : the image's `/bin/sh -c true` with the case mounts, memory limit and no network (create+start+wait)
// Usage: npm run build && node bench/overhead.mjs [--runs N] [--image TAG]   (docker part needs DOCKER_HOST or
//        the private engine of .ci/docker-start.sh; default image medseg-oracle:latest from docker/build-oracle-image.sh)
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '10' }, image: { type: 'string', default: 'medseg-oracle:latest' } } });
const runs = Number(values.runs);
const dist = new URL('../dist/runner/', import.meta.url);
if (!existsSync(new URL('calibrate.js', dist))) {
  console.error('dist/ missing: run npm run build');
  process.exit(2);
}
const { calibrateCommand } = await import(new URL('calibrate.js', dist).href);
const { DockerRunner } = await import(new URL('docker.js', dist).href);
const { DockerVariantSchema } = await import(new URL('variants.js', dist).href);

const fmt = (c) => `median ${c.median_s.toFixed(4)} s  min ${c.min_s.toFixed(4)} s  max ${c.max_s.toFixed(4)} s  (${c.runs} runs)`;
console.log(`command no-op (true):            ${fmt(await calibrateCommand('bench', runs))}`);
if (!process.env.DOCKER_HOST && existsSync('/tmp/medseg-dockerd/docker.sock')) process.env.DOCKER_HOST = 'unix:///tmp/medseg-dockerd/docker.sock';
try {
  const r = new DockerRunner(DockerVariantSchema.parse({ name: 'overhead', kind: 'docker', image: values.image }));
  await r.prepare();
  console.log(`docker no-op (${values.image}): ${fmt(await r.calibrate(runs))}`);
} catch (e) {
  console.log(`docker: not measured: ${e.message}`);
}
