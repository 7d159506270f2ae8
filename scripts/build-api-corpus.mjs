// Builds test/api-corpus.json: the URL of every REST `get` method in Google's API catalogue, instantiated with
// sample IDs, split into operations of the google.longrunning shape and every other resource. The test that reads
// it checks that the gate every entry point shares accepts each operation and refuses everything else.
//
//   node scripts/build-api-corpus.mjs [version]     (default v0.312.0; needs Go and the Go module proxy)
//
// The catalogue is the discovery documents (`<api>/<version>/<api>-api.json`) that the google.golang.org/api Go
// module ships; `go mod download` fetches the module into the Go module cache.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MODULE = 'google.golang.org/api';
const version = process.argv[2] ?? 'v0.312.0';
const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'test', 'api-corpus.json');

const { Dir: dir } = JSON.parse(
  execFileSync('go', ['mod', 'download', '-json', `${MODULE}@${version}`], { encoding: 'utf8' }),
);

/** Sample IDs by placeholder, as real resources use them; anything else gets `<collection>-<n>`. */
const SAMPLES = {
  projectsId: 'my-project-42',
  locationsId: 'us-central1',
  operationsId: 'operation-1700000000000-5f0c2a9e1b',
  databasesId: '(default)',
  organizationsId: '4242',
  foldersId: '123456789',
  billingAccountsId: '01A2B3-C4D5E6-F7A8B9',
};

/** An API version as AIP-185 writes it: v1, v1beta, v1p1beta1, v2alpha3. */
const VERSION = /^v[0-9]+(?:p[0-9]+)?(?:(?:alpha|beta)[0-9]*)?$/;

/** An Operation of google.longrunning: `name`, `done`, `error`, `metadata`, `response`. */
function isLongrunning(schemas, ref) {
  const properties = schemas[ref]?.properties ?? {};
  return ['name', 'done', 'error', 'metadata', 'response'].every((field) => field in properties);
}

function instantiate(method) {
  let n = 0;
  if (method.flatPath) {
    return method.flatPath.replace(
      /\{([^}]+)\}/g,
      (_, name) => SAMPLES[name] ?? `${name.replace(/sId$|Id$/, '')}-${++n}`,
    );
  }
  // No flat path: a `{+name}` parameter with a pattern such as ^projects/[^/]+/operations/[^/]+$.
  return method.path.replace(/\{\+?([^}]+)\}/g, (_, name) => {
    const pattern = method.parameters?.[name]?.pattern;
    if (!pattern) return `${name}-${++n}`;
    return pattern.replace(/^\^|\$$/g, '').replace(/\[\^\/\]\+|\.\*|\.\+/g, () => `id-${++n}`);
  });
}

const operations = new Map();
const others = new Map();
let apis = 0;
for (const api of readdirSync(dir, { withFileTypes: true })) {
  if (!api.isDirectory()) continue;
  for (const ver of readdirSync(join(dir, api.name), { withFileTypes: true })) {
    if (!ver.isDirectory()) continue;
    const file = join(dir, api.name, ver.name, `${api.name}-api.json`);
    let doc;
    try {
      doc = JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      continue;
    }
    apis++;
    const base = `${doc.rootUrl}${doc.servicePath ?? ''}`;
    const walk = (resources) => {
      for (const resource of Object.values(resources ?? {})) {
        for (const [name, method] of Object.entries(resource.methods ?? {})) {
          if (name !== 'get' || method.httpMethod !== 'GET') continue;
          const url = `${base}${instantiate(method).replace(/^\//, '')}`;
          // GetOperation: a GET of an `operations` collection (AIP-151; dai's and Deep Review's names start with
          // operations/) that answers a google.longrunning Operation. Other services' "operations" are their own
          // types (GKE, Cloud SQL, Compute), and a few LRO-shaped resources are named otherwise (Storage
          // Transfer's transferOperations): they count as other resources.
          // The shape is https://{service}/{version}/{name} with an AIP-185 version first (DNS puts `dns/` before it,
          // Display & Video uses `v1dev`: other shapes, counted as other resources).
          const path = method.flatPath ?? method.path;
          const inOperations = method.id.endsWith('.operations.get') || /^[^/]+\/operations\//.test(path);
          const operation =
            inOperations &&
            !doc.servicePath &&
            VERSION.test(path.split('/')[0]) &&
            isLongrunning(doc.schemas ?? {}, method.response?.$ref);
          (operation ? operations : others).set(url, method.id);
        }
        walk(resource.resources);
      }
    };
    walk(doc.resources);
  }
}

const sorted = (map) => [...map].sort(([a], [b]) => a.localeCompare(b)).map(([url, id]) => [id, url]);
writeFileSync(
  out,
  `${JSON.stringify({ source: `${MODULE}@${version}`, apis, operations: sorted(operations), others: sorted(others) }, null, 0)}\n`,
);
console.log(`${out}: ${apis} API versions, ${operations.size} operations, ${others.size} other resources`);
