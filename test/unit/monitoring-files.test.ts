/**
 * The shipped monitoring files, without running anything: the Grafana dashboard reads only metrics the worker
 * exports, through the provisioned data source and the task-queue variables; every alert rule has promtool unit tests
 * where it fires and where it does not. (`npm run test:rules` runs promtool itself; test/prometheus-scrape.test.ts
 * checks the names against a real worker.)
 */
import { readFileSync } from 'node:fs';
import {
  ALERTS_FILE,
  ALERTS_TEST_FILE,
  dashboardQueries,
  metricNames,
  OUR_METRICS,
  readDashboard,
  SCRAPE_JOB,
  SDK_METRICS,
} from '../support/monitoring';

const KNOWN = new Set([...OUR_METRICS, ...SDK_METRICS, 'up']);

describe('the Grafana dashboard', () => {
  const dashboard = readDashboard();
  const panels = dashboard.panels.filter((panel) => panel.type !== 'row');

  test('has a stable uid and unique panel ids', () => {
    expect(dashboard.uid).toBe('temporal-gcp-lro');
    const ids = dashboard.panels.map((panel) => panel.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  test('every panel queries the data source variable, with at least one non-empty query', () => {
    for (const panel of panels) {
      expect({ panel: panel.title, datasource: panel.datasource }).toEqual({
        panel: panel.title,
        datasource: { type: 'prometheus', uid: '${datasource}' },
      });
      const exprs = (panel.targets ?? []).map((target) => target.expr.trim());
      expect({ panel: panel.title, queries: exprs.length > 0 && !exprs.includes('') }).toEqual({
        panel: panel.title,
        queries: true,
      });
    }
  });

  test('every panel fits the 24-column grid', () => {
    for (const { title, gridPos } of dashboard.panels) {
      expect({ title, right: gridPos.x + gridPos.w <= 24, sized: gridPos.w > 0 && gridPos.h > 0 }).toEqual({
        title,
        right: true,
        sized: true,
      });
    }
  });

  test('every query reads metrics the worker exports, from the scrape job, per namespace and task queue', () => {
    for (const { where, expr } of dashboardQueries(dashboard)) {
      const names = metricNames(expr);
      expect({ where, names: names.length > 0 }).toEqual({ where, names: true });
      expect({ where, unknown: names.filter((name) => !KNOWN.has(name)) }).toEqual({ where, unknown: [] });
      for (const matchers of expr.matchAll(/\{([^}]*)\}/g)) {
        expect({ where, matchers: matchers[1] }).toEqual({
          where,
          matchers: expect.stringContaining(`job="${SCRAPE_JOB}"`) as string,
        });
      }
      const ours = names.some((name) => OUR_METRICS.includes(name));
      const sdk = names.some((name) => SDK_METRICS.includes(name));
      if (where.startsWith('panel') && ours) expect({ where, expr }).toEqual({ where, expr: filteredBy('taskQueue') });
      if (where.startsWith('panel') && sdk) expect({ where, expr }).toEqual({ where, expr: filteredBy('task_queue') });
    }
  });

  test('the variables: a Prometheus data source, namespaces, task queues', () => {
    expect(dashboard.templating.list.map(({ name, type }) => ({ name, type }))).toEqual([
      { name: 'datasource', type: 'datasource' },
      { name: 'namespace', type: 'query' },
      { name: 'task_queue', type: 'query' },
    ]);
  });
});

describe('the alert rules', () => {
  const rules = readFileSync(ALERTS_FILE, 'utf8');
  const tests = readFileSync(ALERTS_TEST_FILE, 'utf8');
  const alerts = [...rules.matchAll(/^\s+- alert: (\w+)$/gm)].map((match) => match[1] ?? '');

  test('are the ones the README promises', () => {
    expect(alerts).toEqual([
      'LroCancelsNotConfirmed',
      'LroErrorOutcomes',
      'LroTimedOutOutcomes',
      'LroGoogleApiErrors',
      'LroWorkerDown',
      'LroWorkerGone',
      'LroWorkerNotPolling',
      'LroNoWorkerPolling',
    ]);
  });

  test.each(alerts)('%s has a promtool test where it fires and one where it never does', (alert) => {
    // Per test (series): whether each evaluation of this alert expects it firing.
    const verdicts = tests
      .split(/^ {2}- name: /m)
      .slice(1)
      .map((block) =>
        [...block.matchAll(/alertname: (\w+)\n\s+exp_alerts:(.*)\n/g)]
          .filter((match) => match[1] === alert)
          .map((match) => !(match[2] ?? '').trim().startsWith('[]')),
      )
      .filter((evaluations) => evaluations.length > 0);
    expect({
      alert,
      fires: verdicts.some((evaluations) => evaluations.includes(true)),
      silent: verdicts.some((evaluations) => !evaluations.includes(true)),
    }).toEqual({ alert, fires: true, silent: true });
  });

  test('read only metrics the worker exports, from the scrape job', () => {
    const exprs = [...rules.matchAll(/expr: (?:\|\n((?:\s{10}.*\n)+)|(.*)\n)/g)].map((m) => m[1] ?? m[2] ?? '');
    expect(exprs).toHaveLength(alerts.length);
    for (const expr of exprs) {
      const names = metricNames(expr);
      expect({ expr, names: names.length > 0 }).toEqual({ expr, names: true });
      expect({ expr, unknown: names.filter((name) => !KNOWN.has(name)) }).toEqual({ expr, unknown: [] });
      for (const matchers of expr.matchAll(/\{([^}]*)\}/g))
        expect({ expr, matchers: matchers[1] }).toEqual({
          expr,
          matchers: expect.stringContaining(`job="${SCRAPE_JOB}"`) as string,
        });
    }
  });
});

function filteredBy(label: string): string {
  return expect.stringContaining(`${label}=~"$task_queue"`) as string;
}
