import { MastraClient } from '@mastra/client-js';
import type { BridgeObserver } from './kernel/observer.js';
import { mastraFetch } from './kernel/mastra-fetch.js';
import { observedFetch } from './kernel/observed-fetch.js';

/** The Mastra server this bridge talks to: `MASTRA_BASE_URL`, else the `mastra dev` default. */
export function getMastraBaseUrl(): string {
  return process.env.MASTRA_BASE_URL || 'http://localhost:4111';
}

export interface MastraClientOptions {
  /** The Mastra server; default `getMastraBaseUrl()`. The bin passes its validated config here, so it reads no environment of its own. */
  baseUrl?: string;
  /** Hears each request's route kind, status and duration (metrics, and whether Mastra answers). Default: nobody. */
  observer?: BridgeObserver;
}

/**
 * Retries stay off on every client built here: client-js retries POSTs on 5xx and on network
 * errors, which would run an agent (and spend its tokens) up to four times. Listing agents is
 * retried by the catalogue instead, with its own backoff.
 */
function buildClient(token: string | undefined, baseUrl: string, observer?: BridgeObserver): MastraClient {
  return new MastraClient({
    baseUrl,
    retries: 0,
    headers: token ? { Authorization: `Bearer ${token}` } : {},
    // Every client ends in mastraFetch (kernel/mastra-fetch.ts): its requests go over node:http.
    fetch: observer ? observedFetch(mastraFetch, observer) : mastraFetch,
  });
}

/** A client for one caller: same base URL, `Authorization: Bearer <token>` when a token is given. */
export function createMastraClient(token?: string, options: MastraClientOptions = {}): MastraClient {
  return buildClient(token, options.baseUrl ?? getMastraBaseUrl(), options.observer);
}

/**
 * A client whose `Authorization` is asked of `credential` on each request: for credentials that
 * expire within a session (a JWT the bridge mints for an OAuth user, or the user's latest token).
 */
export function createMastraClientWithCredential(credential: () => Promise<string>, options: MastraClientOptions = {}): MastraClient {
  const client = buildClient(undefined, options.baseUrl ?? getMastraBaseUrl());
  const send = options.observer ? observedFetch(mastraFetch, options.observer) : mastraFetch;
  return new MastraClient({
    ...client.options,
    fetch: async (input, init) => {
      const headers = new Headers(init?.headers);
      headers.set('authorization', `Bearer ${await credential()}`);
      return send(input, { ...init, headers });
    },
  });
}

/**
 * The same client (base URL, headers, no retries) with every request it makes aborted by `signal`.
 * Some client-js calls take no per-call signal (`listAgents`): the client-wide `abortSignal` is the
 * only way to end them, and a request that is not ended keeps its socket for undici's 300 s.
 */
export function withAbortSignal(client: MastraClient, signal: AbortSignal): MastraClient {
  const own = client.options.abortSignal;
  return new MastraClient({ ...client.options, abortSignal: own ? AbortSignal.any([own, signal]) : signal });
}

/** The service-level client: `Authorization: Bearer $JWT_TOKEN` only when `JWT_TOKEN` is set. */
export const mastraClient: MastraClient = buildClient(process.env.JWT_TOKEN || undefined, getMastraBaseUrl());

/** The same client with `headers` added to every request it makes (a call's `traceparent`). */
export function withHeaders(client: MastraClient, headers: Record<string, string>): MastraClient {
  return new MastraClient({ ...client.options, headers: { ...client.options.headers, ...headers } });
}

/** The same client with every request it makes sent through `send`, which gets the fetch the client would have used. */
export function withFetch(client: MastraClient, send: (url: string, init: RequestInit, fetchFn: typeof fetch) => Promise<Response>): MastraClient {
  const fetchFn = client.options.fetch ?? mastraFetch;
  return new MastraClient({ ...client.options, fetch: (input, init) => send(String(input), init ?? {}, fetchFn) });
}
