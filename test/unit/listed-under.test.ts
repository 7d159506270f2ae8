import { listedUnder } from '../../src/google/operations-client';

test.each([
  ['projects/p/locations/l', 'projects/p/locations/l/operations/op-1', true],
  ['projects/p/locations/l', 'projects/123456789/locations/l/operations/op-1', true],
  ['projects/p/locations/-', 'projects/p/locations/europe-west9/operations/op-1', true],
  ['organizations/4242/locations/global', 'organizations/4242/locations/global/operations/x', true],
  ['', 'operations/a/b/c', true],
  ['projects/p/locations/l/endpoints/e', 'projects/p/locations/l/endpoints/e/operations/o', true],
  ['projects/p/locations/l', 'projects/q/locations/l/operations/op-1', false],
  ['projects/p/locations/l', 'projects/p/locations/m/operations/op-1', false],
  ['projects/p/locations/l', 'projects/p/locations/l/instances/i', false],
  ['projects/p/locations/l', 'projects/p/locations/l/operations/', false],
  ['projects/p/locations/l', 'projects/p/locations/l/operations', false],
  ['organizations/4242/locations/l', 'organizations/99/locations/l/operations/x', false],
  ['projects/p/locations/-', 'projects/p/locations//operations/x', false],
])('under %s: %s is %s', (parent, name, expected) => {
  expect(listedUnder(parent, name)).toBe(expected);
});
