/**
 * Keeping credentials out of everything that leaves the process: error text, logs, history.
 *
 * Pure: safe to import from workflow code. Every pattern scans in linear time: an answer is hostile input, and a
 * backtracking pattern over a long run of `eyJ` would stall the worker.
 */

/** Error bodies longer than this are not read for a message: Google's error envelopes are a few KiB. */
export const MAX_ERROR_BODY_LENGTH = 64 * 1024;

// `{11}` then `*`: `{11,}` overflows V8's regexp stack on a run of several million characters.
const TOKEN_RUN = /[A-Za-z0-9_.-]{11}[A-Za-z0-9_.-]*/g;

/** Replaces anything that looks like a credential in `text`, and each of `secrets`, for messages that leave the process. */
export function redactCredentials(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= 8) out = out.split(secret).join('[redacted]');
  }
  return out
    .replace(/Bearer\s+[A-Za-z0-9._~+/=-]+/gi, 'Bearer [redacted]')
    .replace(/ya29\.[A-Za-z0-9._~+/=-]+/g, '[redacted]')
    .replace(TOKEN_RUN, redactJwt);
}

/**
 * An error body as far as it is read: redacted, or nothing when it is longer than any Google error envelope (its
 * message then says the body was not Google's).
 */
export function boundedErrorBody(body: string): string {
  return body.length > MAX_ERROR_BODY_LENGTH ? '' : redactCredentials(body);
}

/**
 * In a run of base64url characters and dots, a JWT, or what is left of one after a message was cut: `eyJ`, at least
 * eight more characters of its header, a dot, and the rest of the run.
 */
function redactJwt(run: string): string {
  // Both scans only move forward: linear in the run's length.
  let dot = run.indexOf('.');
  for (let start = run.indexOf('eyJ'); start !== -1 && dot !== -1; start = run.indexOf('eyJ', start + 3)) {
    while (dot !== -1 && dot < start) dot = run.indexOf('.', dot + 1);
    if (dot !== -1 && dot - start - 3 >= 8) return `${run.slice(0, start)}[redacted]`;
  }
  return run;
}
