import { createRequire } from 'node:module';
import type { RateLimiterMemory } from 'rate-limiter-flexible';
import { silentLogger, type Logger } from '../log.js';
import { asRefusal, HttpError } from '../kernel/errors.js';

/** How many token checks of one client address may fail, and in what window. */
export interface FailedCheckLimits {
  /** Failed checks allowed per window. */
  burst: number;
  /** The window, in seconds, starting at an address's first check. */
  windowS: number;
}

/**
 * The one address of a caller: an IPv4-mapped IPv6 address is its IPv4 address, and an IPv6
 * caller is its /64, the smallest block a provider hands out, or it would have billions of them.
 */
export function addressKey(address: string | undefined): string {
  if (!address) return 'unknown';
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (!address.includes(':')) return address;
  const [head = '', tail] = address.split('%')[0]!.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array<string>(Math.max(8 - left.length - right.length, 0)).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((group) => Number.parseInt(group, 16).toString(16))
    .join(':')}::/64`;
}

/**
 * Token checks that ask someone (Mastra, the authorization server) are limited per client address,
 * so made-up tokens cannot make the bridge hammer them. A check takes one of the address's points
 * before it runs (concurrent floods count too) and gives it back when the token is accepted:
 * only failures spend the budget, and accepted tokens are not slowed. Once the budget is spent,
 * new tokens from that address get 429 until the window ends; tokens the bridge accepted before
 * are answered from its caches and never come here.
 */
export class FailedTokenChecks {
  private readonly limiter: RateLimiterMemory;

  constructor(
    private readonly limits: FailedCheckLimits,
    private readonly logger: Logger = silentLogger,
  ) {
    // The memory store alone: the package's index loads every store it has (Redis, Mongo, SQL…), about 0.15 s of start-up.
    const Limiter = createRequire(import.meta.url)('rate-limiter-flexible/lib/RateLimiterMemory.js') as typeof RateLimiterMemory;
    this.limiter = new Limiter({ points: this.limits.burst, duration: this.limits.windowS });
  }

  /** Takes a point of `address` for one check; the function returned gives it back (call it when the token is accepted). Throws 429 when none is left. */
  async take(address: string | undefined): Promise<() => void> {
    const key = addressKey(address);
    const limiter = this.limiter;
    try {
      await limiter.consume(key);
    } catch (rejection) {
      const { msBeforeNext, consumedPoints } = rejection as { msBeforeNext?: unknown; consumedPoints?: unknown };
      if (typeof msBeforeNext !== 'number') throw rejection;
      const seconds = Math.max(1, Math.ceil(msBeforeNext / 1000));
      if (consumedPoints === this.limits.burst + 1)
        this.logger.warn(
          `${this.limits.burst} token checks from ${key} failed within ${this.limits.windowS} s: its new tokens get 429 for ${seconds} s (tokens accepted before still work)`,
        );
      throw asRefusal(
        'failed_checks',
        new HttpError(429, `Too Many Requests: too many token checks from your address failed; try again in ${seconds} s with a valid token.`, {
          'retry-after': String(seconds),
        }),
      );
    }
    return () => void limiter.reward(key);
  }
}
