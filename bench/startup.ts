/**
 * Section 7 of the benchmark: how long a worker takes to start in a fresh process, bundling the workflows with
 * webpack at start against loading the bundle the build wrote (`dist/workflow-bundle.js`), alternating in one run.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { prebuiltWorkflowBundle } from '../src/temporal/workflow-bundle';
import { failures, mean, progress, type Stack, table } from './support';

interface Measured {
  ms: number;
  cpuMs: number;
  rssMiB: number;
}

/** Section 7: `runs` fresh-process worker starts of each kind, alternating. */
export async function startup(stack: Stack, runs: number): Promise<string> {
  progress(`7. start-up: ${runs} fresh worker processes bundling at start, and ${runs} loading the prebuilt bundle...`);
  if (!prebuiltWorkflowBundle()) {
    failures.push('start-up: no prebuilt bundle (run the benchmark from a build: npm run bench)');
    return '## 7. Worker start-up\n\nNo prebuilt bundle was found.';
  }
  const bundling: Measured[] = [];
  const loading: Measured[] = [];
  for (let i = 0; i < runs; i++) {
    bundling.push(await start(stack, 'bundle'));
    loading.push(await start(stack, 'prebuilt'));
  }
  const row = (what: string, m: Measured[]): string[] => [
    what,
    `${(mean(m.map((x) => x.ms)) / 1000).toFixed(2)} s`,
    `${(mean(m.map((x) => x.cpuMs)) / 1000).toFixed(2)} s`,
    `${mean(m.map((x) => x.rssMiB)).toFixed(0)} MiB`,
  ];
  const ratio = mean(bundling.map((x) => x.ms)) / mean(loading.map((x) => x.ms));
  return [
    '## 7. Worker start-up',
    '',
    `A fresh Node process that connects, creates the package's worker (its activities, on a task queue of its ` +
      `own), starts it and stops it at once; ${runs} of each, alternating. Before: the workflows bundled with ` +
      `webpack at every start (\`workflowsPath\`). After: the bundle \`npm run build\` writes, loaded ` +
      `(\`workflowBundle\`), as \`npm start\`, the CLI's \`worker\` and the container now do.`,
    '',
    table(
      ['workflows', 'process start → worker started and stopped (mean)', 'CPU (mean)', 'peak RSS (mean)'],
      [row('bundled at start (before)', bundling), row('prebuilt bundle (after)', loading)],
    ),
    '',
    `The prebuilt bundle starts a worker ${ratio.toFixed(1)}× faster.`,
  ].join('\n');
}

function start(stack: Stack, mode: 'bundle' | 'prebuilt'): Promise<Measured> {
  const child = join(__dirname, 'startup-child.js');
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [child, mode, stack.env.connection.options.address, stack.emulator.hostPort],
      { timeout: 120_000, env: { ...process.env, GCE_METADATA_HOST: stack.emulator.hostPort } },
      (error, stdout, stderr) => {
        if (error) {
          failures.push(`start-up (${mode}): ${stderr.trim() || error.message}`);
          resolve({ ms: NaN, cpuMs: NaN, rssMiB: NaN });
          return;
        }
        resolve(JSON.parse(stdout) as Measured);
      },
    );
  });
}
