/** `cancel <operation>`: start the operation's canceller, or join the one running; `--wait` follows it. */
import { validateCancelInput, type CancelOperationInput } from '../domain/canceller-input';
import { startCancel } from '../temporal/client';
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

export const cancelCommand: Command = {
  usage: 'cancel <operation> [options]',
  summary: 'cancel an operation and confirm it (starts the canceller, or joins the one running)',
  help: `  --timeout <d>           how long to wait for the cancel to be confirmed (default 1h)
${REF_HELP}
${START_HELP}`,
  options: { ...START_OPTIONS, timeout: { type: 'string' } },
  positionals: 1,
  async run(values, [operation], io) {
    const input: CancelOperationInput = {
      ...refInput(operation, values),
      ...duration('timeout', values['timeout']),
      ...startFields(values),
    };
    validateCancelInput(input);
    return withClient(io, async (client) => {
      const handle = await startCancel(client, input, { taskQueue: taskQueueOf(values, io) });
      return reportStarted(handle, values['wait'] === true, io);
    });
  },
};
