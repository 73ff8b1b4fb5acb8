import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBridge } from './support/bridge.js';
import { startStack, type Stack } from './support/mastra.js';
import { textOf } from './support/mcp-clients.js';
import { waitFor } from './support/waiting.js';

/**
 * MASTRA_BASE_URL pointing at the wrong thing: an ordinary web server (an HTML page where the API
 * should be), or https:// to a server that speaks plain HTTP. Each stderr line stays one line of the
 * logger's shape, and says what to do.
 */

/** A web page whose start holds line breaks: JSON.parse quotes that start in its message. */
const PAGE = '<html>\n<head><title>Welcome</title></head>\n<body>private-intranet-page</body>\n</html>\n';
const LINE = /^mastra-agents-mcp: (debug|info|warn|error): /;

interface Upstream {
  url: string;
  port: number;
  server: Server;
}

/** A tiny plain HTTP server that answers every request the same. */
async function serve(status: number, contentType: string, body: string): Promise<Upstream> {
  const server = createServer((req, res) => req.resume().on('end', () => res.writeHead(status, { 'content-type': contentType }).end(body)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, port, server };
}

let web: Upstream;
/** Answers as Mastra words an error, here one whose words span two lines. */
let twoLines: Upstream;
let stack: Stack;
beforeAll(async () => {
  web = await serve(200, 'text/html', PAGE);
  twoLines = await serve(503, 'application/json', JSON.stringify({ error: 'storage is down\nretry later' }));
  stack = await startStack();
});
afterAll(async () => {
  for (const upstream of [web, twoLines]) {
    upstream?.server.closeAllConnections();
    await new Promise((resolve) => upstream?.server.close(resolve));
  }
  await stack?.close();
});

/** The bin's stderr once it has said that it could not list the agents. */
async function stderrOfBinAt(mastraUrl: string): Promise<string> {
  const bridge = await startBridge({ mastraUrl, transport: 'stdio', client: 'raw', args: ['--log-level', 'debug'] });
  try {
    await waitFor('the failed listing on stderr', () => bridge.stderr().includes('could not load the agents'));
    return bridge.stderr();
  } finally {
    await bridge.close();
  }
}

const linesOf = (stderr: string) => stderr.split('\n').slice(0, -1);

describe('a MASTRA_BASE_URL that names the wrong thing', () => {
  it('an HTML page where the API should be: one line that says it is not Mastra, and no part of the page', async () => {
    const stderr = await stderrOfBinAt(web.url);
    expect(stderr.endsWith('\n')).toBe(true);
    for (const line of linesOf(stderr)) expect(line).toMatch(LINE);
    expect(stderr).toContain(`this is not Mastra's API: point MASTRA_BASE_URL at the Mastra server`);
    expect(stderr).not.toContain('<head>');
    expect(stderr).not.toContain('private-intranet-page');
  });

  it('https:// to a server that speaks plain HTTP: one line that says to use http://', async () => {
    const stderr = await stderrOfBinAt(`https://127.0.0.1:${web.port}`);
    for (const line of linesOf(stderr)) expect(line).toMatch(LINE);
    expect(stderr).toContain(`use http://127.0.0.1:${web.port}`);
  });

  it("any message with a line break, Mastra's own error words for one, is folded into one line", async () => {
    const stderr = await stderrOfBinAt(twoLines.url);
    for (const line of linesOf(stderr)) expect(line).toMatch(LINE);
    expect(stderr).toContain('HTTP 503: storage is down retry later');
  });

  it('a call to https:// on a plain HTTP Mastra answers, in one line, to use http://', async () => {
    const bridge = await startBridge({ mastraUrl: stack.mastra.url, transport: 'in-memory', callTo: `https://127.0.0.1:${stack.mastra.port}` });
    try {
      const result = (await bridge.client.callTool({ name: 'ask_echo', arguments: { message: 'hi' } })) as CallToolResult;
      expect(result.isError).toBe(true);
      expect(textOf(result)).toContain(`use http://127.0.0.1:${stack.mastra.port}`);
      expect(textOf(result)).not.toContain('\n');
    } finally {
      await bridge.close();
    }
  });

  it('a call to an HTML page says that it is not Mastra, and quotes none of it', async () => {
    const bridge = await startBridge({ mastraUrl: stack.mastra.url, transport: 'in-memory', callTo: web.url });
    try {
      const result = (await bridge.client.callTool({ name: 'ask_echo', arguments: { message: 'hi' } })) as CallToolResult;
      expect(result.isError).toBe(true);
      expect(textOf(result)).toContain(`this is not Mastra's API: point MASTRA_BASE_URL at the Mastra server`);
      expect(textOf(result)).not.toContain('private-intranet-page');
    } finally {
      await bridge.close();
    }
  });
});
