import type { MastraClient } from '@mastra/client-js';
import { createHash } from 'node:crypto';
import { Catalogue, type CatalogueSettings } from '../catalogue/catalogue.js';
import { refreshWithin } from '../catalogue/refresh.js';
import { formatDuration } from '../kernel/duration.js';
import { silentLogger, type Logger } from '../log.js';
import { createMastraClient } from '../mastra-client.js';
import type { FailedTokenChecks } from './failed-checks.js';
import { checkFailure, type OAuthChallenge } from './http-tokens.js';

export interface Caller {
  /** Stable id of the identity: 'service' for token-less callers, else a hex SHA-256 of the token. Never the token. */
  identity: string;
  /** The Mastra client calls of this caller go through. */
  client: MastraClient;
  /** The catalogue this caller sees (service-level, or the caller's own listing). */
  catalogue: Catalogue;
}

/** What an OAuth protected resource publishes: its RFC 9728 metadata, and where its 401 challenge points. */
export interface OAuthResource {
  challenge: OAuthChallenge;
  metadata: Record<string, unknown>;
}

export interface CallerResolver {
  /**
   * Checks the token (with Mastra, or as an OAuth access token); throws HttpError 401/403 when refused, 502/503 when it cannot tell,
   * 429 when the caller's `address` (its socket's remote address) has had too many failed checks of new tokens.
   */
  resolve(token: string | undefined, address?: string): Promise<Caller>;
  /** Set when callers sign in with OAuth: then a session belongs to the verified user, whatever token (refreshed) they send. */
  readonly oauth?: OAuthResource;
  /** Which catalogue a caller with a token sees. */
  readonly catalogueOfCallers: 'service' | 'own';
  close(): void;
}

export const SERVICE_IDENTITY = 'service';

/** Only a hash names an identity, so no map, log line or heap dump of the bridge holds a token. */
export const identityOf = (token: string): string => createHash('sha256').update(token).digest('hex');

export interface CallerResolverOptions {
  /** The service-level client and catalogue: token-less callers, and every caller's catalogue when `ownCatalogues` is off. */
  serviceClient: MastraClient;
  serviceCatalogue: Catalogue;
  /** Whether a caller with a token sees its own listing rather than the service-level one. */
  ownCatalogues: boolean;
  baseUrl: string;
  /** Builds the client of a caller's token. Default: `createMastraClient`. */
  clientForToken?: (token: string) => MastraClient;
  /** How the callers' own catalogues list and name (the service-level catalogue's settings). */
  listing: CatalogueSettings;
  /** How long a check's outcome (accepted or refused) is trusted. */
  tokenCheckTtlMs: number;
  /** An identity unused this long is forgotten (its client and catalogue freed); never sooner than `tokenCheckTtlMs`. */
  keepMs: number;
  /** Limits the checks of tokens not accepted before, per client address. Default: none. */
  failedChecks?: FailedTokenChecks;
  logger?: Logger;
}

interface Entry {
  /** The verified caller; kept through a later check that could not reach Mastra. */
  caller?: Caller;
  /** The answer to a token Mastra refused. */
  refusal?: Error;
  checkedAt: number;
  usedAt: number;
  /** The check in progress: concurrent requests with the same token wait for it instead of asking again. */
  checking?: Promise<Caller>;
}

/** Refusals of distinct garbage tokens must not grow the cache without bound. */
const MAX_ENTRIES = 10_000;

/** A check that takes longer counts as "cannot check" (503), as a listing that takes longer fails. */
const CHECK_TIMEOUT_MS = 10_000;

/** Who is calling, with a Mastra token checked by Mastra itself: listing the agents with it. */
export class MastraTokenCallers implements CallerResolver {
  readonly catalogueOfCallers: 'service' | 'own';
  private readonly entries = new Map<string, Entry>();
  private readonly service: Caller;
  private readonly sweeper: NodeJS.Timeout;
  private readonly ttlMs: number;
  private readonly keepMs: number;

