/**
 * Measured against Google's own API catalogue (`test/api-corpus.json`, built by `scripts/build-api-corpus.mjs` from
 * the discovery documents of every Google API): the gate every entry point shares accepts every GetOperation URL of
 * the google.longrunning shape and refuses every other resource a REST `get` can read, so a typed-in input cannot
 * make the worker cancel, or copy into history, anything but an operation.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertAllowed, parseAllowedHosts } from '../src/domain/host-allowlist';
import { InvalidArgumentError } from '../src/domain/invalid-argument';
import { parseOperationRef } from '../src/domain/operation-ref';

interface Corpus {
  source: string;
  apis: number;
  operations: [string, string][];
  others: [string, string][];
}

const corpus = JSON.parse(readFileSync(join(__dirname, 'api-corpus.json'), 'utf8')) as Corpus;
const GOOGLE_ONLY = parseAllowedHosts(undefined);

/** The gate: the parser, then the allowlist. Undefined when it lets the URL through. */
function refusal(url: string): InvalidArgumentError | undefined {
  try {
    assertAllowed(parseOperationRef({ operation: url }), GOOGLE_ONLY);
    return undefined;
  } catch (err) {
    if (!(err instanceof InvalidArgumentError)) throw err;
    return err;
  }
}

test(`the corpus is the whole catalogue (${corpus.source})`, () => {
  expect(corpus.apis).toBeGreaterThan(500);
  expect(corpus.operations.length).toBeGreaterThan(500);
  expect(corpus.others.length).toBeGreaterThan(3_000);
});

test('every operation URL of the google.longrunning shape is accepted, across well over a hundred APIs', () => {
  const refused = corpus.operations.flatMap(([id, url]) => {
    const err = refusal(url);
    return err ? [`${id} ${url}: ${err.message}`] : [];
  });
  expect(refused).toEqual([]);
  const services = new Set(corpus.operations.map(([, url]) => parseOperationRef({ operation: url }).service));
  expect(services.size).toBeGreaterThan(100);
});

test('every other resource URL is refused with INVALID_ARGUMENT', () => {
  const accepted = corpus.others.flatMap(([id, url]) => (refusal(url) ? [] : [`${id} ${url}`]));
  expect(accepted).toEqual([]);
});
