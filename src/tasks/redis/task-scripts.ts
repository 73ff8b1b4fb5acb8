import { INPUT_SCRIPTS, type InputCommands } from './input-scripts.js';
import { RUN_OWNER_SCRIPTS, type RunOwnerCommands } from './run-owner-scripts.js';
import { CLOCK, HEARTBEAT, LAPSE, RECLAIM } from './lease-scripts.js';

/**
 * The task store's Lua scripts: each read-check-write is one atomic script, so two replicas can
 * never both move a task out of `working` (a cancel and a finishing run, say), and each operation
 * costs one round trip. ioredis sends them by SHA and reloads them itself after Redis restarts empty.
 * Keys are computed inside the scripts (a task's ledger entries, the renewals heard), so the store
 * needs a standalone Redis (or Sentinel), not Redis Cluster.
 *
 * Layout, under the prefix P: `P task:<id>` a hash (owner, runner, status, …, result | dropped,
 * inputKey and inputRequests while it asks, renewedAt by its runner, lapsed… once its lease
 * lapsed), expiring with the task's TTL; `P owner:<identity>` a sorted set of the identity's task
 * ids by creation order; `P heard` since when Redis has heard the replicas renew (lease-scripts.ts);
 * `P results…` the byte ledgers of kept results.
 */

/** The fields a task's answer is read from, in this order; `result` and `dropped` only when asked. */
export const TASK_FIELDS = ['status', 'statusMessage', 'ttl', 'createdAt', 'lastUpdatedAt', 'pollInterval', 'seq'] as const;

const TERMINAL = `local function terminal(status) return status == 'completed' or status == 'failed' or status == 'cancelled' end`;

// A task whose runner's lease lapsed fails, the first time anyone reads it (see lease-scripts.ts).
const READ = `${CLOCK}${LAPSE}
local function read(key, withResult)
  local fields = {${TASK_FIELDS.map((f) => `'${f}'`).join(', ')}}
  if withResult == '1' then fields[#fields + 1] = 'result'; fields[#fields + 1] = 'dropped' end
  return redis.call('HMGET', key, unpack(fields))
end`;

/** KEYS: task, owner set, sequence. ARGV: owner, runner, ttl, now, pollInterval, keepMs, taskId. */
const CREATE = `${CLOCK}
local seq = redis.call('INCR', KEYS[3])
redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'runner', ARGV[2], 'status', 'working', 'ttl', ARGV[3], 'createdAt', ARGV[4], 'lastUpdatedAt', ARGV[4],
  'pollInterval', ARGV[5], 'seq', seq, 'renewedAt', clock())
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('ZADD', KEYS[2], seq, ARGV[7])
redis.call('PEXPIRE', KEYS[2], ARGV[6])
return seq`;

/** KEYS: task. ARGV: prefix, owner, now, lapse message, lapse result, withResult, leaseMs. Nil for a task that is not the owner's. */
const GET = `${READ}
if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[2] then return nil end
settleLapsed(KEYS[1], ARGV[1], ARGV[7], ARGV[3], ARGV[4], ARGV[5])
return read(KEYS[1], ARGV[6])`;

/** KEYS: owner set. ARGV: prefix, after (a seq), page size, now, lapse message, lapse result, leaseMs. Pages of {id, fields}. */
const LIST = `${READ}
local page, after, size = {}, ARGV[2], tonumber(ARGV[3])
while #page <= size do
  local batch = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. after, '+inf', 'WITHSCORES', 'LIMIT', 0, 100)
  if #batch == 0 then break end
  for i = 1, #batch, 2 do
    after = batch[i + 1]
    local key = ARGV[1] .. 'task:' .. batch[i]
    if redis.call('EXISTS', key) == 1 then
      settleLapsed(key, ARGV[1], ARGV[7], ARGV[4], ARGV[5], ARGV[6])
      page[#page + 1] = {batch[i], read(key, '0')}
      if #page > size then break end
    else
      redis.call('ZREM', KEYS[1], batch[i])
    end
  end
end
return page`;

