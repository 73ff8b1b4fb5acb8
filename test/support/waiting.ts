import { createServer } from 'node:net';
import type { FakeModel } from '../fixture/fake-model.js';

/** Polls until the condition holds; fails with the description after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

let markers = 0;

/**
 * Proof that nothing more is on its way upstream, without a sleep: sends a marked call by `send` (through
 * the same bridge, where it still serves) and waits for its request at the model. Whatever an earlier step
 * set off was sent before it and arrives first, so a test may count the requests it forbids once this resolves.
 */
export async function upstreamCaughtUp(model: FakeModel, send: (marker: string) => Promise<unknown>): Promise<void> {
  const marker = `marker #${++markers}.${process.pid}`;
  await send(marker);
  await waitFor(`the marked call "${marker}" to reach the model`, () => model.requests.some((request) => request.lastUserMessage === marker));
}

/** A loopback port that nothing listens on. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
