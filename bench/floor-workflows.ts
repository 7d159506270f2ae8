/**
 * The Temporal floors the benchmark compares cancellers with: workflows that call no-op activities and do
 * nothing else. Two activities is the floor (a cancel, then a GET); one is the floor of the
 * canceller's design, which sends the cancel and its first GET in one activity.
 *
 * Sandbox code: only `@temporalio/workflow` and types.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { FloorActivities } from './floor-activities';

const { noop } = proxyActivities<FloorActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** Calls the no-op activity twice, one after the other. */
export async function floorTwoActivities(): Promise<void> {
  await noop();
  await noop();
}

/** Calls the no-op activity once. */
export async function floorOneActivity(): Promise<void> {
  await noop();
}
