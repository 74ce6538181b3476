#!/usr/bin/env node
// `npm run native`: makes @tensorflow/tfjs-node load, so that lth trains on native TensorFlow.
//
// 1. Already loads: nothing to do.
// 2. Its own install (a prebuilt libtensorflow and addon, downloaded from storage.googleapis.com).
// 3. Offline: TensorFlow's C API from the tensorflow-cpu wheel in pip's index (its
//    libtensorflow_cc.so.2 exports TF_* and TFE_*), and the addon compiled by npm's node-gyp
//    against this Node's headers. The libraries and the addon are cached under ~/.cache/lth, so
//    after `npm ci` (which removes the --no-save install) this takes seconds.
//
// The package is installed with --no-save: package.json and the lockfile never name it, so
// `npm ci` stays offline-safe everywhere. `--optional` (used by `npm start` and CI) prints one line
// and exits 0 when no way works: lth then trains on wasm.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const TFJS_NODE_VERSION = '4.22.0';
const TENSORFLOW_WHEEL = { name: 'tensorflow-cpu', version: '2.21.0' };
const PACKAGE_DIR = join(ROOT, 'node_modules', '@tensorflow', 'tfjs-node');
const CACHE = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'lth', 'native');
const args = new Set(process.argv.slice(2));
const optional = args.has('--optional');
const started = Date.now();

const say = (text) => process.stdout.write(`native: ${text}\n`);
class NotAvailable extends Error {}

/** Loads tfjs-node in a child (a broken addon can abort the process) and reports TensorFlow's version. */
function probe() {
  const code =
    "const tf = require('@tensorflow/tfjs-node');" +
    "tf.setBackend('tensorflow').then(() => process.stdout.write(tf.backend().binding.TF_Version));";
  const res = spawnSync(process.execPath, ['-e', code], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  if (res.status === 0 && res.stdout) return { ok: true, tensorflow: res.stdout.trim() };
  const lines = `${res.stderr}`.split('\n').filter((l) => /Error|error:/.test(l));
  return { ok: false, reason: (lines[0] ?? `exit ${res.status}`).trim().slice(0, 200) };
}

function run(command, argv, options = {}) {
  const res = spawnSync(command, argv, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options });
  if (res.error) throw new NotAvailable(`${command} could not run: ${res.error.message}`);
  return res;
}

function installPackage() {
  const installed = join(PACKAGE_DIR, 'package.json');
  if (existsSync(installed) && JSON.parse(readFileSync(installed, 'utf8')).version === TFJS_NODE_VERSION) return;
  const res = run(
    'npm',
    [
      'install',
      '--no-save',
      '--ignore-scripts',
      '--no-audit',
      '--no-fund',
      `@tensorflow/tfjs-node@${TFJS_NODE_VERSION}`,
    ],
    { cwd: ROOT },
  );
  if (res.status !== 0) throw new NotAvailable(`npm could not install @tensorflow/tfjs-node: ${lastLine(res.stderr)}`);
}

const firstError = (text) => {
  const lines = text.split('\n');
  const line = lines.find((l) => /^\s*\w*Error: /.test(l)) ?? lines.find((l) => /error/i.test(l)) ?? lastLine(text);
  return line.trim().slice(0, 200);
};
const lastLine = (text) => `${text}`.trim().split('\n').pop()?.slice(0, 200) ?? '';

/** tfjs-node's own install: downloads libtensorflow 2.9.1 and a prebuilt addon. */
function officialInstall() {
  const res = run(process.execPath, ['scripts/install.js'], { cwd: PACKAGE_DIR, timeout: 300_000 });
  if (res.status !== 0) return `its download failed (${firstError(`${res.stderr}\n${res.stdout}`)})`;
  const after = probe();
  return after.ok ? undefined : `its download did not load (${after.reason})`;
}

