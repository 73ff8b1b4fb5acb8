import { CLOCK, RECLAIM } from './lease-scripts.js';

/**
 * The scripts of a waiting task's question (fields `inputKey` and `inputRequests` of its hash):
 * the run shows it, any replica takes its answer. Taking is atomic, so of two answers to the same
 * question (two replicas, a client that retries) exactly one reaches the run.
 */

/**
 * KEYS: task. ARGV: owner, key, input requests (JSON), the replica when it runs the task (else ''), now.
 * Answers 'ok', 'missing' or 'terminal:<status>'.
 */
const SHOW = `${CLOCK}${RECLAIM}
local owner, status = unpack(redis.call('HMGET', KEYS[1], 'owner', 'status'))
if owner ~= ARGV[1] then return 'missing' end
status = reclaim(KEYS[1], status, ARGV[4], ARGV[5])
if status == 'completed' or status == 'failed' or status == 'cancelled' then return 'terminal:' .. status end
redis.call('HSET', KEYS[1], 'inputKey', ARGV[2], 'inputRequests', ARGV[3])
redis.call('HDEL', KEYS[1], 'answer')
return 'ok'`;

/** KEYS: task. ARGV: owner. The open input requests (JSON), or nil: none open, or not the owner's task. */
const SHOWN = `
local owner, status, requests = unpack(redis.call('HMGET', KEYS[1], 'owner', 'status', 'inputRequests'))
if owner ~= ARGV[1] or status ~= 'input_required' then return nil end
return requests`;

/**
 * KEYS: task. ARGV: owner, answer channel, taskId, now, then pairs of response key and response (JSON).
 * Takes the response to the open request, moves the task back to `working` and publishes
 * "<taskId> <key> <response>" for the replica running it; keeps "<key> <response>" as `answer` too,
 * for a runner that missed the message (see redis-task-store.ts). Answers 'ok', 'missing' or 'not-pending'.
 */
const ANSWER = `
local owner, status, key = unpack(redis.call('HMGET', KEYS[1], 'owner', 'status', 'inputKey'))
if owner ~= ARGV[1] then return 'missing' end
if status ~= 'input_required' or not key then return 'not-pending' end
for i = 5, #ARGV, 2 do
  if ARGV[i] == key then
    redis.call('HDEL', KEYS[1], 'inputKey', 'inputRequests')
    redis.call('HSET', KEYS[1], 'status', 'working', 'lastUpdatedAt', ARGV[4], 'answer', key .. ' ' .. ARGV[i + 1])
    redis.call('PUBLISH', ARGV[2], ARGV[3] .. ' ' .. key .. ' ' .. ARGV[i + 1])
    return 'ok'
  end
end
return 'not-pending'`;

export const INPUT_SCRIPTS = {
  inputShow: { numberOfKeys: 1, lua: SHOW },
  inputShown: { numberOfKeys: 1, lua: SHOWN },
  inputAnswer: { numberOfKeys: 1, lua: ANSWER },
} as const;

type Arg = string | number;
export interface InputCommands {
  inputShow(...args: Arg[]): Promise<string>;
  inputShown(...args: Arg[]): Promise<string | null>;
  inputAnswer(...args: Arg[]): Promise<string>;
}
