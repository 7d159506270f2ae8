/**
 * BENCHMARKS.md, section by section: a run of some sections replaces only those.
 */

/**
 * `report` with each of `sections` in place of the section with the same `## <n>.` heading (appended when it has
 * none), `note` under its heading.
 */
export function replaceSections(report: string, sections: readonly string[], note: string): string {
  let out = report.trimEnd();
  for (const section of sections) {
    const [heading = '', ...rest] = section.split('\n');
    const marked = [heading, '', note, ...rest].join('\n');
    const id = /^## ([0-9a-z]+)\./.exec(heading)?.[1];
    const at = id === undefined ? -1 : out.search(new RegExp(`^## ${id}\\. `, 'm'));
    if (at === -1) {
      out = `${out}\n\n${marked}`;
      continue;
    }
    const next = out.slice(at + 1).search(/^## /m);
    out = `${out.slice(0, at)}${marked}${next === -1 ? '' : `\n\n${out.slice(at + 1 + next)}`}`;
  }
  return `${out.trimEnd()}\n`;
}