  constructor(private readonly options: CallerResolverOptions) {
    this.catalogueOfCallers = options.ownCatalogues ? 'own' : 'service';
    this.service = { identity: SERVICE_IDENTITY, client: options.serviceClient, catalogue: options.serviceCatalogue };
    this.ttlMs = options.tokenCheckTtlMs;
    this.keepMs = Math.max(options.keepMs, this.ttlMs);
    this.sweeper = setInterval(() => this.forgetUnused(), Math.min(this.keepMs, 60_000));
    this.sweeper.unref();
  }

  async resolve(token: string | undefined, address?: string): Promise<Caller> {
    if (token === undefined) return this.service;
    const identity = identityOf(token);
    const entry = this.entries.get(identity) ?? this.add(identity);
    entry.usedAt = Date.now();
    if (entry.checking) return entry.checking;
    if (Date.now() - entry.checkedAt < this.ttlMs) {
      if (entry.refusal) throw entry.refusal;
      if (entry.caller) return entry.caller;
    }
    entry.checking = this.limited(identity, token, entry, address).finally(() => (entry.checking = undefined));
    return entry.checking;
  }

  close(): void {
    clearInterval(this.sweeper);
    this.entries.clear();
  }

  /** A token Mastra accepted before is re-checked whatever its address did; any other check spends a point of the address until Mastra accepts the token. */
  private async limited(identity: string, token: string, entry: Entry, address: string | undefined): Promise<Caller> {
    const { failedChecks } = this.options;
    if (entry.caller || !failedChecks) return this.check(identity, token, entry);
    const passed = await failedChecks.take(address).catch((error: unknown) => {
      this.entries.delete(identity);
      throw error;
    });
    const caller = await this.check(identity, token, entry);
    passed();
    return caller;
  }

  private async check(identity: string, token: string, entry: Entry): Promise<Caller> {
    const { serviceCatalogue, listing, baseUrl, logger = silentLogger } = this.options;
    const client = entry.caller?.client ?? (this.options.clientForToken ?? createMastraClient)(token);
    const own = this.options.ownCatalogues ? (entry.caller?.catalogue ?? new Catalogue({ client, ...listing })) : undefined;
    try {
      // The caller's own listing is both the check and its catalogue; otherwise it is listed only to check.
      // A listing made only to check the token needs the agents alone.
      const checkOnly = () => new Catalogue({ client, ...listing, listWorkflows: false, askMemory: false });
      await refreshWithin(own ?? checkOnly(), CHECK_TIMEOUT_MS);
      if (own && !entry.caller) own.on('stale', () => (entry.checkedAt = 0));
      entry.caller = { identity, client, catalogue: own ?? serviceCatalogue };
      entry.refusal = undefined;
      entry.checkedAt = Date.now();
      return entry.caller;
    } catch (error) {
      const failure = checkFailure(error, baseUrl);
      if (failure.refused) {
        logger.debug(`token ${identity.slice(0, 8)}… refused by Mastra`);
        this.entries.set(identity, { refusal: failure.error, checkedAt: Date.now(), usedAt: entry.usedAt });
        throw failure.error;
      }
      // A caller Mastra accepted before keeps working through a short outage; its calls fail on their own if Mastra is down.
      if (entry.caller) {
        logger.warn(`could not re-check a caller's token (${failure.error.message}); trusting the earlier check for ${formatDuration(this.ttlMs)} more`);
        entry.checkedAt = Date.now();
        return entry.caller;
      }
      this.entries.delete(identity);
      throw failure.error;
    }
  }

  private add(identity: string): Entry {
    if (this.entries.size >= MAX_ENTRIES) this.forgetUnused(true);
    const entry: Entry = { checkedAt: 0, usedAt: Date.now() };
    this.entries.set(identity, entry);
    return entry;
  }

  /** Forgets identities unused for `keepMs`; when the cache is full, refusals and expired checks go first. */
  private forgetUnused(full = false): void {
    const now = Date.now();
    for (const [identity, entry] of this.entries) {
      if (entry.checking) continue;
      const unused = now - entry.usedAt > this.keepMs;
      const expendable = full && (entry.refusal !== undefined || now - entry.checkedAt >= this.ttlMs);
      if (unused || expendable) this.entries.delete(identity);
    }
  }
}
