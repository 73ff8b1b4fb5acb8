import type { MastraClient } from '@mastra/client-js';
import { createHmac } from 'node:crypto';
import { createMastraClient } from '../../src/mastra-client.js';
import { startFakeModel, type FakeModel, type ModelRequest } from '../fixture/fake-model.js';
import { startMastraFixture, type FixtureOptions, type LoggedRequest, type MastraFixture } from '../fixture/mastra-app.js';
import { waitFor } from './waiting.js';

/** The real upstream: a Mastra server and the fake model behind its agents. */
export interface Stack {
  model: FakeModel;
  mastra: MastraFixture;
  /** Another Mastra server on the same model (on `port`, to stand in for a restarted one), closed with the stack. */
  another(options?: Omit<FixtureOptions, 'modelUrl'>): Promise<MastraFixture>;
  /** The model requests whose last user message is `message`, in order. */
  requestsFor(message: string): ModelRequest[];
  /** The model request of `message`, once it has arrived (and `until` holds of it). */
  requestFor(message: string, until?: (request: ModelRequest) => boolean): Promise<ModelRequest>;
  /** The requests Mastra received that carry `marker`: in their body, their token, or the claims of a JWT they bear (a minted one's `sub`). */
  mastraRequestsCarrying(marker: string): LoggedRequest[];
  close(): Promise<void>;
}

/** A real Mastra server on a free loopback port, with the fake model behind its agents. */
export async function startStack(options: Omit<FixtureOptions, 'modelUrl'> = {}): Promise<Stack> {
  const model = await startFakeModel();
  const others: MastraFixture[] = [];
  const mastra = await startMastraFixture({ ...options, modelUrl: model.url });
  const requestsFor = (message: string) => model.requests.filter((request) => request.lastUserMessage === message);
  return {
    model,
    mastra,
    another: async (more = {}) => {
      const other = await startMastraFixture({ ...more, modelUrl: model.url });
      others.push(other);
      return other;
    },
    requestsFor,
    requestFor: (message, until = () => true) => waitFor(`the model request of "${message}"`, () => requestsFor(message).find(until)),
    mastraRequestsCarrying: (marker) => [mastra, ...others].flatMap((server) => server.requestLog).filter((request) => carries(request, marker)),
    close: async () => {
      // Each close is idempotent enough: a server closed already closes again at once.
      for (const other of others) await other.close();
      await mastra.close();
      await model.close();
    },
  };
}

/** Whether a request carries `marker` in its body or bearer token, or in the claims of the JWT it bears. */
function carries({ body, authorization = '' }: LoggedRequest, marker: string): boolean {
  const claims = authorization.split('.')[1];
  return body.includes(marker) || authorization.includes(marker) || (claims !== undefined && Buffer.from(claims, 'base64url').toString().includes(marker));
}

/** The product's own Mastra client for `baseUrl`, with `token` as its bearer token. */
export function clientFor(baseUrl: string, token?: string): MastraClient {
  return createMastraClient(token, { baseUrl });
}

const base64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');

/** An HS256 JWT, as the fixture's MastraJwtAuth verifies it. */
export function signJwt(secret: string, payload: Record<string, unknown>): string {
  const now = Math.floor(Date.now() / 1000);
  const head = `${base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${base64url(JSON.stringify({ iat: now, exp: now + 3600, ...payload }))}`;
  return `${head}.${base64url(createHmac('sha256', secret).update(head).digest())}`;
}

let marks = 0;
/** A message no other call sends: a model request that carries it is this call's, whatever ran before. */
export const marked = (what: string) => `${what}-${++marks}.${process.pid}`;
