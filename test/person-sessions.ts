import { Client as ModernClient, StreamableHTTPClientTransport as ModernHttpClientTransport } from '@modelcontextprotocol/client';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { ElicitRequestSchema, type ElicitRequest, type ElicitResult } from '@modelcontextprotocol/sdk/types.js';
import type { RequestStateSealer } from '../src/protocol/modern/request-state.js';
import { createServer } from '../src/protocol/legacy/server.js';
import { startHttp } from '../src/transports/http.js';
import { clientFor, MODERN_VERSION } from './helpers.js';
import { catalogueOf, frontDefaults, httpDefaults } from './support/defaults.js';

/** Clients of both eras that a person answers through (elicitation), for the person-in-the-loop tests. */

export type Elicit = (request: ElicitRequest['params']) => ElicitResult | Promise<ElicitResult>;

export const approve: Elicit = () => ({ action: 'accept', content: { approved: true } });
export const refuse: Elicit = () => ({ action: 'accept', content: { approved: false, reason: 'not today' } });

/** A person who gives these answers in turn, then cancels: a bridge that asks once too often gets a cancel, not a loop. */
export const inTurn =
  (...answers: ElicitResult[]): Elicit =>
  () =>
    answers.shift() ?? { action: 'cancel' };

export interface PersonSettings {
  autoApproveTools?: boolean;
  requestStates?: RequestStateSealer;
}

/** A 2025-11-25 session in this process; with `elicit`, the client declares elicitation and answers with it. */
export async function legacySession(mastraUrl: string, elicit?: Elicit, settings: PersonSettings = {}) {
  const catalogue = catalogueOf(clientFor(mastraUrl));
  await catalogue.refresh();
  const server = createServer({ ...frontDefaults(), catalogue, client: clientFor(mastraUrl), baseUrl: mastraUrl, ...settings });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: 'person', version: '1.0.0' }, { capabilities: elicit ? { elicitation: { form: {} } } : {} });
  const questions: ElicitRequest['params'][] = [];
  if (elicit)
    client.setRequestHandler(ElicitRequestSchema, async (request) => {
      questions.push(request.params);
      return elicit(request.params);
    });
  await client.connect(clientSide);
  return { client, questions, call: (name: string, message: string) => client.callTool({ name, arguments: { message } }), close: () => client.close() };
}

/** A 2026-07-28 client over HTTP; with `elicit`, it declares elicitation and answers each input_required round with it. */
export async function modernSession(mastraUrl: string, elicit?: Elicit, settings: PersonSettings = {}) {
  const catalogue = catalogueOf(clientFor(mastraUrl));
  await catalogue.refresh();
  const http = await startHttp({ ...frontDefaults(), ...httpDefaults(), catalogue, client: clientFor(mastraUrl), baseUrl: mastraUrl, ...settings });
  const client = new ModernClient(
    { name: 'person', version: '1.0.0' },
    { capabilities: elicit ? { elicitation: { form: {} } } : {}, versionNegotiation: { mode: { pin: MODERN_VERSION } } },
  );
  const questions: ElicitRequest['params'][] = [];
  if (elicit)
    client.setRequestHandler('elicitation/create', async (request) => {
      questions.push(request.params as ElicitRequest['params']);
      return elicit(request.params as ElicitRequest['params']) as never;
    });
  await client.connect(new ModernHttpClientTransport(new URL(http.url)));
  return {
    client,
    questions,
    url: http.url,
    call: (name: string, message: string) => client.callTool({ name, arguments: { message } }),
    close: async () => {
      await client.close();
      await http.close({ graceMs: 0 });
    },
  };
}

export type ModernSession = Awaited<ReturnType<typeof modernSession>>;

/** The session of each era, for test bodies that run in both. */
export const sessionOf = { legacy: legacySession, modern: modernSession } as const;
