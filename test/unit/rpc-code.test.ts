/**
 * google.rpc codes: the HTTP fallback table (as gax's `status.ts` has it) and the one table of what is retried.
 */
import {
  HTTP_STATUS_BY_RPC_CODE,
  isRetryable,
  isRpcCodeName,
  RETRYABLE_RPC_CODES,
  RpcCode,
  rpcCodeFromHttpStatus,
  rpcCodeName,
  type RpcCodeName,
} from '../../src/domain/rpc-code';

describe('rpcCodeFromHttpStatus', () => {
  it.each([
    [400, 'INVALID_ARGUMENT'],
    [401, 'UNAUTHENTICATED'],
    [403, 'PERMISSION_DENIED'],
    [404, 'NOT_FOUND'],
    [409, 'ABORTED'],
    [416, 'OUT_OF_RANGE'],
    [429, 'RESOURCE_EXHAUSTED'],
    [499, 'CANCELLED'],
    [501, 'UNIMPLEMENTED'],
    [503, 'UNAVAILABLE'],
    [504, 'DEADLINE_EXCEEDED'],
  ])('maps HTTP %i to %s', (status, code) => {
    expect(rpcCodeFromHttpStatus(status)).toBe(code);
  });

  it.each([402, 405, 408, 410, 412, 413, 422, 451])('maps the other 4xx %i to FAILED_PRECONDITION', (status) => {
    expect(rpcCodeFromHttpStatus(status)).toBe('FAILED_PRECONDITION');
  });

  it.each([500, 502, 505, 507, 599])('maps the other 5xx %i to INTERNAL', (status) => {
    expect(rpcCodeFromHttpStatus(status)).toBe('INTERNAL');
  });

  it.each([200, 202, 204, 299])('maps 2xx %i to OK', (status) => {
    expect(rpcCodeFromHttpStatus(status)).toBe('OK');
  });
});

describe('isRetryable', () => {
  it.each<RpcCodeName>(['UNAVAILABLE', 'DEADLINE_EXCEEDED', 'RESOURCE_EXHAUSTED', 'INTERNAL', 'UNKNOWN', 'ABORTED'])(
    '%s is retried',
    (code) => {
      expect(isRetryable(code)).toBe(true);
    },
  );

  it.each<RpcCodeName>([
    'OK',
    'CANCELLED',
    'INVALID_ARGUMENT',
    'NOT_FOUND',
    'ALREADY_EXISTS',
    'PERMISSION_DENIED',
    'FAILED_PRECONDITION',
    'OUT_OF_RANGE',
    'UNIMPLEMENTED',
    'DATA_LOSS',
    'UNAUTHENTICATED',
  ])('%s is final', (code) => {
    expect(isRetryable(code)).toBe(false);
  });

  it('decides for every code, and for no name outside the enum', () => {
    for (const code of RETRYABLE_RPC_CODES) expect(isRpcCodeName(code)).toBe(true);
    expect(RETRYABLE_RPC_CODES.size).toBe(6);
  });
});

describe('RpcCode names', () => {
  it('numbers the google.rpc codes 0 to 16', () => {
    expect(Object.values(RpcCode)).toEqual([...Array(17).keys()]);
    expect(RpcCode.CANCELLED).toBe(1);
    expect(RpcCode.UNAUTHENTICATED).toBe(16);
  });

  it('names each number, and UNKNOWN for numbers outside the enum', () => {
    for (const [name, code] of Object.entries(RpcCode)) expect(rpcCodeName(code)).toBe(name);
    expect(rpcCodeName(17)).toBe('UNKNOWN');
    expect(rpcCodeName(-1)).toBe('UNKNOWN');
  });

  it('recognises code names, and not inherited properties or numbers', () => {
    expect(isRpcCodeName('NOT_FOUND')).toBe(true);
    expect(isRpcCodeName('not_found')).toBe(false);
    expect(isRpcCodeName('toString')).toBe(false);
    expect(isRpcCodeName('__proto__')).toBe(false);
    expect(isRpcCodeName(5)).toBe(false);
  });

  it('gives each code an HTTP status that maps back to it where the table is one-to-one', () => {
    const oneToOne: RpcCodeName[] = [
      'CANCELLED',
      'INVALID_ARGUMENT',
      'DEADLINE_EXCEEDED',
      'NOT_FOUND',
      'PERMISSION_DENIED',
      'RESOURCE_EXHAUSTED',
      'ABORTED',
      'UNIMPLEMENTED',
      'INTERNAL',
      'UNAVAILABLE',
      'UNAUTHENTICATED',
    ];
    for (const code of oneToOne) expect(rpcCodeFromHttpStatus(HTTP_STATUS_BY_RPC_CODE[code])).toBe(code);
  });
});
