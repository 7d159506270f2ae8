/**
 * Google's REST error answers: the AIP-193 envelope first, the HTTP fallback for everything else, and the
 * retry hints (RetryInfo in the body, then Retry-After).
 */
import {
  boundMessage,
  boundRetryDelay,
  MAX_MESSAGE_LENGTH,
  MAX_RETRY_DELAY_MS,
  MIN_RETRY_DELAY_MS,
  parseErrorResponse,
  parseProtoDuration,
  parseRetryAfter,
} from '../../src/domain/google-error';

const NOW_MS = Date.parse('2024-05-01T12:00:00Z');
const RETRY_INFO = 'type.googleapis.com/google.rpc.RetryInfo';
const ERROR_INFO = 'type.googleapis.com/google.rpc.ErrorInfo';

/** An AIP-193 error envelope, as Google's REST front end sends it. */
function envelope(httpCode: number, status: string, message: string, details: unknown[] = []): string {
  return JSON.stringify({ error: { code: httpCode, message, status, details } });
}

/** Named answers. */
const NOT_CANCELLABLE = envelope(400, 'FAILED_PRECONDITION', 'Operation is not cancellable.');
const QUOTA_EXCEEDED = envelope(429, 'RESOURCE_EXHAUSTED', 'Quota exceeded for quota metric.', [
  {
    '@type': ERROR_INFO,
    reason: 'RATE_LIMIT_EXCEEDED',
    domain: 'googleapis.com',
    metadata: { service: 'alloydb.googleapis.com' },
  },
  { '@type': RETRY_INFO, retryDelay: '53s' },
]);
const WRONG_HOST_HTML = '<!DOCTYPE html><html><body><p>404. That’s an error.</p></body></html>';
const PROXY_EMPTY = '';

describe('parseErrorResponse: the code', () => {
  it("prefers the envelope's status over the HTTP code", () => {
    expect(parseErrorResponse(400, NOT_CANCELLABLE, undefined, NOW_MS)).toEqual({
      code: 'FAILED_PRECONDITION',
      httpStatus: 400,
      message: 'Operation is not cancellable.',
    });
  });

  it('reads NOT_FOUND from an HTML 404 (a wrong host)', () => {
    const error = parseErrorResponse(404, WRONG_HOST_HTML, undefined, NOW_MS);
    expect(error.code).toBe('NOT_FOUND');
    expect(error.httpStatus).toBe(404);
    expect(error.message).toBe('HTTP 404 without a Google error body');
  });

  it('reads INTERNAL from an empty 502 (a proxy)', () => {
    expect(parseErrorResponse(502, PROXY_EMPTY, undefined, NOW_MS).code).toBe('INTERNAL');
  });

  it('reads UNAVAILABLE from an empty 503', () => {
    expect(parseErrorResponse(503, PROXY_EMPTY, undefined, NOW_MS)).toEqual({
      code: 'UNAVAILABLE',
      httpStatus: 503,
      message: 'HTTP 503 without a Google error body',
    });
  });

  it('falls back on the HTTP code when the envelope has no status', () => {
    const body = JSON.stringify({ error: { code: 404, message: 'Requested entity was not found.' } });
    expect(parseErrorResponse(404, body, undefined, NOW_MS)).toEqual({
      code: 'NOT_FOUND',
      httpStatus: 404,
      message: 'Requested entity was not found.',
    });
  });

  it('falls back on the HTTP code when the status is not a google.rpc code name', () => {
    expect(parseErrorResponse(403, envelope(403, 'NOPE', 'denied'), undefined, NOW_MS).code).toBe('PERMISSION_DENIED');
    expect(parseErrorResponse(403, envelope(403, 'toString', 'denied'), undefined, NOW_MS).code).toBe(
      'PERMISSION_DENIED',
    );
  });

  it.each([
    ['an OAuth-style error', JSON.stringify({ error: 'invalid_grant', error_description: 'Bad Request' })],
    ['a JSON array', '[{"error":{"status":"NOT_FOUND"}}]'],
    ['JSON null', 'null'],
    ['truncated JSON', '{"error": {"status": "NOT_F'],
  ])('falls back on the HTTP code for %s', (_, body) => {
    expect(parseErrorResponse(401, body, undefined, NOW_MS).code).toBe('UNAUTHENTICATED');
  });
});

