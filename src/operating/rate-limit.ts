import type { Redis } from 'ioredis';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Rate } from '../kernel/rate.js';
import type { Logger } from '../log.js';

/**
 * `--rate-limit N/TIME`: calls (tools/call, and so task creation) per identity, counted by rate-limiter-flexible
 * in this process, or in Redis with `--redis-url` so that every replica counts against the same bucket: one
 * Redis round trip (one script) per call. A Redis that cannot be reached lets calls through (fail open): the
 * limit protects the model budget, it must not take the bridge down with Redis.
 */

export interface RateRefusal {
  /** Whole seconds until the caller's bucket has a call again (`Retry-After`). */
  retryAfterS: number;
  /** Says which limit, for the HTTP 429 body and the JSON-RPC error over stdio. */
  message: string;
}

export interface CallLimiter {
  /** Counts one call of `identity` (a hash, never a token): undefined when it may go on, else why not. */
  take(identity: string): Promise<RateRefusal | undefined>;
}

export interface CallLimiterOptions {
  rate: Rate;
  /** The tasks' Redis connection (tasks/redis/redis-connection.ts), when the bridge has one: the limit is then shared. */
  redis?: { commands: Redis; where: string };
  /** Start of the Redis keys (`--redis-prefix`). */
  prefix: string;
  logger: Logger;
  /** Told of each call refused: for the refusals metric. */
  onRefused?: (reason: 'rate_limit') => void;
  /** Told of each call let through because Redis could not be asked: for a metric. */
  onStoreDown?: () => void;
}

/** Whether a JSON-RPC message (or batch) holds a call the limit counts: a tools/call, but not a 2026-07-28 retry carrying the person's answer. */
export function countedCalls(message: unknown): number {
  if (Array.isArray(message)) return message.reduce((sum: number, part) => sum + countedCalls(part), 0);
  const { method, params } = (message ?? {}) as { method?: unknown; params?: { inputResponses?: unknown; requestState?: unknown } };
  if (method !== 'tools/call') return 0;
  // The retry of an input_required round continues a call already counted.
  return params?.requestState !== undefined || params?.inputResponses !== undefined ? 0 : 1;
}

const refusalOf = (rate: Rate, msBeforeNext: number): RateRefusal => {
  const retryAfterS = Math.max(1, Math.ceil(msBeforeNext / 1_000));
  return {
    retryAfterS,
    message: `Too many calls: the rate limit is ${rate.points} calls per ${rate.text.split('/')[1]} for each caller (--rate-limit ${rate.text}); try again in ${retryAfterS}s.`,
  };
};

/** rate-limiter-flexible is loaded only when a limit is set. */
export async function openCallLimiter(options: CallLimiterOptions): Promise<CallLimiter> {
  const { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } = await import('rate-limiter-flexible');
  const { rate, redis, logger } = options;
  const settings = { points: rate.points, duration: rate.durationS, keyPrefix: `${options.prefix}rate-limit` };
  const limiter: RateLimiterAbstract = redis
    ? new RateLimiterRedis({ ...settings, storeClient: redis.commands, useRedisPackage: false })
    : new RateLimiterMemory(settings);
  logger.info(`rate limit: ${rate.text} per caller${redis ? `, counted in Redis at ${redis.where} (shared by every replica using it)` : ''}`);
  let down = false;
  return {
    async take(identity) {
      try {
        await limiter.consume(identity);
        if (down) logger.info(`the rate limit's Redis at ${redis?.where} answers again: the limit applies again`);
        down = false;
        return undefined;
      } catch (outcome) {
        if (outcome instanceof RateLimiterRes) {
          options.onRefused?.('rate_limit');
          return refusalOf(rate, outcome.msBeforeNext);
        }
        // Redis could not be asked: the call goes on, and the first of a run of these says so.
        if (!down)
          logger.warn(
            `the rate limit cannot be counted (Redis at ${redis?.where}: ${(outcome as Error).message ?? outcome}): calls are let through unlimited until it answers`,
          );
        down = true;
        options.onStoreDown?.();
        return undefined;
      }
    },
  };
}