/**
 * KEYS: task. ARGV: owner, status ('' keeps it), message ('' keeps it), now, cancelled message,
 * cancelled result, cancel channel, taskId, the replica when it runs the task (else '').
 * Answers 'ok', 'missing' or 'terminal:<status>'.
 */
const UPDATE = `${TERMINAL}${CLOCK}${RECLAIM}
local owner, status = unpack(redis.call('HMGET', KEYS[1], 'owner', 'status'))
if owner ~= ARGV[1] then return 'missing' end
status = reclaim(KEYS[1], status, ARGV[9], ARGV[4])
if terminal(status) then return 'terminal:' .. status end
if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], 'statusMessage', ARGV[3]) end
if ARGV[2] ~= '' then redis.call('HSET', KEYS[1], 'status', ARGV[2]) end
redis.call('HSET', KEYS[1], 'lastUpdatedAt', ARGV[4])
if ARGV[2] == 'cancelled' then
  redis.call('HSET', KEYS[1], 'statusMessage', ARGV[5], 'result', ARGV[6])
  redis.call('PUBLISH', ARGV[7], ARGV[8])
end
if terminal(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], redis.call('HGET', KEYS[1], 'ttl')) end
return 'ok'`;

/**
 * Stores a finished run's result within two byte budgets (the owner's, everyone's), evicting the
 * oldest kept results first; one larger than a budget is not kept (`dropped` says which).
 * KEYS: task. ARGV: prefix, owner, status, result, bytes, now, max per owner, max in all, taskId, keepMs,
 * the replica when it runs the task (else ''): a run that ends after its lease lapsed still delivers its answer.
 * Ledgers: `P results:<owner>` and `P results` (sorted sets of "owner taskId" by seq), their byte
 * counts `P results-used:<owner>` and `P results-used`, and each entry's size in `P result-bytes`.
 */
const STORE = `${TERMINAL}${CLOCK}${RECLAIM}
local prefix, owner, bytes, member = ARGV[1], ARGV[2], tonumber(ARGV[5]), ARGV[2] .. ' ' .. ARGV[9]
local taskOwner, status, seq = unpack(redis.call('HMGET', KEYS[1], 'owner', 'status', 'seq'))
if taskOwner ~= owner then return 'missing' end
status = reclaim(KEYS[1], status, ARGV[11], ARGV[6])
if terminal(status) then return 'terminal:' .. status end
local function decrease(key, by)
  if redis.call('DECRBY', key, by) <= 0 then redis.call('DEL', key) end
end
local function release(entry, why)
  local who, id = string.match(entry, '^(%S+) (%S+)$')
  local size = tonumber(redis.call('HGET', prefix .. 'result-bytes', entry) or '0')
  redis.call('HDEL', prefix .. 'result-bytes', entry)
  redis.call('ZREM', prefix .. 'results:' .. who, entry)
  redis.call('ZREM', prefix .. 'results', entry)
  decrease(prefix .. 'results-used:' .. who, size)
  decrease(prefix .. 'results-used', size)
  local key = prefix .. 'task:' .. id
  if why and redis.call('HEXISTS', key, 'result') == 1 then
    redis.call('HDEL', key, 'result')
    redis.call('HSET', key, 'dropped', why)
  end
end
local function makeRoom(ledger, used, max, why)
  while true do
    local oldest = redis.call('ZRANGE', ledger, 0, 0)[1]
    if not oldest then break end
    local id = string.match(oldest, ' (%S+)$')
    local gone = redis.call('EXISTS', prefix .. 'task:' .. id) == 0
    if not gone and tonumber(redis.call('GET', used) or '0') + bytes <= max then break end
    release(oldest, (not gone) and why)
  end
end
if bytes > tonumber(ARGV[7]) then
  redis.call('HSET', KEYS[1], 'dropped', 'too-large-owner:' .. bytes)
elseif bytes > tonumber(ARGV[8]) then
  redis.call('HSET', KEYS[1], 'dropped', 'too-large-all:' .. bytes)
else
  makeRoom(prefix .. 'results:' .. owner, prefix .. 'results-used:' .. owner, tonumber(ARGV[7]), 'owner')
  makeRoom(prefix .. 'results', prefix .. 'results-used', tonumber(ARGV[8]), 'all')
  redis.call('HSET', KEYS[1], 'result', ARGV[4])
  redis.call('ZADD', prefix .. 'results:' .. owner, seq, member)
  redis.call('ZADD', prefix .. 'results', seq, member)
  redis.call('HSET', prefix .. 'result-bytes', member, bytes)
  redis.call('INCRBY', prefix .. 'results-used:' .. owner, bytes)
  redis.call('INCRBY', prefix .. 'results-used', bytes)
  redis.call('PEXPIRE', prefix .. 'results:' .. owner, ARGV[10])
  redis.call('PEXPIRE', prefix .. 'results-used:' .. owner, ARGV[10])
end
redis.call('HSET', KEYS[1], 'status', ARGV[3], 'lastUpdatedAt', ARGV[6])
redis.call('PEXPIRE', KEYS[1], redis.call('HGET', KEYS[1], 'ttl'))
return 'ok'`;