/** The wheel from pip's index (a local one offline), downloaded once into the cache. */
function wheelPath() {
  const dir = join(CACHE, 'wheels');
  const find = () => {
    const prefix = `${TENSORFLOW_WHEEL.name.replace('-', '_')}-${TENSORFLOW_WHEEL.version}-`;
    return existsSync(dir) ? readdirSync(dir).find((f) => f.startsWith(prefix) && f.endsWith('.whl')) : undefined;
  };
  let wheel = find();
  if (!wheel) {
    const spec = `${TENSORFLOW_WHEEL.name}==${TENSORFLOW_WHEEL.version}`;
    const python = process.env.LTH_PIP_PYTHON ?? 'python3';
    const res = run(python, ['-m', 'pip', 'download', '--no-deps', '--quiet', spec, '-d', dir], { timeout: 900_000 });
    if (res.status !== 0) throw new NotAvailable(`pip could not download ${spec}: ${lastLine(res.stderr)}`);
    wheel = find();
    if (!wheel) throw new NotAvailable(`pip downloaded no ${spec} wheel for this platform`);
  }
  return join(dir, wheel);
}

/**
 * TensorFlow's two shared libraries and the headers the addon includes (the closure of its
 * #includes inside the wheel: a few hundred kB of the wheel's 270 MB of headers).
 */
