/**
 * The custom role the README offers (`iam/lro-canceller.role.yaml`) is what `gcloud iam roles create --file` takes,
 * and grants getting and cancelling operations of the seed services, and nothing else.
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
