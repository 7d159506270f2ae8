/**
 * The sandbox wall holds from both sides, by folder: ESLint refuses a runtime import of any Node-side file from
 * workflow code (including a file created a moment ago, which no lint config names), and any Node built-in or
 * other folder of ours from the sandbox-safe `src/domain/`. Type-only imports pass.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './support/build';

interface LintMessage {
  ruleId: string | null;
  line: number;
  message: string;
}

/** Lints `files` (paths under the repository) with the repository's own config, in a child process. */
function lint(files: string[]): Promise<Map<string, LintMessage[]>> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [join(ROOT, 'node_modules', 'eslint', 'bin', 'eslint.js'), '--format', 'json', ...files],
      { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout) => {
        try {
          const results = JSON.parse(stdout) as { filePath: string; messages: LintMessage[] }[];
          resolve(new Map(results.map((r) => [r.filePath.slice(ROOT.length + 1), r.messages])));
        } catch {
          reject(error ?? new Error(`eslint printed no JSON: ${stdout}`));
        }
      },
    );
  });
}

const id = randomUUID().slice(0, 8);
/** A Node-side file that did not exist when the lint config was written. */
const NEW_NODE_FILE = `src/google/brand-new-${id}.ts`;
const WORKFLOW_PROBE = `workflows/probe-${id}.ts`;
const DOMAIN_PROBE = `src/domain/probe-${id}.ts`;

beforeAll(() => {
  writeFileSync(join(ROOT, NEW_NODE_FILE), 'export const fetchSomething = (): number => 1;\n');
  writeFileSync(
    join(ROOT, WORKFLOW_PROBE),
    [
      `import { fetchSomething } from '../src/google/brand-new-${id}';`,
      `import type { OperationsClient } from '../src/google/operations-client';`,
      `import { pollDelay } from '../src/domain/backoff';`,
      `import { sleep } from '@temporalio/workflow';`,
      `import { request } from 'undici';`,
      `import { readFileSync } from 'node:fs';`,
      `export const probe = [fetchSomething, pollDelay, sleep, request, readFileSync];`,
      `export type Probe = OperationsClient;`,
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(ROOT, DOMAIN_PROBE),
    [
      `import { fetchSomething } from '../google/brand-new-${id}';`,
      `import { createActivities } from '../../activities';`,
      `import type { OperationsClient } from '../google/operations-client';`,
      `import { RpcCode } from './rpc-code';`,
      `import { createHash } from 'node:crypto';`,
      `export const probe = [fetchSomething, createActivities, RpcCode, createHash];`,
      `export type Probe = OperationsClient;`,
      '',
    ].join('\n'),
  );
});
afterAll(() => {
  for (const file of [NEW_NODE_FILE, WORKFLOW_PROBE, DOMAIN_PROBE]) rmSync(join(ROOT, file), { force: true });
});

test('workflow code may not import a brand-new Node-side file, a Node built-in or another package at runtime', async () => {
  const messages = await lint([WORKFLOW_PROBE]);
  const walled = (messages.get(WORKFLOW_PROBE) ?? []).filter((m) => m.ruleId === 'lro/sandbox-wall');
  expect(walled.map((m) => m.line).sort()).toEqual([1, 5, 6]);
  expect(walled[0]?.message).toMatch(/brand-new/);
}, 60_000);

test('the sandbox-safe domain folder may not import another folder of ours or a Node built-in at runtime', async () => {
  const messages = await lint([DOMAIN_PROBE]);
  const walled = (messages.get(DOMAIN_PROBE) ?? []).filter((m) => m.ruleId === 'lro/sandbox-wall');
  expect(walled.map((m) => m.line).sort()).toEqual([1, 2, 5]);
}, 60_000);

test('the repository itself is inside its wall', async () => {
  const messages = await lint(['workflows', 'src/domain', 'examples', 'bench', 'test/support/test-workflows.ts']);
  const walled = [...messages].flatMap(([file, list]) =>
    list.filter((m) => m.ruleId === 'lro/sandbox-wall').map((m) => `${file}:${m.line} ${m.message}`),
  );
  expect(walled.filter((line) => !line.includes(id))).toEqual([]);
}, 60_000);