function stageTensorFlow(wheel) {
  const dir = join(CACHE, `tensorflow-${TENSORFLOW_WHEEL.version}`);
  if (existsSync(join(dir, 'complete'))) return dir;
  const AdmZip = requireFromPackage('adm-zip');
  const zip = new AdmZip(wheel);
  const temp = `${dir}.tmp-${process.pid}`;
  rmSync(temp, { recursive: true, force: true });
  mkdirSync(join(temp, 'lib'), { recursive: true });
  for (const lib of ['libtensorflow_cc.so.2', 'libtensorflow_framework.so.2']) {
    const entry = zip.getEntry(`tensorflow/${lib}`);
    if (!entry) throw new NotAvailable(`the wheel has no tensorflow/${lib}`);
    writeFileSync(join(temp, 'lib', lib), entry.getData());
  }
  // The addon links -ltensorflow -ltensorflow_framework; at run time it needs the sonames.
  symlinkSync('libtensorflow_cc.so.2', join(temp, 'lib', 'libtensorflow.so'));
  symlinkSync('libtensorflow_framework.so.2', join(temp, 'lib', 'libtensorflow_framework.so'));
  const prefix = 'tensorflow/include/';
  const wanted = ['tensorflow/c/c_api.h', 'tensorflow/c/eager/c_api.h', 'tensorflow/core/platform/ctstring_internal.h'];
  const seen = new Set();
  while (wanted.length > 0) {
    const header = wanted.pop();
    if (seen.has(header)) continue;
    const entry = zip.getEntry(prefix + header);
    if (!entry) continue; // a system or optional header
    seen.add(header);
    const text = entry.getData().toString('utf8');
    mkdirSync(dirname(join(temp, 'include', header)), { recursive: true });
    writeFileSync(join(temp, 'include', header), text);
    for (const m of text.matchAll(/^\s*#\s*include\s+"([^"]+)"/gm)) wanted.push(m[1]);
  }
  writeFileSync(join(temp, 'complete'), `${seen.size} headers\n`);
  rmSync(dir, { recursive: true, force: true });
  renameSync(temp, dir);
  return dir;
}

function requireFromPackage(name) {
  return createRequire(join(PACKAGE_DIR, 'package.json'))(name);
}

/** The highest N-API version the addon supports that this Node has: node-pre-gyp looks for it there. */
function napiVersion() {
  const supported = JSON.parse(readFileSync(join(PACKAGE_DIR, 'package.json'), 'utf8')).binary.napi_versions;
  return Math.max(...supported.filter((v) => v <= Number(process.versions.napi)));
}

function buildAddon(tensorflowDir) {
  const napi = napiVersion();
  const key = createHash('sha256')
    .update([TFJS_NODE_VERSION, TENSORFLOW_WHEEL.version, napi, process.platform, process.arch].join('/'))
    .digest('hex')
    .slice(0, 16);
  const cached = join(CACHE, 'addons', key, 'tfjs_binding.node');
  const deps = join(PACKAGE_DIR, 'deps');
  rmSync(deps, { recursive: true, force: true });
  mkdirSync(deps);
  symlinkSync(join(tensorflowDir, 'lib'), join(deps, 'lib'));
  symlinkSync(join(tensorflowDir, 'include'), join(deps, 'include'));
  const target = join(PACKAGE_DIR, 'lib', `napi-v${napi}`, 'tfjs_binding.node');
  if (existsSync(cached)) {
    mkdirSync(dirname(target), { recursive: true });
    cpSync(cached, target);
    return 'cached';
  }
  const nodeGyp = join(
    dirname(process.execPath),
    '..',
    'lib',
    'node_modules',
    'npm',
    'node_modules',
    'node-gyp',
    'bin',
    'node-gyp.js',
  );
  const gyp = existsSync(nodeGyp) ? nodeGyp : requireResolveNpm('node-gyp/bin/node-gyp.js');
  // Node's own headers: npm's nodedir setting, or those installed beside this node; never a download.
  const configured = run('npm', ['config', 'get', 'nodedir']).stdout.trim();
  const nodedir = configured && configured !== 'undefined' ? configured : resolve(dirname(process.execPath), '..');
  if (!existsSync(join(nodedir, 'include', 'node', 'node_api.h')))
    throw new NotAvailable(`no Node headers under ${nodedir}/include/node to compile the addon against`);
  const res = run(
    process.execPath,
    [
      gyp,
      'rebuild',
      `--nodedir=${nodedir}`,
      '--module_name=tfjs_binding',
      `--module_path=${dirname(target)}`,
      `--napi_build_version=${napi}`,
    ],
    { cwd: PACKAGE_DIR, timeout: 900_000 },
  );
  if (res.status !== 0) {
    throw new NotAvailable(`the addon did not compile: ${firstError(`${res.stdout}\n${res.stderr}`)}`);
  }
  mkdirSync(dirname(cached), { recursive: true });
  cpSync(target, cached);
  return 'compiled';
}

function requireResolveNpm(path) {
  const npmRoot = run('npm', ['root', '-g']).stdout.trim();
  const candidate = join(npmRoot, 'npm', 'node_modules', path);
  if (!existsSync(candidate)) throw new NotAvailable('npm has no bundled node-gyp to compile the addon');
  return candidate;
}

function main() {
  const before = probe();
  if (before.ok && !args.has('--force')) {
    say(`@tensorflow/tfjs-node loads (TensorFlow ${before.tensorflow}); nothing to do`);
    return 0;
  }
  try {
    installPackage();
    const official = process.env.LTH_NATIVE_SKIP_DOWNLOAD ? 'skipped (LTH_NATIVE_SKIP_DOWNLOAD)' : officialInstall();
    if (!official) {
      say(`@tensorflow/tfjs-node installed from npm with its prebuilt TensorFlow (${seconds()})`);
      return 0;
    }
    say(`tfjs-node's own install: ${official}; building from the ${TENSORFLOW_WHEEL.name} wheel instead`);
    const wheel = wheelPath();
    const tensorflow = stageTensorFlow(wheel);
    const how = buildAddon(tensorflow);
    const after = probe();
    if (!after.ok) throw new NotAvailable(`the built addon does not load: ${after.reason}`);
    const addon = how === 'cached' ? 'its cached addon' : 'its addon compiled here';
    say(
      `@tensorflow/tfjs-node loads on TensorFlow ${after.tensorflow} from ${TENSORFLOW_WHEEL.name} ` +
        `${TENSORFLOW_WHEEL.version}, ${addon} (${seconds()}; cache ${CACHE})`,
    );
    return 0;
  } catch (e) {
    if (!(e instanceof NotAvailable)) throw e;
    // A package that does not load would only fail every import of it: leave the tree as npm ci left it.
    rmSync(PACKAGE_DIR, { recursive: true, force: true });
    say(`not available: ${e.message}; lth trains on wasm`);
    return optional ? 0 : 1;
  }
}

const seconds = () => `${((Date.now() - started) / 1000).toFixed(0)} s`;

process.exitCode = main();
