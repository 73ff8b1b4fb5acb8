import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';

/** A workflow as GET /api/workflows lists it: each schema a superjson string. */
export type ListedWorkflowJson = {
  inputSchema?: string;
  outputSchema?: string;
  allSteps?: Record<string, { resumeSchema?: string }>;
};

/** A JSON Schema (as JSON text: one too deep for JSON.stringify can still be written) as Mastra serializes it into a listing. */
export const serializedSchema = (schemaJson: string): string => `{"json":${schemaJson}}`;

const bodyOf = async (request: IncomingMessage): Promise<Buffer | undefined> => {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return chunks.length ? Buffer.concat(chunks) : undefined;
};

/**
 * Relays every request to a real Mastra server, and lets `rewrite` change the workflows of its full
 * listing (GET /api/workflows) before the bridge reads it: for schemas Mastra itself cannot serve (it
 * overflows its own stack on a few hundred levels) or would take seconds to serialize.
 */
export async function startSchemaRelay(
  mastraUrl: string,
  rewrite: (workflows: Record<string, ListedWorkflowJson>) => void,
): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer(async (request, response) => {
    const upstream = await fetch(new URL(request.url!, mastraUrl), {
      method: request.method,
      headers: Object.fromEntries(Object.entries(request.headers).filter(([name]) => name !== 'host' && name !== 'connection')) as Record<string, string>,
      body: await bodyOf(request),
    });
    const headers = Object.fromEntries([...upstream.headers].filter(([name]) => !['content-length', 'content-encoding', 'transfer-encoding'].includes(name)));
    if (request.method === 'GET' && request.url === '/api/workflows' && upstream.ok) {
      const workflows = (await upstream.json()) as Record<string, ListedWorkflowJson>;
      rewrite(workflows);
      response.writeHead(upstream.status, headers).end(JSON.stringify(workflows));
      return;
    }
    response.writeHead(upstream.status, headers);
    if (upstream.body) Readable.fromWeb(upstream.body as never).pipe(response);
    else response.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
