/** `worker`: the canceller worker until SIGINT/SIGTERM, as `npm start` runs it. */
import { DEFAULT_TASK_QUEUE } from '../domain/task-queue';
import { TASK_QUEUE_ENV } from '../temporal/temporal-connect';
import { BUILD_ID_ENV, DEPLOYMENT_NAME_ENV } from '../temporal/worker-deployment';
import type { Command } from './command';

export const workerCommand: Command = {
  usage: 'worker [options]',
  summary: 'run the canceller worker until SIGINT/SIGTERM (as npm start)',
  help: `  --task-queue <queue>    task queue to poll (default: $${TASK_QUEUE_ENV}, else ${DEFAULT_TASK_QUEUE})

  Environment: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS*, TEMPORAL_PROFILE,
  ${TASK_QUEUE_ENV}, LRO_ALLOWED_HOSTS, LRO_ALLOWED_SERVICES, LRO_ALLOWED_RESOURCES,
  LRO_IMPERSONATION_ALLOWED, LRO_EMULATOR_HOST, LRO_METRICS_BIND, LRO_SKIP_SEARCH_ATTRIBUTE_REGISTRATION,
  GOOGLE_CLOUD_QUOTA_PROJECT, Google's Application Default Credentials, and OpenTelemetry's
  OTEL_EXPORTER_OTLP_ENDPOINT (traces over OTLP/HTTP) and OTEL_SERVICE_NAME.
  Set ${DEPLOYMENT_NAME_ENV} and ${BUILD_ID_ENV} to run versioned (Worker Deployment Versioning).`,
  options: { 'task-queue': { type: 'string' } },
  positionals: 0,
  async run(values, _positionals, io) {
    const taskQueue = values['task-queue'];
    const { workerMain } = await import('../temporal/worker-main');
    return workerMain({
      env: io.env,
      log: (line) => io.stdout.write(`${line}\n`),
      ...(typeof taskQueue === 'string' ? { taskQueue } : {}),
    });
  },
};
