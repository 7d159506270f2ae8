/**
 * Redaction: credentials never leave the process in error text, and a hostile answer cannot stall the worker
 * (every pattern is linear; error bodies are read for a message only up to the size of an error envelope).
 */
import { boundedErrorBody, MAX_ERROR_BODY_LENGTH, redactCredentials } from '../../src/domain/redaction';

const JWT = 'eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJpc3MiOiJzYUBwLmlhbS5nc2VydmljZWFjY291bnQuY29tIn0.c2lnbmF0dXJl';

test.each([
  ['a bearer header', 'Authorization: Bearer ya29.a0Af-secret_token.x', 'Authorization: Bearer [redacted]'],
  ['an access token', 'token ya29.a0AfH6SMB-xyz_123 expired', 'token [redacted] expired'],
  ['a JWT', `assertion=${JWT}&x=1`, 'assertion=[redacted]&x=1'],
  ['what is left of a JWT after a cut', `sig ${JWT.slice(0, 60)}`, 'sig [redacted]'],
  ['a JWT after text in the same run', `abc-def_ghi${JWT}`, 'abc-def_ghi[redacted]'],
])('redacts %s', (_label, text, redacted) => {
  expect(redactCredentials(text)).toBe(redacted);
});

test.each([
  ['plain text', 'Operation "projects/p/locations/l/operations/o" not found.'],
  ['a short eyJ', 'eyJabc.def'],
  ['an eyJ without a dot', 'eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0'],
])('leaves %s alone', (_label, text) => {
  expect(redactCredentials(text)).toBe(text);
});

test('redacts the secrets it is given, wherever they stand', () => {
  expect(redactCredentials('key=s3cr3t-value!', ['s3cr3t-value'])).toBe('key=[redacted]!');
});

test('a 32 MiB hostile error body is bounded and redacted in under 50 ms', () => {
  const hostile = 'eyJ'.repeat((32 * 1024 * 1024) / 3);
  const started = performance.now();
  const read = boundedErrorBody(hostile);
  const took = performance.now() - started;
  expect(read).toBe('');
  expect(took).toBeLessThan(50);
});

test('the longest body read for a message is redacted in under 50 ms, however hostile', () => {
  const hostile = 'eyJ'.repeat(Math.floor(MAX_ERROR_BODY_LENGTH / 3));
  const started = performance.now();
  boundedErrorBody(hostile);
  expect(performance.now() - started).toBeLessThan(50);
});

test('redaction is linear: 1 MiB of eyJ takes well under a second', () => {
  const started = performance.now();
  redactCredentials(`${'eyJ'.repeat(350_000)}.x`);
  expect(performance.now() - started).toBeLessThan(500);
});

test('a single run of several million characters neither throws nor slows down', () => {
  const started = performance.now();
  expect(() => redactCredentials(`${'A'.repeat(6_000_000)}.eyJhbGciOiJSUzI1NiJ9`)).not.toThrow();
  expect(performance.now() - started).toBeLessThan(500);
});
