/**
 * Operation references: the URL and resource-name forms, the regional hosts, the allowlist, and every input we
 * refuse before anything is sent (each refusal names its field and its rule).
 */
import { InvalidArgumentError } from '../../src/domain/invalid-argument';
import {
  MAX_OPERATION_LENGTH,
  parseOperationRef,
  serviceForHost,
  type OperationRefInput,
} from '../../src/domain/operation-ref';
import { ALLOWED_HOSTS_ENV, assertAllowed, parseAllowedHosts } from '../../src/domain/host-allowlist';

/** The five seed services: one URL and the resource-name form of the same operation. */
const SEEDS = {
  alloydb: {
    url: 'https://alloydb.googleapis.com/v1beta/projects/p/locations/l/operations/o',
    service: 'alloydb.googleapis.com',
    apiVersion: 'v1beta',
    name: 'projects/p/locations/l/operations/o',
  },
  clouddeploy: {
    url: 'https://clouddeploy.googleapis.com/v1/projects/p/locations/l/operations/o',
    service: 'clouddeploy.googleapis.com',
    apiVersion: 'v1',
    name: 'projects/p/locations/l/operations/o',
  },
  beyondcorp: {
    url: 'https://beyondcorp.googleapis.com/v1/organizations/o/locations/global/operations/x',
    service: 'beyondcorp.googleapis.com',
    apiVersion: 'v1',
    name: 'organizations/o/locations/global/operations/x',
  },
  dai: {
    url: 'https://dai.googleapis.com/v1/operations/a/b/c',
    service: 'dai.googleapis.com',
    apiVersion: 'v1',
    name: 'operations/a/b/c',
  },
  datastream: {
    url: 'https://datastream.googleapis.com/v1/projects/p/locations/us-central1/operations/operation-1700000000000-5f0b2c9e1a2b3-4c5d6e7f-8a9b0c1d',
    service: 'datastream.googleapis.com',
    apiVersion: 'v1',
    name: 'projects/p/locations/us-central1/operations/operation-1700000000000-5f0b2c9e1a2b3-4c5d6e7f-8a9b0c1d',
  },
} as const;

const ALLOYDB_OP = SEEDS.alloydb.url;
const GOOGLE_ONLY = parseAllowedHosts(undefined);

/** Runs `fn` and returns the {@link InvalidArgumentError} it must throw. */
function rejection(fn: () => unknown): InvalidArgumentError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidArgumentError);
    return err as InvalidArgumentError;
  }
  throw new Error('expected an InvalidArgumentError, but nothing was thrown');
}

/** Asserts that `fn` is refused for `field`, with a message naming `rule`. */
function expectRefused(fn: () => unknown, field: string, rule: RegExp): void {
  const err = rejection(fn);
  expect(err.field).toBe(field);
  expect(err.message).toMatch(rule);
  expect(err.message.startsWith(`${field}: `)).toBe(true);
}

const refuseUrl = (operation: string, rule: RegExp): void =>
  expectRefused(() => parseOperationRef({ operation }), 'operation', rule);