/**
 * A replica's lease renewal (see lease-scripts.ts), made whether or not it runs tasks.
 * ARGV: leaseMs, prefix, replica, now, then the ids of the tasks it runs. Renews those, takes back
 * those that failed by their lease, and answers each one's status (nil: gone).
 */
const RENEW = `${CLOCK}${HEARTBEAT}${RECLAIM}
local time = clock()
heartbeat(ARGV[2], tonumber(ARGV[1]), time)
local statuses = {}
for i = 5, #ARGV do
  local key = ARGV[2] .. 'task:' .. ARGV[i]
  local status = reclaim(key, redis.call('HGET', key, 'status'), ARGV[3], ARGV[4])
  if status == 'working' or status == 'input_required' then redis.call('HSET', key, 'renewedAt', time) end
  statuses[i - 4] = status
end
return statuses`;

/**
 * A replica shutting down fails the tasks it runs, for good, rather than leave them to their leases
 * (one already failed by its lease included: it will not be taken back now).
 * ARGV: prefix, now, message, result, then the ids of the tasks it ran.
 */
const LEAVE = `
for i = 5, #ARGV do
  local key = ARGV[1] .. 'task:' .. ARGV[i]
  local status, ttl, lapsed = unpack(redis.call('HMGET', key, 'status', 'ttl', 'lapsed'))
  if status == 'working' or status == 'input_required' or (status == 'failed' and lapsed) then
    redis.call('HSET', key, 'status', 'failed', 'statusMessage', ARGV[3], 'result', ARGV[4], 'lastUpdatedAt', ARGV[2])
    redis.call('HDEL', key, 'lapsed', 'lapsedMessage', 'lapsedUntil')
    redis.call('PEXPIRE', key, ttl)
  end
end
return 'ok'`;

export const TASK_SCRIPTS = {
  ...INPUT_SCRIPTS,
  ...RUN_OWNER_SCRIPTS,
  leaseRenew: { numberOfKeys: 0, lua: RENEW },
  leaseLeave: { numberOfKeys: 0, lua: LEAVE },
  taskCreate: { numberOfKeys: 3, lua: CREATE },
  taskGet: { numberOfKeys: 1, lua: GET },
  taskList: { numberOfKeys: 1, lua: LIST },
  taskUpdate: { numberOfKeys: 1, lua: UPDATE },
  taskStore: { numberOfKeys: 1, lua: STORE },
} as const;

type Arg = string | number;
/** The scripts as ioredis defines them on a client (`defineCommand`). */
export interface TaskCommands extends InputCommands, RunOwnerCommands {
  leaseRenew(...args: Arg[]): Promise<(string | null)[]>;
  leaseLeave(...args: Arg[]): Promise<string>;
  taskCreate(...args: Arg[]): Promise<number>;
  taskGet(...args: Arg[]): Promise<(string | null)[] | null>;
  taskList(...args: Arg[]): Promise<[string, (string | null)[]][]>;
  taskUpdate(...args: Arg[]): Promise<string>;
  taskStore(...args: Arg[]): Promise<string>;
}
