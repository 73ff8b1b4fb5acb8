import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from './helpers.js';
import { startCuttableRelay, startHttpBridge } from './http-helpers.js';

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
    const bridge = await startHttpBridge(relay.url);
    const readyz = async () => (await fetch(`${new URL(bridge.url).origin}/readyz`)).json() as Promise<Record<string, unknown>>;
    try {
      const workflows = bridge.catalogue.workflows.length;
      expect(workflows).toBeGreaterThan(0);
      const listed = await readyz();
      expect(listed).toMatchObject({ status: 'ready', workflows, lastListing: { succeeded: true } });
      const at = (listed.lastListing as { at: string }).at;
      expect(listed.lastSuccessfulListing).toBe(at);
      expect(new Date(at).getTime()).toBeGreaterThan(Date.now() - 60_000);

      await relay.cut();
      await expect(bridge.catalogue.refresh()).rejects.toThrow();
      const failed = await readyz();
      expect(failed).toMatchObject({ status: 'not ready', workflows, lastListing: { succeeded: false }, lastSuccessfulListing: at });
      expect(new Date((failed.lastListing as { at: string }).at).getTime()).toBeGreaterThanOrEqual(new Date(at).getTime());
    } finally {
      await bridge.close({ graceMs: 0 });
    }
  });
});