describe('parseErrorResponse: retry hints', () => {
  it('reads RetryInfo "53s" as 53,000 ms', () => {
    expect(parseErrorResponse(429, QUOTA_EXCEEDED, undefined, NOW_MS).retryDelayMs).toBe(53_000);
  });

  it('reads RetryInfo "1.5s" as 1,500 ms', () => {
    const body = envelope(503, 'UNAVAILABLE', 'try later', [{ '@type': RETRY_INFO, retryDelay: '1.5s' }]);
    expect(parseErrorResponse(503, body, undefined, NOW_MS).retryDelayMs).toBe(1_500);
  });

  it('prefers RetryInfo over Retry-After', () => {
    expect(parseErrorResponse(429, QUOTA_EXCEEDED, '5', NOW_MS).retryDelayMs).toBe(53_000);
  });

  it('uses Retry-After in seconds when the body has no RetryInfo', () => {
    expect(parseErrorResponse(503, PROXY_EMPTY, '120', NOW_MS).retryDelayMs).toBe(120_000);
  });

  it('uses Retry-After as an HTTP date, counted from now', () => {
    const inNinetySeconds = new Date(NOW_MS + 90_000).toUTCString();
    expect(parseErrorResponse(503, PROXY_EMPTY, inNinetySeconds, NOW_MS).retryDelayMs).toBe(90_000);
  });

  it('leaves retryDelayMs out when there is no hint', () => {
    expect(parseErrorResponse(503, PROXY_EMPTY, undefined, NOW_MS)).not.toHaveProperty('retryDelayMs');
  });

  it('falls back on Retry-After when RetryInfo is malformed', () => {
    const body = envelope(503, 'UNAVAILABLE', 'x', [{ '@type': RETRY_INFO, retryDelay: 'soon' }]);
    expect(parseErrorResponse(503, body, '7', NOW_MS).retryDelayMs).toBe(7_000);
  });
});

describe('parseErrorResponse: ErrorInfo', () => {
  it('keeps the ErrorInfo reason', () => {
    expect(parseErrorResponse(429, QUOTA_EXCEEDED, undefined, NOW_MS)).toEqual({
      code: 'RESOURCE_EXHAUSTED',
      httpStatus: 429,
      message: 'Quota exceeded for quota metric.',
      retryDelayMs: 53_000,
      reason: 'RATE_LIMIT_EXCEEDED',
    });
  });

  it('cuts a long reason to 128 characters', () => {
    const body = envelope(400, 'INVALID_ARGUMENT', 'x', [{ '@type': ERROR_INFO, reason: 'R'.repeat(10_000) }]);
    expect(parseErrorResponse(400, body, undefined, NOW_MS).reason).toHaveLength(128);
  });

  it('ignores details that are not objects or lack a known @type', () => {
    const body = envelope(400, 'INVALID_ARGUMENT', 'x', [null, 'text', 7, [], { reason: 'NO_TYPE' }]);
    expect(parseErrorResponse(400, body, undefined, NOW_MS)).toEqual({
      code: 'INVALID_ARGUMENT',
      httpStatus: 400,
      message: 'x',
    });
  });
});

describe('parseErrorResponse: the message', () => {
  it(`bounds a huge message to one line of at most ${MAX_MESSAGE_LENGTH} characters`, () => {
    const huge = `first line\r\nInjected: header\n${'x'.repeat(100_000)}`;
    const { message } = parseErrorResponse(500, envelope(500, 'INTERNAL', huge), undefined, NOW_MS);
    expect(message.length).toBeLessThanOrEqual(MAX_MESSAGE_LENGTH);
    expect(message).not.toMatch(/[\r\n]/);
    expect(message.startsWith('first line Injected: header x')).toBe(true);
    expect(message.endsWith('…')).toBe(true);
  });
});

