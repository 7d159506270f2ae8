/**
 * The Temporal server of docker-compose.yml, without a container engine: `server` (what the temporalio/server image
 * runs as `temporal-server`) and `sql` (temporal-sql-tool, as in temporalio/admin-tools), built from the server's Go
 * module at the version of the compose file's `temporalio/server` image, as Temporal's Makefile builds its release
 * binaries (CGO off, `disable_grpc_modules`). They go to a cache outside the clone, so only the first run pays for
 * the build (6 to 8 minutes on 2 cores): `$LRO_TEMPORAL_SERVER_CACHE`, else
 * `${XDG_CACHE_HOME:-~/.cache}/temporal-gcp-lro`, in `temporal-server-v<version>/bin/`. Needs Go and its module proxy.
 *
 *   node dist/scripts/install-temporal-server.js    builds them unless they are there, then prints where they are
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** The server's Go module. */
const MODULE = 'go.temporal.io/server';

/** The built binaries of one server version. */
export interface TemporalServerBinaries {
  /** e.g. `1.32.0` */
  version: string;
  /** `temporal-server`: `server start` runs every service in one process. */
  server: string;
  /** `temporal-sql-tool`: creates the databases and applies the schemas embedded in it. */
  sql: string;
}

/**
 * The server version docker-compose.yml runs: the tag of its `temporalio/server` image. Throws unless there is
 * exactly one, and `temporalio/admin-tools` (whose schema tool must match the server) has the same tag.
 */
export function composeServerVersion(root: string): string {
  const compose = readFileSync(join(root, 'docker-compose.yml'), 'utf8');
  const tags = (image: string): string[] =>
    [...compose.matchAll(new RegExp(`^\\s*image:\\s*temporalio/${image}:(\\S+)\\s*$`, 'gm'))].map((m) => m[1] ?? '');
  const servers = [...new Set(tags('server'))];
  const [version] = servers;
  if (servers.length !== 1 || !version || !/^\d+\.\d+\.\d+$/.test(version)) {
    throw new Error(`docker-compose.yml must name one temporalio/server:<x.y.z> image (found ${servers.join(', ')})`);
  }
  const adminTools = [...new Set(tags('admin-tools'))];
  if (adminTools.length !== 1 || adminTools[0] !== version) {
    throw new Error(
      `docker-compose.yml: temporalio/admin-tools must have the server's tag ${version} (found ${adminTools.join(', ')})`,
    );
  }
  return version;
}

/** Where the binaries of `version` are kept. */
export function temporalServerBinDir(version: string, env: NodeJS.ProcessEnv = process.env): string {
  const cache =
    env['LRO_TEMPORAL_SERVER_CACHE'] ?? join(env['XDG_CACHE_HOME'] || join(homedir(), '.cache'), 'temporal-gcp-lro');
  return join(resolve(cache), `temporal-server-v${version}`, 'bin');
}

/**
 * The binaries of the compose file's server version, built first when missing (or when they report another
 * version). `log` gets one line before a build starts.
 */
export function installTemporalServer(
  root: string,
  log: (line: string) => void = () => undefined,
): TemporalServerBinaries {
  const version = composeServerVersion(root);
  const bin = temporalServerBinDir(version);
  const binaries = { version, server: join(bin, 'server'), sql: join(bin, 'sql') };
  if (builtAt(binaries)) return binaries;
  log(`building Temporal server v${version} from ${MODULE} into ${bin} (once; 6 to 8 minutes on 2 cores)`);
  execFileSync(
    'go',
    [
      'install',
      '-tags',
      'disable_grpc_modules',
      `${MODULE}/cmd/server@v${version}`,
      `${MODULE}/cmd/tools/sql@v${version}`,
    ],
    {
      stdio: ['ignore', 'inherit', 'inherit'],
      // The module asks for a newer Go than a distribution's may be: `auto` fetches that toolchain through the module
      // proxy (Debian's Go, and go env files, default to `local`, which fails with a bare version error).
      env: { ...process.env, GOBIN: bin, CGO_ENABLED: '0', GOTOOLCHAIN: process.env['GOTOOLCHAIN'] ?? 'auto' },
    },
  );
  if (!builtAt(binaries)) throw new Error(`go install did not leave server and sql v${version} in ${bin}`);
  return binaries;
}

/** Both binaries are there and report `version`. */
function builtAt({ version, server, sql }: TemporalServerBinaries): boolean {
  try {
    accessSync(server, constants.X_OK);
    accessSync(sql, constants.X_OK);
  } catch {
    return false;
  }
  const reported = (path: string): string => execFileSync(path, ['--version'], { encoding: 'utf8' }).trim();
  return reported(server).endsWith(` ${version}`) && reported(sql).endsWith(` ${version}`);
}

if (require.main === module) {
  try {
    const { version, server, sql } = installTemporalServer(resolve(__dirname, '..', '..'), (line) => console.log(line));
    console.log(`Temporal server v${version}: ${server}, ${sql}`);
  } catch (err) {
    console.error(`install-temporal-server: ${(err as Error).message.split('\n')[0]}`);
    process.exitCode = 1;
  }
}
