/**
 * docker-compose.yml's stack without a container engine: Debian's PostgreSQL in a throw-away cluster, the setup jobs'
 * script, and the server the compose file names (built from its Go module by scripts/install-temporal-server.ts),
 * configured from the same files, on 127.0.0.1 ports of their own.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { TemporalServerBinaries } from '../../scripts/install-temporal-server';
import { ROOT, serverAnswers, track, until, type Child } from '../faults/support';

/** The server's settings, as docker-compose.yml passes them: `KEY=VALUE` lines of deploy/temporal.env. */
export function serverEnvFile(): Record<string, string> {
  const settings: Record<string, string> = {};
  for (const line of readFileSync(join(ROOT, 'deploy', 'temporal.env'), 'utf8').split('\n')) {
    const match = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (match?.[1]) settings[match[1]] = match[2] ?? '';
  }
  return settings;
}

/** A value docker-compose.yml sets in a service's `environment` (`KEY: value`), e.g. the namespace's retention. */
export function composeSetting(service: string, key: string): string {
  const compose = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
  // The service's block: from `  <service>:` to the next line indented two spaces or less.
  const block = new RegExp(`^ {2}${service}:\\n((?: {3,}.*\\n|\\n)*)`, 'm').exec(compose)?.[1] ?? '';
  const value = new RegExp(`^ {6}${key}:[ ]*(\\S+)[ ]*$`, 'm').exec(block)?.[1];
  if (!value) throw new Error(`docker-compose.yml must set ${key} for ${service}`);
  return value;
}

/**
 * A port free on 127.0.0.1 below 32768: the server records its membership ports in a PostgreSQL SMALLINT, and
 * below the kernel's ephemeral range no outbound connection takes it between the probe and the server's bind.
 */
export async function freeLowPort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await new Promise<boolean>((resolve) => {
      const probe = createServer();
      probe.once('error', () => resolve(false));
      probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
    });
    if (free) return port;
  }
}

/** A PostgreSQL cluster of our own, with a `temporal` superuser and a password, as the postgres image makes it. */
export interface Postgres {
  /** The folder of its binaries (psql among them). */
  bin: string;
  port: number;
  user: string;
  password: string;
  stop(): Promise<void>;
}

/**
 * Debian's PostgreSQL binaries (`$LRO_POSTGRES_BIN`, else the newest /usr/lib/postgresql/<major>/bin, else PATH).
 * Throws with the package to install when there are none.
 */