describe('parseOperationRef: the seed URL shapes', () => {
  it.each(Object.entries(SEEDS))('%s: the URL is kept exactly and the cancel URL appends ":cancel"', (_, seed) => {
    const ref = parseOperationRef({ operation: seed.url });
    expect(ref).toEqual({
      url: seed.url,
      cancelUrl: `${seed.url}:cancel`,
      scheme: 'https',
      host: seed.service,
      service: seed.service,
      apiVersion: seed.apiVersion,
      name: seed.name,
      isGoogleHost: true,
    });
  });

  it.each(Object.entries(SEEDS))('%s: the resource-name form gives the same reference as the URL', (_, seed) => {
    const byName = parseOperationRef({ operation: seed.name, service: seed.service, apiVersion: seed.apiVersion });
    expect(byName).toEqual(parseOperationRef({ operation: seed.url }));
  });

  it('accepts a URL together with a matching service and apiVersion', () => {
    const { alloydb } = SEEDS;
    const ref = parseOperationRef({ operation: alloydb.url, service: alloydb.service, apiVersion: alloydb.apiVersion });
    expect(ref.url).toBe(alloydb.url);
  });

  it('accepts a service written with its scheme and default port', () => {
    const { alloydb } = SEEDS;
    const ref = parseOperationRef({
      operation: alloydb.name,
      service: 'https://AlloyDB.googleapis.com:443',
      apiVersion: alloydb.apiVersion,
    });
    expect(ref.url).toBe(alloydb.url);
  });

  it('refuses a service that does not match the host of the URL', () => {
    expectRefused(
      () => parseOperationRef({ operation: ALLOYDB_OP, service: 'clouddeploy.googleapis.com' }),
      'service',
      /must match the host of the operation URL \(alloydb\.googleapis\.com\)/,
    );
  });

  it('refuses an apiVersion that does not match the version in the URL', () => {
    expectRefused(
      () => parseOperationRef({ operation: ALLOYDB_OP, apiVersion: 'v1' }),
      'apiVersion',
      /must match the version in the operation URL \(v1beta\)/,
    );
  });

  it('requires service and apiVersion with a resource name', () => {
    const name = SEEDS.alloydb.name;
    expectRefused(
      () => parseOperationRef({ operation: name, apiVersion: 'v1' }),
      'service',
      /is required with a resource name/,
    );
    expectRefused(
      () => parseOperationRef({ operation: name, service: 'alloydb.googleapis.com' }),
      'apiVersion',
      /is required with a resource name/,
    );
  });

  it('refuses a service with a path', () => {
    expectRefused(
      () => parseOperationRef({ operation: 'operations/o', service: 'alloydb.googleapis.com/v1', apiVersion: 'v1' }),
      'service',
      /without a path/,
    );
  });

  it('refuses a resource name holding ":"', () => {
    refuseUrl('projects/p/operations/o:cancel', /resource name without ":"/);
  });
});

