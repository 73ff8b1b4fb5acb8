import type { ServerNotification } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createProgressReporter } from '../src/kernel/progress.js';
import { frontDefaults } from './support/defaults.js';

// The reporter's clock is the test's: time passes when the test says, and "nothing more" means after as long as one likes.
beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

function record(options: { coalesceMs?: number; heartbeatMs?: number }) {
  const sent: { progress: number; message?: string }[] = [];
  const reporter = createProgressReporter(
    'token-1',
    async (n: ServerNotification) => {
      sent.push(n.params as { progress: number; message?: string });
    },
    { ...frontDefaults().progress, ...options },
  );
  return { sent, reporter };
}

describe('progress pacing', () => {
  it('sends the first update at once, collapses a burst into one more update with the latest message, and sends events at once', async () => {
    const { sent, reporter } = record({ coalesceMs: 100, heartbeatMs: 0 });
    for (let i = 1; i <= 50; i++) reporter.soon(`writing the answer: ${i} characters`);
    expect(sent.map((s) => s.message)).toEqual(['writing the answer: 1 characters']);
    await vi.advanceTimersByTimeAsync(150);
    expect(sent.map((s) => s.message)).toEqual(['writing the answer: 1 characters', 'writing the answer: 50 characters']);
    reporter.now('calling tool add');
    expect(sent.at(-1)?.message).toBe('calling tool add');
    expect(sent.map((s) => s.progress)).toEqual([1, 2, 3]);
    reporter.stop();
  });

  it('beats during silence and stays quiet once stopped', async () => {
    const { sent, reporter } = record({ heartbeatMs: 50 });
    await vi.advanceTimersByTimeAsync(180);
    expect(sent.length).toBeGreaterThanOrEqual(2);
    expect(sent[0]?.message).toMatch(/^still working \(\d+ s\)$/);
    reporter.stop();
    const count = sent.length;
    reporter.soon('late');
    reporter.now('later');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(sent).toHaveLength(count);
  });
});