function postgresBinDir(): string {
  const explicit = process.env['LRO_POSTGRES_BIN'];
  if (explicit) return explicit;
  const debian = '/usr/lib/postgresql';
  const majors = existsSync(debian)
    ? readdirSync(debian)
        .filter((major) => existsSync(join(debian, major, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (majors[0]) return join(debian, majors[0], 'bin');
  const onPath = (process.env['PATH'] ?? '').split(delimiter).find((dir) => dir && existsSync(join(dir, 'initdb')));
  if (onPath) return onPath;
  throw new Error('PostgreSQL is not installed (apt-get install postgresql), or set LRO_POSTGRES_BIN');
}

/**
 * Starts a throw-away cluster on a free 127.0.0.1 port. PostgreSQL refuses to run as root, so as root it runs as the
 * `postgres` user. Passwords are checked (scram-sha-256) over TCP, as in the postgres image.
 */
export async function startPostgres(): Promise<Postgres> {
  const bin = postgresBinDir();
  const dir = mkdtempSync(join(tmpdir(), 'lro-postgres-'));
  const owner =
    process.getuid?.() === 0
      ? {
          uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })),
          gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' })),
        }
      : undefined;
  if (owner) chownSync(dir, owner.uid, owner.gid);
  const user = 'temporal';
  const password = randomBytes(12).toString('hex');
  const passwordFile = join(dir, 'password');
  writeFileSync(passwordFile, password, { mode: 0o600 });
  if (owner) chownSync(passwordFile, owner.uid, owner.gid);
  const data = join(dir, 'data');
  execFileSync(
    join(bin, 'initdb'),
    [
      '-D',
      data,
      '-U',
      user,
      `--pwfile=${passwordFile}`,
      '--auth-local=trust',
      '--auth-host=scram-sha-256',
      '-E',
      'UTF8',
    ],
    { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], ...owner },
  );
  const port = await freeLowPort();
  const server = track(
    spawn(
      join(bin, 'postgres'),
      ['-D', data, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${dir}`],
      { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], ...owner },
    ),
  );
  const stop = async (): Promise<void> => {
    // SIGINT is PostgreSQL's fast shutdown: it ends the sessions instead of waiting for them.
    await server.stop('SIGINT', 10_000);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await until(
      `PostgreSQL on 127.0.0.1:${port}`,
      () => {
        if (server.hasExited()) throw new Error(`PostgreSQL exited during start-up:\n${server.output()}`);
        try {
          execFileSync(join(bin, 'pg_isready'), ['-q', '-h', '127.0.0.1', '-p', String(port)]);
          return true;
        } catch {
          return false;
        }
      },
      30_000,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { bin, port, user, password, stop };
}

/** One query's answer, unaligned (`psql -At`), over TCP with the password. */
export function psql(postgres: Postgres, database: string, query: string): string {
  return execFileSync(
    join(postgres.bin, 'psql'),
    ['-h', '127.0.0.1', '-p', String(postgres.port), '-U', postgres.user, '-d', database, '-Atc', query],
    { env: { ...process.env, PGPASSWORD: postgres.password }, encoding: 'utf8' },
  ).trim();
}

/** The environment deploy/setup-temporal.sh runs with in docker-compose.yml's jobs, aimed at `postgres`. */
export function setupEnv(postgres: Postgres, binaries: TemporalServerBinaries): Record<string, string> {
  return {
    PATH: process.env['PATH'] ?? '',
    ...serverEnvFile(),
    POSTGRES_SEEDS: '127.0.0.1',
    DB_PORT: String(postgres.port),
    POSTGRES_USER: postgres.user,
    POSTGRES_PWD: postgres.password,
    TEMPORAL_SQL_TOOL: binaries.sql,
    SETUP_RETRY_SECONDS: '1',
  };
}

/** Runs one step of deploy/setup-temporal.sh (`schema` or `namespace`) with `sh`; rejects with its output on failure. */
export function runSetup(step: 'schema' | 'namespace', env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', [join(ROOT, 'deploy', 'setup-temporal.sh'), step], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) =>
      code === 0 ? resolve(output) : reject(new Error(`setup-temporal.sh ${step} exited ${code}:\n${output}`)),
    );
  });
}

/** The ports the server's four services listen on (their defaults in the image: 7233-7239, 6933-6939). */
const PORT_VARIABLES = [
  'FRONTEND_GRPC_PORT',
  'FRONTEND_HTTP_PORT',
  'FRONTEND_MEMBERSHIP_PORT',
  'HISTORY_GRPC_PORT',
  'HISTORY_MEMBERSHIP_PORT',
  'MATCHING_GRPC_PORT',
  'MATCHING_MEMBERSHIP_PORT',
  'WORKER_GRPC_PORT',
  'WORKER_MEMBERSHIP_PORT',
] as const;

/** The server process, restartable on the same ports and databases. */
export interface TemporalServer {
  /** `127.0.0.1:<frontend port>` */
  address: string;
  process(): Child;
  /** Starts it (again) and resolves once the frontend answers. */
  start(): Promise<void>;
  /** Stops it with `signal` (SIGKILL: no shutdown at all). */
  stop(signal: NodeJS.Signals): Promise<void>;
}

/**
 * The server as the temporalio/server image runs it: `server start` with no config file renders the embedded
 * template from the environment: deploy/temporal.env, then what docker-compose.yml sets per container, here aimed
 * at 127.0.0.1 (its database, its ports, the dynamic config's path in the repository).
 */
export async function temporalServer(postgres: Postgres, binaries: TemporalServerBinaries): Promise<TemporalServer> {
  const ports: Record<string, string> = {};
  for (const name of PORT_VARIABLES) {
    let port: number;
    do port = await freeLowPort();
    while (Object.values(ports).includes(String(port)));
    ports[name] = String(port);
  }
  const env = {
    PATH: process.env['PATH'] ?? '',
    HOME: process.env['HOME'] ?? tmpdir(),
    ...serverEnvFile(),
    POSTGRES_SEEDS: '127.0.0.1',
    DB_PORT: String(postgres.port),
    POSTGRES_USER: postgres.user,
    POSTGRES_PWD: postgres.password,
    BIND_ON_IP: '127.0.0.1',
    DYNAMIC_CONFIG_FILE_PATH: join(ROOT, 'deploy', 'dynamicconfig', 'postgresql.yaml'),
    ...ports,
    LOG_LEVEL: process.env['TEST_SERVER_LOG_LEVEL'] ?? 'warn',
  };
  const address = `127.0.0.1:${ports['FRONTEND_GRPC_PORT']}`;
  let child: Child | undefined;
  return {
    address,
    process: () => {
      if (!child) throw new Error('the server has not started');
      return child;
    },
    async start() {
      const current = track(
        spawn(binaries.server, ['start'], { cwd: tmpdir(), env, stdio: ['ignore', 'pipe', 'pipe'] }),
      );
      child = current;
      try {
        await until(
          `the Temporal server at ${address}`,
          async () => {
            if (current.hasExited())
              throw new Error(`the Temporal server exited during start-up:\n${current.output()}`);
            return serverAnswers(address);
          },
          90_000,
        );
      } catch (err) {
        await current.stop('SIGKILL');
        throw err;
      }
    },
    async stop(signal) {
      await child?.stop(signal, 30_000);
    },
  };
}
