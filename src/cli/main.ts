/**
 * `temporal-gcp-lro`, the command line: start or join a canceller (`cancel`, `await`), cancel many (`cancel-all`), watch it (`status`,
 * `list`), name it (`id`), and run the pieces (`worker`, `emulator`). Exit codes are {@link EXIT_CODES}.
 *
 * It connects with Temporal's standard environment configuration, as the worker does. Errors are one line
 * on stderr, never a stack trace.
 */
import { parseArgs } from 'node:util';
import { EXIT_CODES, ExitError, firstLine } from '../domain/exit-codes';
import { InvalidArgumentError } from '../domain/invalid-argument';
import { PACKAGE_VERSION } from '../domain/package-version';
import { redactCredentials } from '../domain/redaction';
import { awaitCommand } from './await';
import { cancelCommand } from './cancel';
import { cancelAllCommand } from './cancel-all';
import { FLAG_FOR_FIELD, PROGRAM, type CliIo, type Command, type Values } from './command';
import { emulatorCommand } from './emulator';
import { idCommand } from './id';
import { listCommand } from './list';
import { statusCommand } from './status';
import { workerCommand } from './worker';

export { EXIT_CODES } from '../domain/exit-codes';
export { PROGRAM, type CliIo } from './command';
export { LISTABLE_OUTCOMES } from './list';
export { formatProgress } from './progress';

const COMMANDS: Readonly<Record<string, Command>> = {
  cancel: cancelCommand,
  'cancel-all': cancelAllCommand,
  await: awaitCommand,
  status: statusCommand,
  list: listCommand,
  id: idCommand,
  emulator: emulatorCommand,
  worker: workerCommand,
};

/**
 * Runs the command line with `argv` (without `node` and the script) and resolves to the exit code. Never
 * throws: every error becomes one line on stderr.
 */
export async function runCli(argv: readonly string[], io: CliIo = defaultIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    io.stderr.write(globalHelp());
    return EXIT_CODES.USAGE;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    const topic = rest[0] !== undefined && Object.hasOwn(COMMANDS, rest[0]) ? rest[0] : undefined;
    const topicCommand = topic === undefined ? undefined : COMMANDS[topic];
    io.stdout.write(topic && topicCommand ? commandHelp(topic, topicCommand) : globalHelp());
    return EXIT_CODES.OK;
  }
  if (name === '--version') {
    io.stdout.write(`${PACKAGE_VERSION}\n`);
    return EXIT_CODES.OK;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  const prefix = command ? `${PROGRAM} ${name}` : PROGRAM;
  try {
    if (!command) {
      throw new ExitError(
        `unknown command ${JSON.stringify(name.slice(0, 40))} (commands: ${Object.keys(COMMANDS).join(', ')}; see ${PROGRAM} --help)`,
        EXIT_CODES.USAGE,
      );
    }
    const parsed = parseArgs({
      args: [...rest],
      options: { ...command.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
    const values = parsed.values as Values;
    if (values['help'] === true) {
      io.stdout.write(commandHelp(name, command));
      return EXIT_CODES.OK;
    }
    if (parsed.positionals.length !== command.positionals) {
      throw new InvalidArgumentError(
        command.positionals === 1 ? 'operation' : 'arguments',
        command.positionals === 1 ? 'give exactly one operation URL or resource name' : 'this command takes none',
        parsed.positionals.length > 0 ? parsed.positionals.join(' ') : undefined,
      );
    }
    return await command.run(values, parsed.positionals, io);
  } catch (err) {
    const { message, code } = describeError(err);
    io.stderr.write(`${prefix}: ${message}\n`);
    return code;
  }
}

/** Entry point of the `temporal-gcp-lro` binary. */
export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<never> {
  process.exit(await runCli(argv));
}

function describeError(err: unknown): { message: string; code: number } {
  if (err instanceof ExitError) return { message: err.message, code: err.exitCode };
  if (err instanceof InvalidArgumentError) {
    const flag = FLAG_FOR_FIELD[err.field];
    return { message: flag ? `${flag}${err.message.slice(err.field.length)}` : err.message, code: EXIT_CODES.USAGE };
  }
  if (String((err as { code?: unknown })?.code ?? '').startsWith('ERR_PARSE_ARGS')) {
    return { message: firstLine(err), code: EXIT_CODES.USAGE };
  }
  return { message: redactCredentials(firstLine(err)), code: EXIT_CODES.ERROR };
}

function globalHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  return `Usage: ${PROGRAM} <command> [options]     (${PROGRAM} <command> --help for its options)

Cancel Google Cloud long-running operations durably on Temporal.

Commands:
${Object.entries(COMMANDS)
  .map(([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`)
  .join('\n')}

<operation> is a full URL (https://alloydb.googleapis.com/v1beta/projects/p/locations/l/operations/op-1) or a
resource name with --service and --api-version. Durations: 30s, 10m, 2h, 1 day.

Temporal connection: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS*, TEMPORAL_PROFILE
(Temporal's standard environment configuration).

${exitCodeHelp()}`;
}

function commandHelp(name: string, command: Command): string {
  const exits = name === 'cancel' || name === 'await' ? `\n${exitCodeHelp()}` : '';
  return `Usage: ${PROGRAM} ${command.usage}

${command.summary[0]?.toUpperCase()}${command.summary.slice(1)}.

Options:
${command.help}
  -h, --help              show this help
${exits}`;
}

function exitCodeHelp(): string {
  const c = EXIT_CODES;
  return `Exit codes: ${c.CANCELLED} done (with --wait: CANCELLED); with --wait, ${c.COMPLETED} COMPLETED, ${c.FAILED} FAILED,
${c.UNIMPLEMENTED} UNIMPLEMENTED, ${c.NOT_CANCELLABLE} NOT_CANCELLABLE, ${c.NOT_FOUND} NOT_FOUND, ${c.TIMED_OUT} TIMED_OUT; ${c.ERROR} the canceller failed (ERROR)
or another error; ${c.USAGE} bad input; ${c.UNREACHABLE} Temporal unreachable.
`;
}

function defaultIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env };
}

if (require.main === module) void main();
