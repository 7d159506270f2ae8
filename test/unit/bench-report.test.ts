/**
 * A benchmark run of some sections replaces only those in BENCHMARKS.md.
 */
import { replaceSections } from '../../bench/report-sections';

const REPORT = ['# Benchmarks', '', 'intro', '', '## 1. One', '', 'old one', '', '## 3a. Three', '', 'old 3a', ''].join(
  '\n',
);

test('replaces a section by its number, leaves the others, and marks it', () => {
  const out = replaceSections(REPORT, ['## 1. One\n\nnew one'], 'NOTE');
  expect(out).toBe(
    [
      '# Benchmarks',
      '',
      'intro',
      '',
      '## 1. One',
      '',
      'NOTE',
      '',
      'new one',
      '',
      '## 3a. Three',
      '',
      'old 3a',
      '',
    ].join('\n'),
  );
});

test('replaces the last section and appends one it does not have', () => {
  const out = replaceSections(REPORT, ['## 3a. Three\n\nnew 3a', '## 7. Seven\n\nseven'], 'NOTE');
  expect(out).toContain('## 1. One\n\nold one\n\n## 3a. Three\n\nNOTE\n\nnew 3a\n\n## 7. Seven\n\nNOTE\n\nseven\n');
  expect(out).not.toContain('old 3a');
});
