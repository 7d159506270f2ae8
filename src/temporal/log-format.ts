/**
 * How the worker writes its log: one line per event, as text (`time LEVEL message key=value ...`, the default) or as
 * JSON (`LRO_LOG_FORMAT=json`, one object a line with the event's fields at the top level), for log pipelines.
 * The SDK's own default prints each event's fields as a multi-line object.
 */
import { types } from 'node:util';
import type { LogLevel, LogMetadata, Logger } from '@temporalio/common';
import { LogTimestamp } from '@temporalio/worker';
import { InvalidArgumentError } from '../domain/invalid-argument';

/** The variable that picks the format. */
export const LOG_FORMAT_ENV = 'LRO_LOG_FORMAT';

/** The formats {@link LOG_FORMAT_ENV} takes. */
export type LogFormat = 'text' | 'json';

/** Fields that carry no meaning for an operator, or a value they must not see. */
const DROPPED_FIELDS = new Set(['taskToken']);
/** Ours on every line: an event's own field of the same name does not replace them. */
const OWN_FIELDS = new Set(['time', 'level', 'message']);
const LEVELS: readonly LogLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];

/** The format `LRO_LOG_FORMAT` asks for: `text` when unset; anything else refused, naming the variable. */
export function logFormatFromEnv(env: Readonly<Record<string, string | undefined>>): LogFormat {
  const value = env[LOG_FORMAT_ENV]?.trim().toLowerCase() || 'text';
  if (value !== 'text' && value !== 'json') {
    throw new InvalidArgumentError(LOG_FORMAT_ENV, 'must be text or json', env[LOG_FORMAT_ENV]);
  }
  return value;
}

/** A logger for Temporal's runtime that writes one line per event at `level` and above. */
export class LineLogger implements Logger {
  constructor(
    private readonly format: LogFormat,
    private readonly write: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
    private readonly level: LogLevel = 'INFO',
  ) {}

  log(level: LogLevel, message: string, meta?: LogMetadata): void {
    if (LEVELS.indexOf(level) < LEVELS.indexOf(this.level)) return;
    const fields = Object.entries(meta ?? {}).filter(
      ([key, value]) => !DROPPED_FIELDS.has(key) && !OWN_FIELDS.has(key) && value !== undefined,
    );
    // Core's forwarded events come in batches, stamped when they happened.
    const nanos = (meta as Record<symbol, unknown> | undefined)?.[LogTimestamp];
    const time = new Date(typeof nanos === 'bigint' ? Number(nanos / 1_000_000n) : Date.now()).toISOString();
    if (this.format === 'json') {
      // Field by field: one that cannot be serialised (a cycle) costs its own value, not the line.
      const parts = [['time', time], ['level', level], ['message', message], ...fields].map(
        ([key, value]) => `${JSON.stringify(key)}:${safeJson(value)}`,
      );
      this.write(`{${parts.join(',')}}`);
      return;
    }
    const pairs = fields.map(([key, value]) => `${key}=${textValue(value)}`);
    this.write([time, level.padEnd(5), oneLine(message), ...pairs].join(' '));
  }

  trace(message: string, meta?: LogMetadata): void {
    this.log('TRACE', message, meta);
  }
  debug(message: string, meta?: LogMetadata): void {
    this.log('DEBUG', message, meta);
  }
  info(message: string, meta?: LogMetadata): void {
    this.log('INFO', message, meta);
  }
  warn(message: string, meta?: LogMetadata): void {
    this.log('WARN', message, meta);
  }
  error(message: string, meta?: LogMetadata): void {
    this.log('ERROR', message, meta);
  }
}

/** A field's value on a text line: bare when it is one word, JSON-quoted otherwise. */
function textValue(value: unknown): string {
  // eslint-disable-next-line no-control-regex
  if (typeof value === 'string') return /^[^\s"=\u0000-\u001f\u007f]+$/.test(value) ? value : JSON.stringify(value);
  if (types.isNativeError(value)) return JSON.stringify(value.message);
  return oneLine(safeJson(value) ?? String(value));
}

/** One line, without control characters: an event's text cannot forge another line or a terminal escape. */
function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\s*[\r\n]+\s*/g, ' ').replace(/[\u0000-\u001f\u007f]/g, '?');
}

/** JSON of a log event; an error becomes its message, and a value that cannot be serialised its text. */
function safeJson(value: unknown): string {
  try {
    return (
      JSON.stringify(value, (_key, v: unknown) =>
        types.isNativeError(v) ? { name: v.name, message: v.message } : typeof v === 'bigint' ? String(v) : v,
      ) ?? 'null'
    );
  } catch {
    return JSON.stringify(String(value));
  }
}
