/**
 * The script that records who started a workflow run (see run-owners.ts): `P run:<run key>` holds
 * the identity hash, expiring with the record; `P runs:<identity>` is a sorted set of that
 * identity's run keys by when they were recorded, so its oldest are forgotten beyond the cap.
 */

/**
 * KEYS: run, the identity's runs. ARGV: identity, run key, ttl, now, cap, prefix. Answers 1, or 0
 * when the run is recorded as another identity's (it stays theirs).
 */
const CLAIM = `
local held = redis.call('GET', KEYS[1])
if held and held ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', tonumber(ARGV[4]) - tonumber(ARGV[3]))
local over = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[5])
if over > 0 then
  for _, key in ipairs(redis.call('ZRANGE', KEYS[2], 0, over - 1)) do
    local run = ARGV[6] .. 'run:' .. key
    if redis.call('GET', run) == ARGV[1] then redis.call('DEL', run) end
  end
  redis.call('ZREMRANGEBYRANK', KEYS[2], 0, over - 1)
end
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return 1`;

export const RUN_OWNER_SCRIPTS = {
  runClaim: { numberOfKeys: 2, lua: CLAIM },
} as const;

export interface RunOwnerCommands {
  runClaim(...args: (string | number)[]): Promise<number>;
}
