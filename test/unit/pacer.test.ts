import { runPaced } from '../../src/google/pacer';

test('starts are spaced by the rate, and no more than the concurrency run at once', async () => {
  const starts: number[] = [];
  let running = 0;
  let most = 0;
  const t0 = Date.now();
  await runPaced(
    Array.from({ length: 10 }, (_, i) => i),
    { concurrency: 3, perSecond: 50 },
    async () => {
      starts.push(Date.now() - t0);
      running += 1;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, 50));
      running -= 1;
    },
  );
  expect(starts).toHaveLength(10);
  expect(most).toBe(3);
  // 10 starts at 50/s: the last no sooner than 9 × 20 ms after the first.
  expect((starts.at(-1) ?? 0) - (starts[0] ?? 0)).toBeGreaterThanOrEqual(175);
});

test('stops starting when the signal aborts, and rethrows the first failure after the others settle', async () => {
  const controller = new AbortController();
  const started: number[] = [];
  await runPaced(
    [1, 2, 3, 4],
    { concurrency: 1, perSecond: 20 },
    async (n) => {
      started.push(n);
      if (n === 2) controller.abort();
    },
    controller.signal,
  );
  expect(started).toEqual([1, 2]);
  await expect(
    runPaced([1, 2, 3], { concurrency: 2, perSecond: Infinity }, async (n) => {
      if (n === 1) throw new Error('first');
    }),
  ).rejects.toThrow('first');
});
