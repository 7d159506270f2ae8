/** What the emulator answers, in Google's words: AIP-193 error envelopes, its HTML error pages and messages. */
import type { ServerResponse } from 'node:http';

import { HTTP_STATUS_BY_RPC_CODE, type RpcCodeName } from '../../domain/rpc-code';

/** An answer to one request: a reply to write, or a connection to reset without one. */
export type Answer =
  | { readonly kind: 'reply'; readonly status: number; readonly headers: Record<string, string>; readonly body: string }
  | { readonly kind: 'reset' };

/** The content type of every JSON answer. */
export const JSON_TYPE = 'application/json; charset=UTF-8';
const HTML_TYPE = 'text/html; charset=UTF-8';

/** Write a reply with its `content-length`; a reset is the caller's to do. */
export function writeAnswer(res: ServerResponse, answer: Answer): void {
  if (answer.kind === 'reset') return;
  res.writeHead(answer.status, { ...answer.headers, 'content-length': String(Buffer.byteLength(answer.body)) });
  res.end(answer.body);
}

/** `json` as a reply with this status. */
export function reply(status: number, json: unknown, contentType = JSON_TYPE): Answer {
  return { kind: 'reply', status, headers: { 'content-type': contentType }, body: JSON.stringify(json) };
}

/** Google's AIP-193 error envelope, whose `code` is the HTTP status. */
export function envelope(code: RpcCodeName, message: string, details: unknown[] = []): Answer & { kind: 'reply' } {
  const status = HTTP_STATUS_BY_RPC_CODE[code];
  return {
    kind: 'reply',
    status,
    headers: { 'content-type': JSON_TYPE },
    body: JSON.stringify({ error: { code: status, message, status: code, details } }),
  };
}

/** 404 `NOT_FOUND` for an operation. */
export function notFound(name: string): Answer {
  return envelope('NOT_FOUND', `Operation "${name}" not found.`);
}

/** 401 `UNAUTHENTICATED`, worded as Google words a bad bearer token or a missing one. */
export function unauthenticated(hadBearer: boolean): Answer {
  return hadBearer
    ? envelope(
        'UNAUTHENTICATED',
        'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
        [errorInfo('ACCESS_TOKEN_TYPE_UNSUPPORTED')],
      )
    : envelope(
        'UNAUTHENTICATED',
        'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
        [errorInfo('CREDENTIALS_MISSING')],
      );
}

/** A `google.rpc.ErrorInfo` detail. */
export function errorInfo(
  reason: string,
  metadata: Record<string, string> = {},
  service?: string,
): Record<string, unknown> {
  return {
    '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
    reason,
    domain: 'googleapis.com',
    metadata: service === undefined ? metadata : { ...metadata, service },
  };
}

/** A `google.rpc.BadRequest` detail with one field violation. */
export function badRequest(field: string, description: string): Record<string, unknown> {
  return { '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: [{ field, description }] };
}

/** The message of a cancel refused with `code`, as the services that refuse cancels word it. */
export function cancelRejectionMessage(code: RpcCodeName, name: string): string {
  switch (code) {
    case 'UNIMPLEMENTED':
      return 'Operation cancellation is not supported by this service.';
    case 'FAILED_PRECONDITION':
      return `Operation "${name}" is not cancellable.`;
    case 'PERMISSION_DENIED':
      return `Permission denied to cancel operation "${name}" (or it may not exist).`;
    default:
      return defaultMessage(code, name);
  }
}

/** The message Google would send with `code` for a request about operation `name`. */
export function defaultMessage(code: RpcCodeName, name: string): string {
  switch (code) {
    case 'NOT_FOUND':
      return `Operation "${name}" not found.`;
    case 'PERMISSION_DENIED':
      return `The caller does not have permission to access operation "${name}".`;
    case 'UNAUTHENTICATED':
      return 'Request had invalid authentication credentials.';
    case 'UNAVAILABLE':
      return 'The service is currently unavailable.';
    case 'DEADLINE_EXCEEDED':
      return 'Deadline exceeded.';
    case 'RESOURCE_EXHAUSTED':
      return 'Quota exceeded.';
    case 'UNIMPLEMENTED':
      return 'Method not implemented.';
    case 'INTERNAL':
      return 'Internal error encountered.';
    default:
      return `${code}: request for operation "${name}" failed.`;
  }
}

/** Google's HTML 404 page, for paths that are no route at all. */
export function htmlNotFound(path: string): Answer {
  return htmlError(
    404,
    'Not Found',
    `The requested URL <code>${escapeHtml(path)}</code> was not found on this server.  <ins>That’s all we know.</ins>`,
  );
}

/** One of Google's HTML error pages, as its front ends and proxies send them; `text` is HTML. */
export function htmlError(status: number, title: string, text: string): Answer {
  return {
    kind: 'reply',
    status,
    headers: { 'content-type': HTML_TYPE },
    body: [
      '<!DOCTYPE html>',
      '<html lang=en>',
      '  <meta charset=utf-8>',
      '  <meta name=viewport content="initial-scale=1, minimum-scale=1, width=device-width">',
      `  <title>Error ${status} (${title})!!1</title>`,
      `  <p><b>${status}.</b> <ins>That’s an error.</ins>`,
      `  <p>${text}`,
      '',
    ].join('\n'),
  };
}

/** `value` with the characters HTML gives meaning to written as character references. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
