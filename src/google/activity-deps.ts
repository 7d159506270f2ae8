/**
 * The worker's real activity dependencies, from its environment.
 */
import { googleAuthorizer } from './google-auth';
import { createDispatcher } from './http-dispatcher';
import { InvalidArgumentError } from '../domain/invalid-argument';
import {
  ALLOWED_HOSTS_ENV,
  isLoopback,
  parseAllowedHosts,
  splitAuthority,
  type HostAllowlist,
} from '../domain/host-allowlist';
import { scopePolicyFromEnv } from '../domain/scope-policy';
import type { OperationsClientOptions } from './operations-client';

/** Sends every `*.googleapis.com` call to a local emulator over http (`host:port`), as Google's emulator variables do. */
export const EMULATOR_HOST_ENV = 'LRO_EMULATOR_HOST';

/**
 * The emulator takes the worker's token over plain http: only on this machine (a loopback address), or at a host
 * an operator allowlisted for plain http (`LRO_ALLOWED_HOSTS=http://emulator:8085`, as a compose network needs).
 */
function assertEmulatorHost(emulatorHost: string, allowlist: HostAllowlist): void {
  const { host, port } = splitAuthority(EMULATOR_HOST_ENV, emulatorHost.toLowerCase());
  const key = `${host}:${port ?? ''}`;
  if (isLoopback(host) || allowlist.plainHttp.has(key)) return;
  throw new InvalidArgumentError(
    EMULATOR_HOST_ENV,
    `must be a loopback address, or be allowed plain http in ${ALLOWED_HOSTS_ENV} (http://${key}): the worker's token goes there in clear text`,
    emulatorHost,
  );
}

/**
 * Builds the dependencies from `env`: Application Default Credentials (and the IAM Credentials endpoint for
 * impersonated tokens), one shared dispatcher, `LRO_ALLOWED_HOSTS`, the scope policy (`LRO_ALLOWED_SERVICES`,
 * `LRO_ALLOWED_RESOURCES`, `LRO_IMPERSONATION_ALLOWED`) and `LRO_EMULATOR_HOST`, which takes the IAM Credentials
 * calls too. Throws {@link InvalidArgumentError} naming a bad variable.
 */
export function activityDepsFromEnv(env: NodeJS.ProcessEnv = process.env): OperationsClientOptions {
  const allowlist = parseAllowedHosts(env[ALLOWED_HOSTS_ENV]);
  const emulatorHost = env[EMULATOR_HOST_ENV]?.trim();
  if (emulatorHost && (emulatorHost.includes(',') || emulatorHost.includes('/') || !/:[0-9]+$/.test(emulatorHost))) {
    throw new InvalidArgumentError(EMULATOR_HOST_ENV, 'must be one host:port, e.g. 127.0.0.1:8085', emulatorHost);
  }
  if (emulatorHost) assertEmulatorHost(emulatorHost, allowlist);
  const policy = scopePolicyFromEnv(env);
  return {
    authorizer: googleAuthorizer(undefined, emulatorHost ? { iamEndpoint: `http://${emulatorHost}` } : {}),
    dispatcher: createDispatcher(),
    allowlist,
    policy,
    ...(emulatorHost ? { emulatorHost } : {}),
  };
}
