import { describe, expect, it } from 'vitest';
import { main } from '../src/main.js';

/** main() in this process; only what it writes on stderr is kept. */
async function runMain(argv: string[], env: NodeJS.ProcessEnv = {}) {
  let stderr = '';
  const exit = await main(argv, env, { stdout: { write: () => true }, stderr: { write: (text: string) => (stderr += text) } });
  return { exit, stderr };
}

describe('the operating settings', () => {
  it.each([
    [['--metrics-port', '9464'], {}, '--metrics-port needs --metrics (MCP_METRICS=1)'],
    [[], { MCP_METRICS_TOKEN: 'scrape-secret-99' }, 'MCP_METRICS_TOKEN needs --metrics (MCP_METRICS=1)'],
    [['--metrics'], {}, '--metrics over stdio needs --metrics-port (MCP_METRICS_PORT)'],
    [['--metrics', '--metrics-port', 'x'], {}, '--metrics-port="x" must be a number from 0 to 65535'],
    [['--log-format', 'xml'], {}, '--log-format="xml" must be one of text, json'],
  ])('%j %j exits 1 with one line naming the setting', async (argv, env, expected) => {
    const { exit, stderr } = await runMain(argv, env);
    expect(exit).toBe(1);
    expect(stderr.trim().split('\n')).toEqual([expect.stringContaining(expected)]);
    expect(stderr).not.toContain('scrape-secret-99');
  });

  it('with --log-format json (or MCP_LOG_FORMAT=json) a configuration error is one JSON line too', async () => {
    for (const [argv, env] of [
      [['--log-format', 'json', '--port', 'abc'], {}],
      [['--port', 'abc'], { MCP_LOG_FORMAT: 'json' }],
    ] as const) {
      const { exit, stderr } = await runMain([...argv], env);
      expect(exit).toBe(1);
      expect(JSON.parse(stderr)).toEqual({ time: expect.any(String), level: 'error', msg: expect.stringContaining('--port="abc"') });
    }
  });
});
