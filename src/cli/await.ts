/** `await <operation> --timeout <d>`: the durable cancel-with-timeout, started or joined; `--wait` follows it. */
import { validateAwaitInput, type AwaitOperationInput } from '../domain/canceller-input';
import { startAwait } from '../temporal/client';
import {
  duration,
  refInput,
  START_HELP,
  START_OPTIONS,
  startFields,
  taskQueueOf,
  REF_HELP,
  type Command,
} from './command';
import { reportStarted } from './progress';
import { withClient } from './with-client';

export const awaitCommand: Command = {
  usage: 'await <operation> --timeout <d> [options]',
  summary: 'wait for an operation; cancel it (and confirm) if the timeout passes first',
  help: `  --timeout <d>           how long to wait for the operation to finish (required, e.g. 2h)
  --no-cancel             when the timeout passes, end TIMED_OUT without cancelling
  --cancel-timeout <d>    how long to wait for the cancel to be confirmed (default 1h)
${REF_HELP}
${START_HELP}`,
  options: {
    ...START_OPTIONS,
    timeout: { type: 'string' },
    'no-cancel': { type: 'boolean' },
    'cancel-timeout': { type: 'string' },
  },
  positionals: 1,
  async run(values, [operation], io) {
    const input = {
      ...refInput(operation, values),
      ...duration('timeout', values['timeout']),
      ...duration('cancelTimeout', values['cancel-timeout']),
      ...(values['no-cancel'] === true ? { cancelOnTimeout: false } : {}),
      ...startFields(values),
    } as AwaitOperationInput;
    validateAwaitInput(input);
    return withClient(io, async (client) => {
      const handle = await startAwait(client, input, { taskQueue: taskQueueOf(values, io) });
      return reportStarted(handle, values['wait'] === true, io);
    });
  },
};