describe('parseOperationRef: hosts', () => {
  it('maps a regional Vertex host to its service', () => {
    const ref = parseOperationRef({
      operation: 'https://us-central1-aiplatform.googleapis.com/v1/projects/p/locations/us-central1/operations/1',
    });
    expect(ref.host).toBe('us-central1-aiplatform.googleapis.com');
    expect(ref.service).toBe('aiplatform.googleapis.com');
    expect(ref.url).toBe(
      'https://us-central1-aiplatform.googleapis.com/v1/projects/p/locations/us-central1/operations/1',
    );
  });

  it('maps a regional endpoint (rep) host to its service', () => {
    const ref = parseOperationRef({
      operation: 'https://alloydb.us-central1.rep.googleapis.com/v1/projects/p/locations/us-central1/operations/o',
    });
    expect(ref.host).toBe('alloydb.us-central1.rep.googleapis.com');
    expect(ref.service).toBe('alloydb.googleapis.com');
  });

  it('lower-cases the scheme and host, drops :443, and keeps the path as written', () => {
    const ref = parseOperationRef({
      operation: 'HTTPS://AlloyDB.GoogleAPIs.com:443/v1beta/projects/P/locations/L/operations/Op',
    });
    expect(ref.url).toBe('https://alloydb.googleapis.com/v1beta/projects/P/locations/L/operations/Op');
    expect(ref.cancelUrl).toBe('https://alloydb.googleapis.com/v1beta/projects/P/locations/L/operations/Op:cancel');
    expect(ref.host).toBe('alloydb.googleapis.com');
    expect(ref.scheme).toBe('https');
  });

  it('refuses any other port on a Google host', () => {
    refuseUrl(
      'https://alloydb.googleapis.com:8443/v1/operations/o',
      /must not name a port on a Google host other than 443/,
    );
  });

  it('refuses http to a Google host', () => {
    refuseUrl('http://alloydb.googleapis.com/v1/operations/o', /must use https for Google hosts/);
  });

  it.each(['ftp://alloydb.googleapis.com/v1/operations/o', 'file://alloydb.googleapis.com/v1/operations/o'])(
    'refuses the scheme of %s',
    (operation) => refuseUrl(operation, /must be an https URL/),
  );

  it('refuses a javascript: URL', () => {
    refuseUrl('javascript:alert(1)', /must be an https URL or a resource name without ":"/);
  });

  it.each(['https://[::1]/v1/operations/o', 'https://[2001:db8::1]:8443/v1/operations/o'])(
    'refuses the IPv6 literal in %s',
    (operation) => refuseUrl(operation, /not an IPv6 literal/),
  );

  it.each(['http://2130706433/v1/x', 'http://127.1/v1/x', 'http://10.0.0.256/v1/x'])(
    'refuses the host of %s, which is neither a DNS name nor a dotted IPv4 address',
    (operation) => refuseUrl(operation, /must name a valid host/),
  );

  it.each([
    'https://user@alloydb.googleapis.com/v1/operations/o',
    'https://user:pass@alloydb.googleapis.com/v1/operations/o',
    'https://alloydb.googleapis.com@evil.com/v1/operations/o',
  ])('refuses the user info in %s', (operation) => refuseUrl(operation, /must not contain user info/));

  it('refuses the Cyrillic look-alike "о" in googleapis', () => {
    refuseUrl('https://alloydb.googleapis.c\u043em/v1/operations/o', /must be plain ASCII/);
    refuseUrl('https://alloydb.g\u043eogleapis.com/v1/operations/o', /must be plain ASCII/);
  });

  it('refuses a port outside 1 to 65535', () => {
    refuseUrl('http://localhost:0/v1/operations/o', /port from 1 to 65535/);
    refuseUrl('http://localhost:65536/v1/operations/o', /port from 1 to 65535/);
  });

  it('marks a non-Google host as such, keeping a non-default port', () => {
    const ref = parseOperationRef({ operation: 'http://LocalHost:8080/v1/operations/o' });
    expect(ref).toMatchObject({
      url: 'http://localhost:8080/v1/operations/o',
      host: 'localhost:8080',
      service: 'localhost',
      scheme: 'http',
      isGoogleHost: false,
    });
  });

  it('drops :80 on http', () => {
    expect(parseOperationRef({ operation: 'http://localhost:80/v1/operations/o' }).url).toBe(
      'http://localhost/v1/operations/o',
    );
  });
});

describe('serviceForHost', () => {
  it.each([
    ['alloydb.googleapis.com', 'alloydb.googleapis.com'],
    ['us-central1-aiplatform.googleapis.com', 'aiplatform.googleapis.com'],
    ['europe-west4-aiplatform.googleapis.com', 'aiplatform.googleapis.com'],
    ['northamerica-northeast1-aiplatform.googleapis.com', 'aiplatform.googleapis.com'],
    ['alloydb.us-central1.rep.googleapis.com', 'alloydb.googleapis.com'],
    ['datastream.europe-west3.rep.googleapis.com', 'datastream.googleapis.com'],
    ['localhost', 'localhost'],
    ['example.com', 'example.com'],
  ])('%s is served by %s', (host, service) => {
    expect(serviceForHost(host)).toBe(service);
  });
});

