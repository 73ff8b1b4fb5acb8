import { globalAgent as httpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { globalAgent as httpsAgent, request as httpsRequest } from 'node:https';

/**
 * Put on a request's options (client-js passes them on to fetch as they are) to have mastraFetch read the answer's
 * body over node:http. For an agent's stream, which is held for the whole run: undici's fetch keeps its controller,
 * a web ReadableStream with its reader, and the request's copy alive as long, about a quarter of the heap a call in
 * flight holds (README, "Calls in flight").
 */
export const NODE_BODY = Symbol('read the body over node:http');

const bodies = new WeakMap<Response, IncomingMessage>();
// Node's own agents: they keep connections alive, as undici does, and go through the proxy NODE_USE_ENV_PROXY names,
// as fetch does; an agent of the bridge's own would go around it (test/outbound-proxy.test.ts).
const agents = { 'http:': httpAgent, 'https:': httpsAgent } as const;

/** The body of a response mastraFetch read over node:http; undefined for any other (read `response.body`). */
export const nodeBodyOf = (response: Response): IncomingMessage | undefined => bodies.get(response);

/**
 * The fetch every Mastra client of the bridge ends in: the platform's, unless the request asks for NODE_BODY. Then
 * the request goes over node:http(s) and a successful answer comes back as a Response without a body, its body
 * kept for nodeBodyOf; an error answer's body is read whole into the Response, as client-js reads it; a redirect is
 * sent again through fetch, which follows it as it would have; a failure to connect is fetch's "fetch failed",
 * with the reason as its cause, so every error reads as it did.
 */
export const mastraFetch: typeof fetch = (input, init) =>
  (init as { [NODE_BODY]?: unknown } | undefined)?.[NODE_BODY] ? overNode(String(input instanceof Request ? input.url : input), init!) : fetch(input, init);

async function overNode(url: string, init: RequestInit): Promise<Response> {
  const target = new URL(url);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  const answer = await new Promise<IncomingMessage>((resolve, reject) => {
    const request = send(
      target,
      {
        method: init.method ?? 'GET',
        headers: Object.fromEntries(new Headers(init.headers)),
        agent: agents[target.protocol as keyof typeof agents],
        signal: init.signal ?? undefined,
      },
      resolve,
    );
    request.once('error', (error) => reject(error.name === 'AbortError' ? error : new TypeError('fetch failed', { cause: error })));
    request.end(typeof init.body === 'string' ? init.body : undefined);
  });
  const status = answer.statusCode ?? 502;
  if (status >= 300 && status < 400) {
    answer.resume();
    return fetch(url, init);
  }
  const headers = new Headers();
  for (const [name, value] of Object.entries(answer.headers)) for (const one of [value ?? []].flat()) headers.append(name, one);
  const shape = { status, statusText: answer.statusMessage ?? '', headers };
  if (status < 200 || status >= 300) return new Response(await textOf(answer), shape);
  const response = new Response(null, shape);
  bodies.set(response, answer);
  return response;
}

async function textOf(answer: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of answer) parts.push(part as Buffer);
  return Buffer.concat(parts).toString('utf8');
}
