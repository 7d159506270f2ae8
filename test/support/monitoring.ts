/**
 * What the shipped monitoring files (`monitoring/`) read: the dashboard's queries and the metric names in a PromQL
 * expression, for the dashboard's unit test and the Prometheus test that checks them against a real worker.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GOOGLE_API_ERRORS_METRIC, OUTCOMES_METRIC, POLLS_METRIC } from '../../src/domain/metrics';
import { ROOT } from './build';

export const MONITORING = join(ROOT, 'monitoring');
export const ALERTS_FILE = join(MONITORING, 'prometheus', 'alerts.yml');
export const ALERTS_TEST_FILE = join(MONITORING, 'prometheus', 'alerts.test.yml');
export const DASHBOARD_FILE = join(MONITORING, 'grafana', 'dashboards', 'temporal-gcp-lro.json');

/** The scrape job the alert rules and the dashboard expect. */
export const SCRAPE_JOB = 'temporal-gcp-lro';

/** Our metrics as Prometheus names them (a histogram as its three series). */
export const OUR_METRICS: readonly string[] = [
  OUTCOMES_METRIC,
  GOOGLE_API_ERRORS_METRIC,
  ...['bucket', 'count', 'sum'].map((suffix) => `${POLLS_METRIC}_${suffix}`),
];

/**
 * The SDK's metrics (Core's, `temporal_` prefixed) that the dashboard and the alert rules read. The Prometheus test
 * checks that a real worker exports every one.
 */
export const SDK_METRICS: readonly string[] = [
  'temporal_num_pollers',
  'temporal_workflow_task_queue_poll_succeed',
  'temporal_workflow_task_queue_poll_empty',
  'temporal_activity_task_received',
  'temporal_activity_poll_no_task',
  'temporal_activity_execution_failed',
  'temporal_activity_execution_latency_bucket',
  'temporal_worker_task_slots_available',
  'temporal_worker_task_slots_used',
  'temporal_workflow_task_schedule_to_start_latency_bucket',
];

/** A panel of the dashboard, rows included. */
export interface DashboardPanel {
  id: number;
  type: string;
  title: string;
  datasource?: { type?: string; uid?: string };
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: { refId: string; expr: string }[];
}

/** The dashboard, as Grafana reads it. */
export interface Dashboard {
  uid: string;
  title: string;
  panels: DashboardPanel[];
  templating: { list: { name: string; type: string; query: unknown }[] };
}

export function readDashboard(): Dashboard {
  return JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8')) as Dashboard;
}

/** Every query of the dashboard: its panels' targets and its variables' `label_values(...)`. */
export function dashboardQueries(dashboard: Dashboard = readDashboard()): { where: string; expr: string }[] {
  const panels = dashboard.panels.flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({ where: `panel "${panel.title}" ${target.refId}`, expr: target.expr })),
  );
  const variables = dashboard.templating.list
    .filter((variable) => variable.type === 'query')
    .map((variable) => ({
      where: `variable ${variable.name}`,
      expr: (variable.query as { query: string }).query.replace(/^label_values\((.*),\s*\w+\)$/, '$1'),
    }));
  return [...panels, ...variables];
}

/**
 * The metric names a PromQL expression selects: a name written before its label matchers (`up{...}`), and each name
 * a `__name__=~"prefix_(a|b)"` matcher spells out. Selectors without matchers are not seen: ours always have some.
 */
export function metricNames(expr: string): string[] {
  const names = new Set<string>();
  for (const match of expr.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\{/g)) names.add(match[1] ?? '');
  for (const match of expr.matchAll(/__name__=~"([^"]*)"/g)) {
    const pattern = match[1] ?? '';
    const group = /^([^()|]*)\(([^()]*)\)([^()|]*)$/.exec(pattern);
    if (!group) names.add(pattern);
    else for (const alternative of (group[2] ?? '').split('|')) names.add(`${group[1]}${alternative}${group[3]}`);
  }
  return [...names];
}
