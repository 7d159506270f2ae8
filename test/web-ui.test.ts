import { freePort } from '../src/testing/free-port';
/**
 * The Web UI path the README documents: start `cancelOperation` from the dev server's Start Workflow form, then
 * read the outcome on the workflow's page. Drives Debian's Chromium (`apt-get install -y chromium`) through
 * playwright-core; skipped only when Chromium is missing outside CI.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import type { CancelOperationResult } from '../src/domain/outcome';
import { statusQuery } from '../src/domain/canceller-api';
import { LRO_OUTCOME } from '../src/domain/search-attributes';
import { startCancel } from '../src/temporal/client';
import { cancelWorkflowId } from '../src/domain/workflow-id';
import { startStack, unique, type Stack } from './support/harness';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
];
const ARTIFACTS = join(__dirname, '..', 'test-artifacts');

const haveChromium = existsSync(CHROMIUM);
const skipReason =
  haveChromium || process.env['CI']
    ? undefined
    : `${CHROMIUM} not found (apt-get install -y chromium); CI runs it regardless`;
if (skipReason) process.stderr.write(`web-ui.test.ts skipped: ${skipReason}\n`);

let stack: Stack;
let browser: Browser;
let page: Page;
let ui: string;

/**
 * The JSON in the read-only code editor under the heading `title`, once it holds `key` (the page first renders
 * the editors with `null` and fills them when the payloads arrive).
 */
async function jsonUnder(title: string, key: string): Promise<unknown> {
  const heading = page.getByRole('heading', { name: title, exact: true });
  // Ancestors come first in document order, so the last div holding the heading is its own panel.
  const panel: Locator = page.locator('div', { has: heading }).last();
  const editor = panel.getByRole('textbox').filter({ hasText: `"${key}"` });
  await editor.waitFor();
  return JSON.parse(await editor.innerText());
}

