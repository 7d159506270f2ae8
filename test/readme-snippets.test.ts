/**
 * The README's snippets are the files the tests run: each `<!-- snippet: path -->` marker is followed by a code
 * block holding exactly that file, and every file in `examples/` has its snippet.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './support/build';

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const SNIPPET = /<!-- snippet: (\S+) -->\s*\n```[a-z]*\n([\s\S]*?)\n```/g;

const snippets = [...README.matchAll(SNIPPET)].map((match) => ({ path: match[1] ?? '', code: match[2] ?? '' }));

test('every example has its snippet in the README', () => {
  const examples = readdirSync(join(ROOT, 'examples')).map((file) => `examples/${file}`);
  expect(snippets.map((snippet) => snippet.path).sort()).toEqual(expect.arrayContaining(examples.sort()));
});

test.each(snippets.map((snippet) => [snippet.path, snippet.code]))(
  '%s is in the README word for word',
  (path, code) => {
    expect(code).toBe(readFileSync(join(ROOT, path), 'utf8').trimEnd());
  },
);
