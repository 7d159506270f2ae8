/** The task queue used when none is named (`TEMPORAL_TASK_QUEUE`). */
export const DEFAULT_TASK_QUEUE = 'gcp-lro';
