/**
 * The custom roles the README offers (`iam/lro-canceller.role.yaml`, and `iam/lro-bulk-canceller.role.yaml` for
 * selectors) are what `gcloud iam roles create --file` takes, and grant getting and cancelling (and, for the bulk
 * role, listing) operations of the seed services, and nothing else.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './support/build';

const text = readFileSync(join(ROOT, 'iam', 'lro-canceller.role.yaml'), 'utf8');

test('has the fields of an IAM Role, and no others', () => {
  const keys = [...text.matchAll(/^([A-Za-z]+):/gm)].map((match) => match[1]);
  expect(keys).toEqual(['title', 'description', 'stage', 'includedPermissions']);
  expect(text).toMatch(/^stage: GA$/m);
});

test('grants get and cancel of operations of the seed services, and nothing else', () => {
  const permissions = [...text.matchAll(/^ {2}- (\S+)$/gm)].map((match) => match[1]);
  expect(permissions).toEqual([
    'alloydb.operations.get',
    'alloydb.operations.cancel',
    'clouddeploy.operations.get',
    'clouddeploy.operations.cancel',
    'beyondcorp.operations.get',
    'beyondcorp.operations.cancel',
    'datastream.operations.get',
    'datastream.operations.cancel',
  ]);
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  for (const permission of permissions) expect(readme).toContain(`\`${permission}\``);
});

test('the bulk role adds listing, and nothing else', () => {
  const bulk = readFileSync(join(ROOT, 'iam', 'lro-bulk-canceller.role.yaml'), 'utf8');
  const keys = [...bulk.matchAll(/^([A-Za-z]+):/gm)].map((match) => match[1]);
  expect(keys).toEqual(['title', 'description', 'stage', 'includedPermissions']);
  const permissions = [...bulk.matchAll(/^ {2}- (\S+)$/gm)].map((match) => match[1]);
  expect(permissions).toEqual(
    ['alloydb', 'clouddeploy', 'beyondcorp', 'datastream'].flatMap((service) =>
      ['get', 'cancel', 'list'].map((verb) => `${service}.operations.${verb}`),
    ),
  );
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  expect(readme).toContain('iam/lro-bulk-canceller.role.yaml');
  for (const permission of permissions.filter((p) => p?.endsWith('.list')))
    expect(readme).toContain(`\`${permission}\``);
});