describe('parseOperationRef: paths', () => {
  it.each([
    'https://alloydb.googleapis.com/v1/projects/p/../operations/o',
    'https://alloydb.googleapis.com/v1/projects/p/./operations/o',
    'https://alloydb.googleapis.com/v1/..',
    'https://alloydb.googleapis.com/v1/operations/.',
  ])('refuses the dot segment in %s', (operation) =>
    refuseUrl(operation, /must not contain "\." or "\.\." path segments/),
  );

  it('refuses dot segments in a resource name too', () => {
    expectRefused(
      () =>
        parseOperationRef({
          operation: 'projects/p/../../v2/operations/o',
          service: 'alloydb.googleapis.com',
          apiVersion: 'v1',
        }),
      'operation',
      /must not contain "\." or "\.\." path segments/,
    );
  });

  it.each([
    'https://alloydb.googleapis.com/v1/projects/p/%2e%2e/operations/o',
    'https://alloydb.googleapis.com/v1/projects/p/%2E%2E/operations/o',
    'https://alloydb.googleapis.com/v1/projects%2Fp/operations/o',
    'https://alloydb.googleapis.com/v1/projects/p/%252e%252e/operations/o',
  ])('refuses the percent-encoding in %s', (operation) => refuseUrl(operation, /must not contain percent-encoding/));

  it('refuses backslashes', () => {
    refuseUrl('https://alloydb.googleapis.com/v1/projects/p\\..\\operations/o', /must not contain backslashes/);
  });

  it('refuses a query', () => {
    refuseUrl(`${ALLOYDB_OP}?alt=media`, /must not contain a query/);
  });

  it('refuses a fragment', () => {
    refuseUrl(`${ALLOYDB_OP}#x`, /must not contain a fragment/);
  });

  it.each([
    ['a double slash', 'https://alloydb.googleapis.com/v1/projects//operations/o'],
    ['a trailing slash', 'https://alloydb.googleapis.com/v1/projects/p/operations/o/'],
  ])('refuses %s', (_, operation) => refuseUrl(operation, /must not contain empty path segments/));

  it('refuses a URL that names no operation after the version', () => {
    refuseUrl('https://alloydb.googleapis.com/v1', /must name an operation after the API version/);
    refuseUrl('https://alloydb.googleapis.com/v1/', /must name an operation after the API version/);
  });

  it.each(['o:cancel', 'o*', 'o$', "o'"])('refuses the character in the segment %s', (segment) =>
    refuseUrl(`https://alloydb.googleapis.com/v1/operations/${segment}`, /path segments may hold only/),
  );

  it('keeps segments that merely contain dots, tildes, equals signs and dashes', () => {
    const url = 'https://alloydb.googleapis.com/v1/operations/a..b/~x=y-z_1.2';
    expect(parseOperationRef({ operation: url }).url).toBe(url);
  });
});

describe('parseOperationRef: characters', () => {
  it.each([
    ['CR', '\r'],
    ['LF', '\n'],
    ['TAB', '\t'],
    ['NUL', '\u0000'],
    ['ESC', '\u001b'],
    ['DEL', '\u007f'],
  ])('refuses %s', (_, char) => {
    refuseUrl(`${ALLOYDB_OP}${char}x`, /must not contain control characters/);
    refuseUrl(`https://alloydb.googleapis.com${char}/v1/operations/o`, /must not contain control characters/);
  });

  it('refuses control characters in a resource name, a service and an apiVersion', () => {
    const base: OperationRefInput = { operation: 'operations/o', service: 'alloydb.googleapis.com', apiVersion: 'v1' };
    expectRefused(
      () => parseOperationRef({ ...base, operation: 'operations/o\r\nX: y' }),
      'operation',
      /control characters/,
    );
    expectRefused(
      () => parseOperationRef({ ...base, service: 'alloydb.googleapis.com\n' }),
      'service',
      /control characters/,
    );
    expectRefused(() => parseOperationRef({ ...base, apiVersion: 'v1\u0000' }), 'apiVersion', /control characters/);
  });

  it.each([
    ['a space', ' '],
    ['a no-break space', '\u00a0'],
    ['a line separator', '\u2028'],
  ])('refuses %s', (_, char) => refuseUrl(`${ALLOYDB_OP}${char}x`, /must not contain whitespace/));

  it('refuses leading and trailing spaces', () => {
    refuseUrl(` ${ALLOYDB_OP}`, /must not contain whitespace/);
    refuseUrl(`${ALLOYDB_OP} `, /must not contain whitespace/);
  });

  it.each([
    ['an accented letter', 'op\u00e9ration'],
    ['a fullwidth slash', 'a\uff0fb'],
    ['an emoji', 'op\u{1f600}'],
  ])('refuses %s', (_, segment) =>
    refuseUrl(`https://alloydb.googleapis.com/v1/operations/${segment}`, /must be plain ASCII/),
  );

  it('refuses an empty operation and a non-string one', () => {
    refuseUrl('', /must not be empty/);
    expectRefused(() => parseOperationRef({ operation: 42 as unknown as string }), 'operation', /must be a string/);
  });
});

