import type { BridgeObserver } from './observer.js';

/** A path segment that names a route (`generate`, `create-run`), not an id: only these become labels. */
const ROUTE_WORD = /^[a-z][a-z-]{0,39}$/;

/**
 * The kind of a Mastra API route, without ids: `agents/list`, `agents/get`, `agents/generate`,
 * `workflows/create-run`. client-js builds `/api/<kind>/<id>/<verb>…`, so the third segment is the verb.
 */
export function routeKind(url: string): string {
  const path = new URL(url, 'http://mastra').pathname.replace(/^\/api\//, '').replace(/\/+$/, '');
  const [kind = '', , verb] = path.split('/');
  const segments = path.split('/').length;
  if (!ROUTE_WORD.test(kind)) return 'other';
  if (segments === 1) return `${kind}/list`;
  if (segments === 2) return `${kind}/get`;
  return `${kind}/${verb && ROUTE_WORD.test(verb) ? verb : 'other'}`;
}

const isAbort = (error: unknown) => error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError');

/** The innermost words of a failed fetch ("connect ECONNREFUSED 127.0.0.1:4111"). */
function reasonOf(error: unknown): string {
  let reason = error;
  while (reason instanceof Error && reason.cause instanceof Error) reason = reason.cause;
  return reason instanceof Error ? reason.message : String(reason);
}

/**
 * `fetch` that tells the observer each request's route kind, status and time to the answer's headers
 * (a stream's body takes longer); a request that got no answer is `unreachable`, one the bridge
 * aborted (a cancelled call, a timeout) is not reported, since it says nothing about Mastra.
 */
export function observedFetch(send: typeof fetch, observer: BridgeObserver): typeof fetch {
  return async (input, init) => {
    const startedAt = performance.now();
    const route = routeKind(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    const seconds = () => (performance.now() - startedAt) / 1000;
    try {
      const response = await send(input, init);
      observer.mastraRequest({ route, status: response.status, seconds: seconds() });
      return response;
    } catch (error) {
      if (!isAbort(error) && !init?.signal?.aborted) observer.mastraRequest({ route, status: 'unreachable', seconds: seconds(), reason: reasonOf(error) });
      throw error;
    }
  };
}