(skipReason ? describe.skip : describe)(skipReason ? `the Web UI (skipped: ${skipReason})` : 'the Web UI', () => {
  beforeAll(async () => {
    if (!haveChromium) {
      throw new Error(`CI must run the Web UI test: ${CHROMIUM} is missing (apt-get install -y chromium)`);
    }
    const uiPort = await freePort();
    ui = `http://127.0.0.1:${uiPort}`;
    [stack, browser] = await Promise.all([
      startStack({ devServer: { uiPort } }),
      chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS }),
    ]);
    // The UI scrolls inside its own container, so a full-page screenshot is as tall as the viewport.
    page = await browser.newPage({ viewport: { width: 1400, height: 1300 } });
    page.setDefaultTimeout(15_000);
    // The UI fetches a news feed from the internet; only the local server may answer.
    await page.route('**/*', (route) =>
      new URL(route.request().url()).hostname === '127.0.0.1' ? route.continue() : route.abort('blockedbyclient'),
    );
    mkdirSync(ARTIFACTS, { recursive: true });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  test('a cancel started from the Start Workflow form shows Completed, outcome CANCELLED and LroOutcome', async () => {
    const name = `projects/demo/locations/us-central1/operations/${unique('ui')}`;
    stack.emulator.addOperation({
      name,
      apiVersion: 'v1beta',
      service: 'alloydb.googleapis.com',
      afterCancel: { to: { kind: 'cancelled' }, afterPolls: 1 },
    });
    const operation = `https://alloydb.googleapis.com/v1beta/${name}`;
    const workflowId = cancelWorkflowId(operation);
    const input = { operation, poll: { initialInterval: '200ms' } };

    // The form, reached the way the README says: the workflow list's Start Workflow button.
    await page.goto(`${ui}/namespaces/default/workflows`);
    await page
      .getByRole('link', { name: 'Start Workflow' })
      .or(page.getByRole('button', { name: 'Start Workflow' }))
      .click();
    await page.waitForURL('**/namespaces/default/workflows/start-workflow**');
    await page.getByLabel('Workflow ID').fill(workflowId);
    await page.getByLabel('Task Queue').fill(stack.taskQueue);
    await page.getByLabel('Workflow Type').fill('cancelOperation');
    const data = page.getByRole('textbox', { name: 'Data' });
    await data.click();
    await page.keyboard.insertText(JSON.stringify(input));
    // Leaving the editor reformats the JSON and moves the button: do it before clicking the button.
    await data.blur();
    expect(JSON.parse(await data.innerText())).toEqual(input);
    await page.getByRole('button', { name: 'Start Workflow' }).click();

    const started = page.getByRole('link', { name: 'Workflow started successfully' });
    const workflowPage = await started.getAttribute('href');
    expect(workflowPage).toContain(`/namespaces/default/workflows/${encodeURIComponent(workflowId)}/`);

    const handle = stack.env.client.workflow.getHandle(workflowId);
    const result: CancelOperationResult = await handle.result();
    expect(result).toMatchObject({ operation, outcome: 'CANCELLED', cancelAccepted: true });
    expect((await handle.describe()).typedSearchAttributes.get(LRO_OUTCOME)).toBe('CANCELLED');
    expect(stack.emulator.count({ route: 'cancel', name })).toBe(1);

    await page.goto(`${ui}${workflowPage}`);
    await page.getByRole('heading', { name: workflowId }).waitFor();
    await page.getByText('Completed', { exact: true }).waitFor();
    expect(await jsonUnder('Input', 'operation')).toEqual(input);
    expect(await jsonUnder('Result', 'outcome')).toEqual(result);
    await page.screenshot({ path: join(ARTIFACTS, 'web-ui-cancelled.png'), fullPage: true });

    await page.getByRole('tab', { name: 'Search Attributes' }).click();
    expect(await jsonUnder('Search Attributes', 'LroOutcome')).toMatchObject({
      LroOutcome: 'CANCELLED',
      LroOperation: operation,
      LroService: 'alloydb.googleapis.com',
    });
    await page.screenshot({ path: join(ARTIFACTS, 'web-ui-search-attributes.png'), fullPage: true });
  }, 60_000);

  test("a running canceller's page tells its story: current details and its activities' summaries", async () => {
    const name = `projects/demo/locations/us-central1/operations/${unique('story')}`;
    stack.emulator.addOperation({
      name,
      apiVersion: 'v1beta',
      service: 'alloydb.googleapis.com',
      afterCancel: { to: { kind: 'running' } },
    });
    const operation = `https://alloydb.googleapis.com/v1beta/${name}`;
    const handle = await startCancel(
      stack.env.client,
      { operation, poll: { initialInterval: '200ms', maximumInterval: '1h', backoffCoefficient: 10 } },
      { taskQueue: stack.taskQueue },
    );
    // Two polls in, then a long wait: the page shows a canceller waiting for its next poll.
    for (let i = 0; i < 200 && (await handle.query(statusQuery)).polls < 2; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const description = await handle.describe();
    await page.goto(`${ui}/namespaces/default/workflows/${encodeURIComponent(handle.workflowId)}/${description.runId}`);
    await page.getByRole('heading', { name: handle.workflowId }).waitFor();
    await page.getByText('Running', { exact: true }).first().waitFor();
    // The timeline names its activities and its timers.
    await page.getByText('cancelAndGet • cancel + first GetOperation').waitFor();
    await page.getByText('getOperation • GetOperation #2').waitFor();
    await page
      .getByText(/^next poll in \d+ s$/)
      .first()
      .waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'web-ui-running-timeline.png'), fullPage: true });
    // The summary it started with, and its current details (Markdown the workflow keeps up to date).
    await page.getByRole('tab', { name: 'User Metadata' }).click();
    // The UI renders user metadata as Markdown inside sandboxed frames of its own.
    const summary = page.frameLocator('#user-metadata-summary');
    // The URL is typed-in input: shown as code, never as a link.
    await summary.locator('code', { hasText: operation }).waitFor();
    expect(await summary.getByRole('link').count()).toBe(0);
    await summary.getByText(`Cancel ${operation}`).waitFor();
    const details = page.frameLocator('#user-metadata-current-details');
    await details.getByText(`Cancel ${operation}`).waitFor();
    await details.getByText(/^PENDING · cancelling · \d+ polls$/).waitFor();
    await details.getByText('cancel request: accepted; the service says cancel requested: yes').waitFor();
    await details.getByText('operation: running').waitFor();
    await details.getByText(/^next poll: \d{4}-\d\d-\d\dT/).waitFor();
    await details.getByText(/^deadline: \d{4}-\d\d-\d\dT/).waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'web-ui-running-details.png'), fullPage: true });
    await handle.terminate();
  }, 60_000);
});
