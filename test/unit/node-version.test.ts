/**
 * `npm run test:image-node` runs this suite on the image's Node: the suite checks it is really there, since a
 * `node` earlier on PATH (a node_modules/.bin) would silently run it on another.
 */
test('runs on the Node that npm run test:image-node asked for', () => {
  const expected = process.env['LRO_EXPECT_NODE'];
  if (expected === undefined) return; // plain `npm test`: the machine's Node
  expect(process.version).toBe(expected);
});
