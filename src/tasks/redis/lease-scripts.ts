/**
 * Lua pieces that judge the runners' leases, shared by the task scripts, all by Redis's own clock.
 *
 * Every replica renews, every quarter of the lease, the tasks it runs (`renewedAt` of each), and it
 * renews whether it runs any or not, so `P heard` (since, last) says since when Redis has heard
 * replicas without a gap. An old `renewedAt` alone proves nothing: a Redis frozen (SIGSTOP, a stuck
 * disk) or cut off from every replica (a restart, a failover) sees every lease lapse by its clock,
 * yet heard nobody. So a running task fails only when its runner has not renewed it for a lease
 * while Redis has been hearing replicas for a whole lease: time in which the runner, alive and
 * connected, would have renewed it four times.
 *
 * Even then the failure is the runner's to undo: a task failed by its lease keeps what it was
 * (`lapsed`, `lapsedMessage`, `lapsedUntil`), and its runner, heard from again with the run still
 * going (a replica that was paused, or cut off from Redis alone), takes the task back.
 */

/** Redis's time in ms: one clock for every replica's lease, whatever their own clocks say. */
export const CLOCK = `
local function clock()
  local time = redis.call('TIME')
  return tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end`;

/**
 * Needs CLOCK. A gap in the renewals longer than half a lease means Redis heard nobody: it, not they,
 * stalled. Renewals come every quarter of a lease, so a live replica leaves no such gap (a quarter to
 * spare for a busy event loop), and a stall long enough to let a renewed lease lapse (three quarters
 * of one at least) always leaves one.
 */
export const HEARTBEAT = `
local function heartbeat(prefix, leaseMs, now)
  local heard = prefix .. 'heard'
  local last = redis.call('HGET', heard, 'last')
  if not last or now - tonumber(last) > leaseMs / 2 then redis.call('HSET', heard, 'since', now) end
  redis.call('HSET', heard, 'last', now)
  redis.call('PEXPIRE', heard, leaseMs)
end`;

/**
 * Needs CLOCK. `settleLapsed(key, prefix, leaseMs, now, message, result)`: a running task its runner
 * has not renewed for a lease, while Redis has heard replicas for a whole lease, fails, keeping what it was.
 */
export const LAPSE = `
local function heardForALease(prefix, leaseMs, time)
  local since, last = unpack(redis.call('HMGET', prefix .. 'heard', 'since', 'last'))
  return since and time - tonumber(last) <= leaseMs / 2 and time - tonumber(since) >= leaseMs
end
local function settleLapsed(key, prefix, leaseMs, now, message, result)
  local status, renewedAt, ttl, statusMessage = unpack(redis.call('HMGET', key, 'status', 'renewedAt', 'ttl', 'statusMessage'))
  if status ~= 'working' and status ~= 'input_required' then return end
  local time, lease = clock(), tonumber(leaseMs)
  if time - tonumber(renewedAt or 0) <= lease or not heardForALease(prefix, lease, time) then return end
  local left = redis.call('PTTL', key)
  if left < 0 then left = tonumber(ttl) end
  redis.call('HSET', key, 'status', 'failed', 'statusMessage', message, 'result', result, 'lastUpdatedAt', now,
    'lapsed', status, 'lapsedMessage', statusMessage or '', 'lapsedUntil', time + left)
  redis.call('PEXPIRE', key, ttl)
end`;

/**
 * Needs CLOCK. `reclaim(key, status, replica, now)` answers the task's status once a task failed by
 * its lease is its runner's again, as it was before and renewed, when that runner (`replica`; '' from
 * any other caller) still runs it. Its result was only the lapse's.
 */
export const RECLAIM = `
local function reclaim(key, status, replica, now)
  if status ~= 'failed' or replica == '' then return status end
  local runner, was, message, untilMs = unpack(redis.call('HMGET', key, 'runner', 'lapsed', 'lapsedMessage', 'lapsedUntil'))
  if not was or runner ~= replica then return status end
  redis.call('HSET', key, 'status', was, 'statusMessage', message, 'lastUpdatedAt', now, 'renewedAt', clock())
  redis.call('HDEL', key, 'result', 'lapsed', 'lapsedMessage', 'lapsedUntil')
  redis.call('PEXPIREAT', key, untilMs)
  return was
end`;
