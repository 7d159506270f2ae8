/**
 * The worker's real activity dependencies, from its environment.
 */
import { googleAuthorizer } from './google-auth';
import { createDispatcher } from './http-dispatcher';
import { InvalidArgumentError } from '../domain/invalid-argument';
import { ALLOWED_HOSTS_ENV, parseAllowedHosts } from '../domain/operation-ref';
import type { OperationsClientOptions } from './operations-client';

/** Sends every `*.googleapis.com` call to a local emulator over http (`host:port`), as Google's emulator variables do. */
export const EMULATOR_HOST_ENV = 'LRO_EMULATOR_HOST';

/**
 * Builds the dependencies from `env`: Application Default Credentials, one shared dispatcher,
 * `LRO_ALLOWED_HOSTS` and `LRO_EMULATOR_HOST`. Throws {@link InvalidArgumentError} naming a bad variable.
 */
export function activityDepsFromEnv(env: NodeJS.ProcessEnv = process.env): OperationsClientOptions {
  const allowlist = parseAllowedHosts(env[ALLOWED_HOSTS_ENV]);
  const emulatorHost = env[EMULATOR_HOST_ENV]?.trim();
  if (emulatorHost && (emulatorHost.includes(',') || !/:[0-9]+$/.test(emulatorHost))) {
    throw new InvalidArgumentError(EMULATOR_HOST_ENV, 'must be one host:port, e.g. 127.0.0.1:8085', emulatorHost);
  }
  if (emulatorHost) parseAllowedHosts(emulatorHost);
  return {
    authorizer: googleAuthorizer(),
    dispatcher: createDispatcher(),
    allowlist,
    ...(emulatorHost ? { emulatorHost } : {}),
  };
}
