// Runs a command with the Node.js the container image runs (the Dockerfile's NODE_IMAGE) first on PATH, e.g.
//   node scripts/with-image-node.js npm test
// so the test suite runs on that LTS as well as on the machine's Node. The runtime is the npm registry's
// node-linux-<arch> package at exactly the image's version, installed (no install scripts) into the git-ignored
// .node-image/ folder the first time. LRO_EXPECT_NODE tells the suite which Node it must find itself on.
const { execFileSync, spawnSync } = require('node:child_process');
const { existsSync, mkdirSync, readFileSync, symlinkSync, rmSync } = require('node:fs');
const { join } = require('node:path');

const ROOT = join(__dirname, '..');
const DIR = join(ROOT, '.node-image');

function imageNodeVersion() {
  const match = /^ARG NODE_IMAGE=node:([0-9]+\.[0-9]+\.[0-9]+)-/m.exec(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
  if (!match) throw new Error('Dockerfile: no "ARG NODE_IMAGE=node:<major.minor.patch>-..." line');
  return match[1];
}

function installed(binary) {
  if (!existsSync(binary)) return undefined;
  return execFileSync(binary, ['--version'], { encoding: 'utf8' }).trim().replace(/^v/, '');
}

/** The npm package of Node.js for this machine, as the image's platform is Linux. */
function nodePackage() {
  const arch = { x64: 'x64', arm64: 'arm64', arm: 'armv7l', ppc64: 'ppc64le', s390x: 's390x' }[process.arch];
  if (process.platform !== 'linux' || !arch) {
    throw new Error(`the image's Node runs on Linux; there is no package for ${process.platform}/${process.arch}`);
  }
  return `node-linux-${arch}`;
}

function ensureNode(version) {
  const pkg = nodePackage();
  const binary = join(DIR, 'node_modules', pkg, 'bin', 'node');
  const matches = (found) => found === version;
  if (!matches(installed(binary))) {
    mkdirSync(DIR, { recursive: true });
    console.error(`== installing ${pkg}@${version} into .node-image/`);
    const flags = ['--prefix', DIR, '--no-save', '--no-audit', '--no-fund', '--ignore-scripts'];
    execFileSync('npm', ['install', ...flags, `${pkg}@${version}`], { stdio: ['ignore', 'ignore', 'inherit'] });
    const found = installed(binary);
    if (!matches(found)) throw new Error(`${pkg}@${version} installed Node ${found ?? 'nothing'}`);
  }
  const bin = join(DIR, 'bin');
  rmSync(bin, { recursive: true, force: true });
  mkdirSync(bin);
  symlinkSync(binary, join(bin, 'node'));
  return bin;
}

const [command, ...args] = process.argv.slice(2);
if (!command) {
  console.error('usage: node scripts/with-image-node.js <command> [args...]');
  process.exit(2);
}
const bin = ensureNode(imageNodeVersion());
const version = execFileSync(join(bin, 'node'), ['--version'], { encoding: 'utf8' }).trim();
console.error(`== ${command} ${args.join(' ')} on Node ${version} (the image's, Dockerfile NODE_IMAGE)`);
const env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, LRO_EXPECT_NODE: version };
const run = spawnSync(command, args, { stdio: 'inherit', env });
if (run.error) console.error(`${command}: ${run.error.message}`);
process.exit(run.status ?? 1);