describe('parseOperationRef: length', () => {
  const prefix = 'https://alloydb.googleapis.com/v1/operations/';
  const longest = `${prefix}${'o'.repeat(MAX_OPERATION_LENGTH - prefix.length)}`;

  it(`accepts a URL of exactly ${MAX_OPERATION_LENGTH} characters`, () => {
    expect(longest).toHaveLength(MAX_OPERATION_LENGTH);
    expect(parseOperationRef({ operation: longest }).url).toBe(longest);
  });

  it('refuses one character more', () => {
    refuseUrl(`${longest}o`, new RegExp(`must be at most ${MAX_OPERATION_LENGTH} characters`));
  });

  it('refuses a huge input without echoing it', () => {
    const err = rejection(() => parseOperationRef({ operation: `${prefix}${'o'.repeat(1_000_000)}` }));
    expect(err.field).toBe('operation');
    expect(err.message.length).toBeLessThan(200);
  });

  it('refuses a resource name whose URL would be too long', () => {
    const name = `operations/${'o'.repeat(MAX_OPERATION_LENGTH - 'operations/'.length)}`;
    const err = rejection(() =>
      parseOperationRef({ operation: name, service: 'alloydb.googleapis.com', apiVersion: 'v1' }),
    );
    expect(err.message).toMatch(new RegExp(`must make a URL of at most ${MAX_OPERATION_LENGTH} characters`));
  });
});

describe('parseOperationRef: API versions', () => {
  it.each(['v1', 'v2', 'v1beta', 'v1beta1', 'v1alpha', 'v2alpha', 'v1p1beta1', 'v10'])('accepts %s', (apiVersion) => {
    expect(
      parseOperationRef({ operation: `https://alloydb.googleapis.com/${apiVersion}/operations/o` }).apiVersion,
    ).toBe(apiVersion);
    expect(
      parseOperationRef({ operation: 'operations/o', service: 'alloydb.googleapis.com', apiVersion }).apiVersion,
    ).toBe(apiVersion);
  });

  it.each(['v', '1', 'version1', 'v1gamma', 'V1', 'v1-beta', 'v1beta1x', 'projects'])('refuses %s', (apiVersion) => {
    refuseUrl(
      `https://alloydb.googleapis.com/${apiVersion}/operations/o`,
      /must have an API version as its first path segment/,
    );
    expectRefused(
      () => parseOperationRef({ operation: 'operations/o', service: 'alloydb.googleapis.com', apiVersion }),
      'apiVersion',
      /must look like v<N>/,
    );
  });
});

