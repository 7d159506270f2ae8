/**
 * Which traces OpenTelemetry's standard variables ask for: none unless an OTLP endpoint is set, `/v1/traces` added
 * to the base endpoint only, the service name, the standard off switches, and one line naming a variable that cannot
 * work.
 */
import { InvalidArgumentError } from '../../src/domain/invalid-argument';
import { DEFAULT_CLI_SERVICE_NAME, describeTracesUrl, tracingFromEnv } from '../../src/temporal/tracing';

test('no endpoint, no traces', () => {
  expect(tracingFromEnv({})).toBeUndefined();
  expect(tracingFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: '  ', OTEL_SERVICE_NAME: 'x' })).toBeUndefined();
});

test.each([
  ['http://collector:4318', 'http://collector:4318/v1/traces'],
  ['http://collector:4318/', 'http://collector:4318/v1/traces'],
  ['https://otlp.example.com/prefix', 'https://otlp.example.com/prefix/v1/traces'],
])('OTEL_EXPORTER_OTLP_ENDPOINT=%s: traces go to %s, as the worker', (endpoint, tracesUrl) => {
  expect(tracingFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint })).toEqual({
    tracesUrl,
    serviceName: 'temporal-gcp-lro-worker',
  });
});

test('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is used as it is, before the base endpoint; OTEL_SERVICE_NAME names it', () => {
  expect(
    tracingFromEnv(
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://b:4318/custom',
        OTEL_SERVICE_NAME: 'lro-prod',
      },
      DEFAULT_CLI_SERVICE_NAME,
    ),
  ).toEqual({ tracesUrl: 'http://b:4318/custom', serviceName: 'lro-prod' });
  expect(tracingFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318' }, DEFAULT_CLI_SERVICE_NAME)?.serviceName).toBe(
    'temporal-gcp-lro-cli',
  );
});

test('the traces-specific protocol wins over the general one', () => {
  expect(
    tracingFromEnv({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
    }),
  ).toBeDefined();
});

test('http/protobuf is taken (the spans are sent as JSON, which OTLP/HTTP receivers take too)', () => {
  expect(
    tracingFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' }),
  ).toEqual({ tracesUrl: 'http://a:4318/v1/traces', serviceName: 'temporal-gcp-lro-worker' });
});

test('OTEL_SDK_DISABLED=true and OTEL_TRACES_EXPORTER=none turn traces off', () => {
  expect(tracingFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_SDK_DISABLED: 'true' })).toBeUndefined();
  expect(
    tracingFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_TRACES_EXPORTER: 'none' }),
  ).toBeUndefined();
});

test.each([
  [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }, /^OTEL_EXPORTER_OTLP_ENDPOINT: must be an http\(s\) URL/],
  [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'grpc://c:4317' }, /^OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: must be an http/],
  [
    { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4317', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' },
    /^OTEL_EXPORTER_OTLP_PROTOCOL: /,
  ],
])('%j is refused, naming the variable', (env, message) => {
  let thrown: unknown;
  try {
    tracingFromEnv(env);
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(InvalidArgumentError);
  expect((thrown as Error).message).toMatch(message);
});

test('a refused URL that may hold credentials is not repeated; the start-up line shows no user, query or fragment', () => {
  expect(() => tracingFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'ftp://user:secret@c' })).toThrow(
    'OTEL_EXPORTER_OTLP_ENDPOINT: must be an http(s) URL, e.g. http://127.0.0.1:4318',
  );
  expect(describeTracesUrl('https://user:secret@otlp.example.com/v1/traces?token=t#f')).toBe(
    'https://otlp.example.com/v1/traces',
  );
});
