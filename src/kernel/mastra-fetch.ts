import { globalAgent as httpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { globalAgent as httpsAgent, request as httpsRequest } from 'node:https';

/**
 * Put on a request's options (client-js passes them on to fetch as they are) to have mastraFetch hand back the
 * answer's body as Node's stream. For an agent's stream, which is held for the whole run: undici's fetch keeps its
 * controller, a web ReadableStream with its reader, and the request's copy alive as long, about a quarter of the heap
 * a call in flight holds (README, "Calls in flight").
 */
export const NODE_BODY = Symbol('read the body over node:http');

/**
 * How long a read (GET, HEAD: a listing, a thread's messages) may wait for its answer, or for the next part of its
 * body: undici's headersTimeout and bodyTimeout, which it had while it went through fetch. A run (a POST) has none:
 * an agent that works silently for longer (a slow tool, a plain call that answers at the end) is bounded by
 * `--call-timeout` alone, as the README says; fetch cut such a run off after 300 s whatever that setting was.
 */
export const IDLE_LIMIT_MS = 300_000;
/** A run's connection is probed after this long without traffic, so that a Mastra host gone silent is found even with no call timeout. */
const KEEPALIVE_PROBE_MS = 60_000;

const bodies = new WeakMap<Response, IncomingMessage>();
// Node's own agents: they keep connections alive, as undici does (closing an idle one a second before the server
// would), and go through the proxy NODE_USE_ENV_PROXY names, as fetch does; an agent of the bridge's own would go
// around it (test/outbound-proxy.test.ts).
const agents = { 'http:': httpAgent, 'https:': httpsAgent } as const;
// The statuses whose Response may have no body (the constructor refuses one).
const BODILESS = new Set([204, 205, 304]);

type MastraInit = RequestInit & { [NODE_BODY]?: unknown; stream?: unknown };

/** The body of a response mastraFetch read over node:http as a stream; undefined for any other (read `response.body`). */
export const nodeBodyOf = (response: Response): IncomingMessage | undefined => bodies.get(response);

/**
 * A streamed answer's body, whichever way it came (a redirect comes through fetch): read it with `for await`, which
 * destroys Node's stream, or cancels the web one, when the reading stops early, so no socket is held.
 */
export const streamedBodyOf = (response: Response): AsyncIterable<Uint8Array> | null => bodies.get(response) ?? response.body;

/**
 * The fetch every Mastra client of the bridge ends in. A request goes over node:http(s), which costs about a quarter
 * less CPU per request than undici's fetch (README, "Per call against Mastra's own MCP server"), and comes back as fetch
 * would give it: the whole body in the Response, or with NODE_BODY a Response without a body and the body kept for
 * nodeBodyOf; an error answer's body is always read whole, as client-js reads it. What only fetch does well is left
 * to it: a web stream (`stream: true` without NODE_BODY), a redirect (sent again, and followed),
 * a body that is not a string. Failures read as fetch's: "fetch failed" with the reason as its cause, a body cut
 * off as "terminated", an abort as the signal's reason.
 */
export const mastraFetch: typeof fetch = (input, init) => {
  const options = init as MastraInit | undefined;
  const node = Boolean(options?.[NODE_BODY]);
  const byFetch = (!node && options?.stream) || (options?.body != null && typeof options.body !== 'string') || input instanceof Request;
  return byFetch ? fetch(input, init) : overNode(String(input), options ?? {}, node);
};

// A connection kept alive can be closed by Mastra (a restart, its idle timeout) just as a request goes out on it.
const STALE_CONNECTION = new Set(['ECONNRESET', 'EPIPE']);

async function overNode(url: string, init: MastraInit, keepBody: boolean): Promise<Response> {
  const target = new URL(url);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  const signal = init.signal ?? undefined;
  const failed = (error: Error, words: string) => (signal?.aborted ? signal.reason : new TypeError(words, { cause: error }));
  const body = (init.body ?? undefined) as string | undefined;
  const headers = new Headers(init.headers);
  // Sized as fetch sizes it: a gateway in front of Mastra may refuse a chunked request.
  if (body !== undefined) headers.set('content-length', String(Buffer.byteLength(body)));
  // Only a read is sent again on a fresh connection, as Node's documentation advises: an agent run is never sent twice.
  const idempotent = ['GET', 'HEAD'].includes((init.method ?? 'GET').toUpperCase());
  const sent = (again: boolean): Promise<IncomingMessage> =>
    new Promise<IncomingMessage>((resolve, reject) => {
      const agent = agents[target.protocol as keyof typeof agents];
      let phase: 'Headers' | 'Body' = 'Headers';
      const request = send(target, { method: init.method ?? 'GET', headers: Object.fromEntries(headers), agent, signal }, (response) => {
        phase = 'Body';
        resolve(response);
      });
      if (idempotent) request.setTimeout(IDLE_LIMIT_MS, () => request.destroy(timeoutError(phase)));
      else request.once('socket', (socket) => socket.setKeepAlive(true, KEEPALIVE_PROBE_MS));
      request.once('error', (error: Error & { code?: string }) => {
        if (again && idempotent && request.reusedSocket && phase === 'Headers' && STALE_CONNECTION.has(error.code ?? '') && !signal?.aborted)
          resolve(sent(false));
        else reject(failed(error, 'fetch failed'));
      });
      request.end(body);
    });
  const answer = await sent(true);
  const status = answer.statusCode ?? 502;
  if (status >= 300 && status < 400) {
    answer.resume();
    return fetch(url, init);
  }
  const answered = new Headers();
  for (const [name, value] of Object.entries(answer.headers)) for (const one of [value ?? []].flat()) answered.append(name, one);
  const shape = { status, statusText: answer.statusMessage ?? '', headers: answered };
  if (keepBody && status >= 200 && status < 300) {
    const response = new Response(null, shape);
    bodies.set(response, answer);
    return response;
  }
  const text = await textOf(answer).catch((error: Error) => {
    throw failed(error, 'terminated');
  });
  return new Response(BODILESS.has(status) ? null : text, shape);
}

/** undici's own words and code for a request that waited too long, so that it reads as it did through fetch. */
const timeoutError = (phase: 'Headers' | 'Body') => Object.assign(new Error(`${phase} Timeout Error`), { code: `UND_ERR_${phase.toUpperCase()}_TIMEOUT` });

async function textOf(answer: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of answer) parts.push(part as Buffer);
  return Buffer.concat(parts).toString('utf8');
}