describe('parseAllowedHosts', () => {
  it('reads a comma-separated list, trimming spaces and lower-casing', () => {
    const allowlist = parseAllowedHosts(' LocalHost:8080 , emulator.internal,,  127.0.0.1:9000 ');
    expect([...allowlist.hosts]).toEqual(['localhost:8080', 'emulator.internal', '127.0.0.1:9000']);
  });

  it.each([undefined, '', '  ', ' , '])('allows Google hosts only for %p', (value) => {
    expect(parseAllowedHosts(value).hosts.size).toBe(0);
  });

  it.each([
    ['ftp://localhost', /without a path/],
    ['http://localhost:0', /port from 1 to 65535/],
    ['localhost:0', /port from 1 to 65535/],
    ['localhost:99999', /port from 1 to 65535/],
    ['localhost:', /port from 1 to 65535/],
    ['[::1]:8080', /not an IPv6 literal/],
    ['local host', /must name a valid host/],
    ['evil.com/path', /without a path/],
    ['2130706433', /must name a valid host/],
    ['-bad.example', /must name a valid host/],
  ])('refuses the entry %p', (value, rule) => {
    expectRefused(() => parseAllowedHosts(`localhost:8080,${value}`), ALLOWED_HOSTS_ENV, rule);
  });

  it('names the variable LRO_ALLOWED_HOSTS', () => {
    expect(ALLOWED_HOSTS_ENV).toBe('LRO_ALLOWED_HOSTS');
  });
});

describe('assertAllowed', () => {
  const EMULATOR = parseAllowedHosts('localhost:8080, emulator.internal');

  it.each(Object.entries(SEEDS))('allows the Google host of %s with an empty allowlist', (_, seed) => {
    expect(() => assertAllowed(parseOperationRef({ operation: seed.url }), GOOGLE_ONLY)).not.toThrow();
  });

  it('allows a regional Google host with an empty allowlist', () => {
    const ref = parseOperationRef({ operation: 'https://us-central1-aiplatform.googleapis.com/v1/operations/o' });
    expect(() => assertAllowed(ref, GOOGLE_ONLY)).not.toThrow();
  });

  it.each([
    'https://evil.com/v1/operations/o',
    'http://localhost:8080/v1/operations/o',
    'https://googleapis.com/v1/operations/o',
    'https://alloydb.googleapis.com.evil.com/v1/operations/o',
    'https://googleapis.com.evil.com/v1/operations/o',
    'http://127.0.0.1/v1/operations/o',
  ])('refuses %s with an empty allowlist', (operation) => {
    const ref = parseOperationRef({ operation });
    expect(ref.isGoogleHost).toBe(false);
    expectRefused(
      () => assertAllowed(ref, GOOGLE_ONLY),
      'operation',
      /is not allowed: use a \*\.googleapis\.com host, or add it to the worker's LRO_ALLOWED_HOSTS/,
    );
  });

  it('allows an allowlisted host:port over http', () => {
    expect(() =>
      assertAllowed(parseOperationRef({ operation: 'http://localhost:8080/v1/operations/o' }), EMULATOR),
    ).not.toThrow();
  });

  it('refuses an allowlisted host on a port the allowlist does not name', () => {
    const ref = parseOperationRef({ operation: 'http://localhost:9090/v1/operations/o' });
    expectRefused(() => assertAllowed(ref, EMULATOR), 'operation', /host localhost:9090 is not allowed/);
    const onDefaultPort = parseOperationRef({ operation: 'http://localhost/v1/operations/o' });
    expectRefused(() => assertAllowed(onDefaultPort, EMULATOR), 'operation', /host localhost is not allowed/);
  });

  it('allows a host allowlisted without a port on the default https port', () => {
    for (const operation of [
      'https://emulator.internal/v1/operations/o',
      'https://Emulator.Internal:443/v1/operations/o',
    ]) {
      expect(() => assertAllowed(parseOperationRef({ operation }), EMULATOR)).not.toThrow();
    }
  });

  it('refuses plain http to an allowlisted host that is not loopback: the token would cross the network in clear', () => {
    for (const operation of [
      'http://emulator.internal/v1/operations/o',
      'http://emulator.internal:80/v1/operations/o',
    ]) {
      expectRefused(
        () => assertAllowed(parseOperationRef({ operation }), EMULATOR),
        'operation',
        /must use https for emulator\.internal/,
      );
    }
  });

  it('allows plain http to an entry written http://, and to loopback hosts', () => {
    const explicit = parseAllowedHosts('http://emulator.internal, http://api.corp.example:8080, 127.0.0.1:9000');
    expect([...explicit.plainHttp]).toEqual(['emulator.internal', 'api.corp.example:8080']);
    for (const operation of [
      'http://emulator.internal/v1/operations/o',
      'https://emulator.internal/v1/operations/o',
      'http://api.corp.example:8080/v1/operations/o',
      'http://127.0.0.1:9000/v1/operations/o',
    ]) {
      expect(() => assertAllowed(parseOperationRef({ operation }), explicit)).not.toThrow();
    }
  });

  it('refuses a host allowlisted without a port on any other port', () => {
    const ref = parseOperationRef({ operation: 'http://emulator.internal:8080/v1/operations/o' });
    expectRefused(() => assertAllowed(ref, EMULATOR), 'operation', /host emulator\.internal:8080 is not allowed/);
  });

  it('still refuses http to a Google host, allowlist or not', () => {
    const allowlist = parseAllowedHosts('alloydb.googleapis.com');
    expect(allowlist.hosts.has('alloydb.googleapis.com')).toBe(true);
    refuseUrl('http://alloydb.googleapis.com/v1/operations/o', /must use https for Google hosts/);
  });
});

