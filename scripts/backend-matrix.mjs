#!/usr/bin/env node
// Runs a test command once per TF.js backend this machine has: LTH_BACKEND=wasm always, and
// LTH_BACKEND=tensorflow when @tensorflow/tfjs-node loads (after `npm run native`). The same
// tests, not copies: each run is the whole command under one backend.
//
//   node scripts/backend-matrix.mjs node --test dist/a.test.js dist/b.test.js
import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const [command, ...args] = process.argv.slice(2);
if (!command) {
  process.stderr.write('usage: backend-matrix.mjs COMMAND [ARGS...]\n');
  process.exit(2);
}

function nativeLoads() {
  const code = "require('@tensorflow/tfjs-node').setBackend('tensorflow').then((ok) => process.exit(ok ? 0 : 1))";
  return spawnSync(process.execPath, ['-e', code], { cwd: ROOT, stdio: 'ignore', timeout: 120_000 }).status === 0;
}

const backends = nativeLoads() ? ['wasm', 'tensorflow'] : ['wasm'];
if (backends.length === 1)
  process.stdout.write('backend matrix: @tensorflow/tfjs-node does not load here (npm run native): wasm only\n');
let status = 0;
for (const backend of backends) {
  process.stdout.write(`backend matrix: LTH_BACKEND=${backend}\n`);
  const res = spawnSync(command, args, { stdio: 'inherit', env: { ...process.env, LTH_BACKEND: backend } });
  if (res.status !== 0) status = res.status ?? 1;
}
process.exit(status);
