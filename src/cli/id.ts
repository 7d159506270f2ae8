/**
 * `id <operation>`: the workflow ID of an operation's canceller, for starting it from anywhere else (a parent in
 * another language, the Temporal CLI, the Web UI) as the one canceller of that operation. Needs no Temporal.
 */
import { validateCancelInput } from '../domain/canceller-input';
import { EXIT_CODES } from '../domain/exit-codes';
import { parseOperationRef } from '../domain/operation-ref';
import { operationSearchValue } from '../domain/search-attributes';
import { awaitWorkflowId, cancelWorkflowId } from '../domain/workflow-id';
import { optional, refInput, REF_HELP, REF_OPTIONS, type Command } from './command';

export const idCommand: Command = {
  usage: 'id <operation> [options]',
  summary: "print the workflow ID of an operation's canceller (its canonical URL, as every entry point derives it)",
  help: `${REF_HELP}
  --await                 the awaitOperation's ID instead of the cancelOperation's
  --impersonate <email>   the canceller that acts as this service account
  --search-value          its LroOperation value instead (for LroOperation = "..." in a list query)`,
  options: {
    ...REF_OPTIONS,
    await: { type: 'boolean' },
    impersonate: { type: 'string' },
    'search-value': { type: 'boolean' },
  },
  positionals: 1,
  run(values, [operation], io) {
    const input = { ...refInput(operation, values), ...optional('impersonate', values['impersonate']) };
    validateCancelInput(input);
    const id = values['await'] === true ? awaitWorkflowId(input) : cancelWorkflowId(input);
    const value = values['search-value'] === true ? operationSearchValue(parseOperationRef(input).url) : id;
    io.stdout.write(`${value}\n`);
    return Promise.resolve(EXIT_CODES.OK);
  },
};