describe('hosts and names that are not operations, found in review', () => {
  it.each([
    'https://storage-download.googleapis.com/v1beta7/operations/x',
    'https://storage-upload.googleapis.com/v1/operations/x',
    'https://my-bucket.storage-download.googleapis.com/v1/operations/x',
    'https://content-storage.googleapis.com/v1/operations/x',
    'https://commondatastorage.googleapis.com/v1/operations/x',
    'https://my-bucket.commondatastorage.googleapis.com/v1/operations/x',
    'https://storage.us-east1.rep.googleapis.com/v1/operations/x',
    'https://storage.mtls.googleapis.com/v1/operations/x',
    'https://firebasestorage.googleapis.com/v1/operations/x',
  ])('refuses the Cloud Storage host of %s', (operation) => {
    refuseUrl(operation, /must not name a Cloud Storage host/);
  });

  it('keeps APIs whose names merely start with storage', () => {
    expect(parseOperationRef({ operation: 'https://storagetransfer.googleapis.com/v1/operations/x' }).service).toBe(
      'storagetransfer.googleapis.com',
    );
  });

  it.each([
    ['container.mtls.googleapis.com', 'container.googleapis.com'],
    ['alloydb.mtls.googleapis.com', 'alloydb.googleapis.com'],
    ['container-ep1.p.googleapis.com', 'container.googleapis.com'],
    ['sqladmin-myendpoint.p.googleapis.com', 'sqladmin.googleapis.com'],
  ])('maps %s to its service %s, so the same rules apply', (host, service) => {
    expect(serviceForHost(host)).toBe(service);
  });

  it.each([
    'https://container.mtls.googleapis.com/v1/projects/p/locations/l/operations/o',
    'https://container-ep1.p.googleapis.com/v1/projects/p/locations/l/operations/o',
    'https://sqladmin.mtls.googleapis.com/v1/projects/p/operations/o',
  ])('refuses the non-longrunning operations of %s on any host', (operation) => {
    refuseUrl(operation, /must name a google\.longrunning operation/);
  });

  it.each([
    'https://firestore.googleapis.com/v1/projects/p/databases/(default)/documents/operations/doc1',
    'https://firestore.googleapis.com/v1/projects/p/databases/(default)/documents/users/operations/orders/o1',
  ])('refuses a Firestore document under a collection named operations: %s', (operation) => {
    refuseUrl(operation, /a Firestore document is not an operation/);
  });

  it("accepts Firestore's own operations", () => {
    expect(
      parseOperationRef({
        operation: 'https://firestore.googleapis.com/v1/projects/p/databases/(default)/operations/o',
      }).name,
    ).toBe('projects/p/databases/(default)/operations/o');
  });
});