describe('boundMessage', () => {
  it('replaces runs of control characters with one space and trims', () => {
    expect(boundMessage('\n  a\r\n\tb\u0000\u007fc  \n')).toBe('a b c');
  });

  it(`keeps a message of exactly ${MAX_MESSAGE_LENGTH} characters whole`, () => {
    const exact = 'm'.repeat(MAX_MESSAGE_LENGTH);
    expect(boundMessage(exact)).toBe(exact);
  });

  it('cuts one character more and marks the cut', () => {
    const cut = boundMessage('m'.repeat(MAX_MESSAGE_LENGTH + 1));
    expect(cut).toHaveLength(MAX_MESSAGE_LENGTH);
    expect(cut).toBe(`${'m'.repeat(MAX_MESSAGE_LENGTH - 1)}…`);
  });
});

describe('parseProtoDuration', () => {
  it.each([
    ['53s', 53_000],
    ['1.5s', 1_500],
    ['0s', 0],
    ['0.25s', 250],
    ['0.000000001s', 0],
    ['2.123456789s', 2_123],
  ])('reads %p as %p ms', (value, ms) => {
    expect(parseProtoDuration(value)).toBe(ms);
  });

  it('reads the {seconds, nanos} form, with int64 seconds as a string', () => {
    expect(parseProtoDuration({ seconds: '53' })).toBe(53_000);
    expect(parseProtoDuration({ seconds: 1, nanos: 500_000_000 })).toBe(1_500);
  });

  it.each([
    '53',
    '53ms',
    '-1s',
    '1.5 s',
    's',
    '1.1234567890s',
    '',
    53,
    null,
    undefined,
    { seconds: -1 },
    { seconds: 'x' },
  ])('refuses %p', (value) => {
    expect(parseProtoDuration(value)).toBeUndefined();
  });
});

describe('parseRetryAfter', () => {
  it('reads delta-seconds', () => {
    expect(parseRetryAfter('0', NOW_MS)).toBe(0);
    expect(parseRetryAfter(' 30 ', NOW_MS)).toBe(30_000);
  });

  it('reads an HTTP date relative to now, and a past date as no wait', () => {
    expect(parseRetryAfter('Wed, 01 May 2024 12:01:00 GMT', NOW_MS)).toBe(60_000);
    expect(parseRetryAfter('Wed, 01 May 2024 11:00:00 GMT', NOW_MS)).toBe(0);
  });

  it('returns undefined when absent or unreadable', () => {
    expect(parseRetryAfter(undefined, NOW_MS)).toBeUndefined();
    expect(parseRetryAfter('', NOW_MS)).toBeUndefined();
    expect(parseRetryAfter('soon', NOW_MS)).toBeUndefined();
  });
});

describe('one bounded policy for retry hints', () => {
  it.each([
    ['0s', 1_000],
    ['0.5s', 1_000],
    ['1.5s', 1_500],
    ['53s', 53_000],
    ['299s', 299_000],
    ['3600s', 300_000],
  ])('RetryInfo %s is a wait of %d ms', (retryDelay, ms) => {
    const body = envelope(429, 'RESOURCE_EXHAUSTED', 'quota', [{ '@type': RETRY_INFO, retryDelay }]);
    expect(parseErrorResponse(429, body, undefined, NOW_MS).retryDelayMs).toBe(ms);
  });

  it.each([
    ['0', 1_000],
    ['7', 7_000],
    ['86400', 300_000],
  ])('Retry-After %s is a wait of %d ms', (header, ms) => {
    expect(parseErrorResponse(503, PROXY_EMPTY, header, NOW_MS).retryDelayMs).toBe(ms);
  });

  it('holds any number between the floor and the ceiling', () => {
    expect(MIN_RETRY_DELAY_MS).toBe(1_000);
    expect(MAX_RETRY_DELAY_MS).toBe(300_000);
    expect(boundRetryDelay(-5)).toBe(MIN_RETRY_DELAY_MS);
    expect(boundRetryDelay(2_500)).toBe(2_500);
    expect(boundRetryDelay(Number.MAX_SAFE_INTEGER)).toBe(MAX_RETRY_DELAY_MS);
  });
});
