import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../src/log.js';
import { openRedisTasks } from '../src/tasks/redis/redis-task-store.js';
import { MAX_RUNS_PER_IDENTITY, type RunOwners } from '../src/tasks/run-owners.js';
import type { TaskBoard } from '../src/tasks/task-board.js';
import { waitFor } from './support/waiting.js';
import { startRedis, type RedisServer } from './support/redis.js';
import { havePrograms } from './support/system-programs.js';
import { DEFAULTS, taskBoard } from './support/defaults.js';

/** The record of who started each workflow run, in memory and in Redis: one body for both stores. */

const withRedis = havePrograms({ 'redis-server': 'redis-server' });
let redis: RedisServer | undefined;
const boards: TaskBoard[] = [];
beforeAll(async () => {
  if (withRedis) redis = await startRedis();
});
afterAll(async () => {
  for (const board of boards) await board.close();
  await redis?.stop();
});

let prefixes = 0;
const stores = [
  { name: 'memory', enabled: true, board: (ttlMs: number) => taskBoard({ runOwnerTtlMs: ttlMs }) },
  {
    name: 'Redis',
    enabled: withRedis,
    board: (ttlMs: number) =>
      taskBoard(
        { runOwnerTtlMs: ttlMs },
        {
          shared: openRedisTasks({ redisUrl: redis!.url, taskLeaseMs: DEFAULTS.taskLeaseMs, redisPrefix: `owners-${++prefixes}:`, logger: silentLogger })
            .shared,
        },
      ),
  },
];

describe.each(stores)('who started each run, in $name', (store) => {
  const ownersOf = async (ttlMs: number): Promise<RunOwners> => {
    const board = store.board(ttlMs);
    boards.push(board);
    // A Redis store connects in the background; a claim before it answers would fail at once.
    await waitFor('the store to answer', () =>
      board.runOwners.ownerOf('w', 'probe').then(
        () => true,
        () => false,
      ),
    );
    return board.runOwners;
  };

  it.runIf(store.enabled)("keeps a run its starter's: another identity's claim changes nothing, and ids cannot be spelled as another pair", async () => {
    const owners = await ownersOf(60_000);
    await owners.claim('alice', 'expense', 'run-1');
    await owners.claim('bob', 'expense', 'run-1');
    expect(await owners.ownerOf('expense', 'run-1')).toBe('alice');
    expect(await owners.ownerOf('other', 'run-1')).toBeUndefined();
    await owners.claim('bob', 'a:b', 'c');
    expect(await owners.ownerOf('a', 'b:c')).toBeUndefined();
  });

  it.runIf(store.enabled)(`keeps at most ${MAX_RUNS_PER_IDENTITY} runs per identity, forgetting its own oldest first, never another identity's`, async () => {
    const owners = await ownersOf(60_000);
    await owners.claim('bob', 'expense', 'bobs');
    for (let start = 0; start <= MAX_RUNS_PER_IDENTITY; start += 1_000)
      await Promise.all(
        Array.from({ length: Math.min(1_000, MAX_RUNS_PER_IDENTITY + 1 - start) }, (_, i) => owners.claim('alice', 'expense', `run-${start + i}`)),
      );
    expect(await owners.ownerOf('expense', 'run-0')).toBeUndefined();
    expect(await owners.ownerOf('expense', 'run-1')).toBe('alice');
    expect(await owners.ownerOf('expense', `run-${MAX_RUNS_PER_IDENTITY}`)).toBe('alice');
    expect(await owners.ownerOf('expense', 'bobs')).toBe('bob');
  });

  it.runIf(store.enabled)('forgets a run its TTL after it was last claimed', async () => {
    const owners = await ownersOf(300);
    await owners.claim('alice', 'expense', 'short');
    expect(await owners.ownerOf('expense', 'short')).toBe('alice');
    await waitFor('the record to expire', async () => (await owners.ownerOf('expense', 'short')) === undefined, 5_000);
  });
});
