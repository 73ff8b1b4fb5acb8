import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBridge } from './support/bridge.js';
import { startCuttableRelay } from './support/cuttable-relay.js';
import { startStack, type Stack } from './support/mastra.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ workflows: true });
});
afterAll(async () => {
  await stack?.close();
});

describe('/readyz', () => {
  it('reports the workflows offered, and whether and when Mastra answered the last listing', async () => {
    const relay = await startCuttableRelay(stack.mastra.port);
    const bridge = await startBridge({ mastraUrl: relay.url, transport: 'http', client: 'none' });
    const catalogue = bridge.catalogue!;
    const readyz = async () => (await fetch(`${new URL(bridge.url).origin}/readyz`)).json() as Promise<Record<string, unknown>>;
    try {
      const workflows = catalogue.workflows.length;
      expect(workflows).toBeGreaterThan(0);
      const listed = await readyz();
      expect(listed).toMatchObject({ status: 'ready', workflows, lastListing: { succeeded: true } });
      const at = (listed.lastListing as { at: string }).at;
      expect(listed.lastSuccessfulListing).toBe(at);
      expect(new Date(at).getTime()).toBeGreaterThan(Date.now() - 60_000);

      await relay.cut();
      await expect(catalogue.refresh()).rejects.toThrow();
      const failed = await readyz();
      expect(failed).toMatchObject({ status: 'not ready', workflows, lastListing: { succeeded: false }, lastSuccessfulListing: at });
      expect(new Date((failed.lastListing as { at: string }).at).getTime()).toBeGreaterThanOrEqual(new Date(at).getTime());
    } finally {
      await bridge.close({ graceMs: 0 });
    }
  });
});
