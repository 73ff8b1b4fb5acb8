import { describe, expect, it } from 'vitest';
import { HELP, parseCommand } from '../src/config.js';

const timeoutOf = (argv: string[], env: NodeJS.ProcessEnv = {}) => {
  const command = parseCommand(argv, env);
  return command.kind === 'run' ? command.config.callTimeoutMs : undefined;
};

describe('--call-timeout', () => {
  it('defaults to ten minutes, reads MCP_CALL_TIMEOUT_MS, and the flag wins', () => {
    expect(timeoutOf([])).toBe(600_000);
    expect(timeoutOf([], { MCP_CALL_TIMEOUT_MS: '1500' })).toBe(1500);
    expect(timeoutOf(['--call-timeout', '0'], { MCP_CALL_TIMEOUT_MS: '1500' })).toBe(0);
    expect(HELP).toContain('--call-timeout MS');
    expect(HELP).toContain('MCP_CALL_TIMEOUT_MS');
  });

  it.each([
    [['--call-timeout=-5'], {}, '--call-timeout="-5" must be a number of milliseconds, 0 for no limit'],
    [['--call-timeout', 'soon'], {}, '--call-timeout="soon" must be a number of milliseconds, 0 for no limit'],
    [[], { MCP_CALL_TIMEOUT_MS: '1.5' }, 'MCP_CALL_TIMEOUT_MS="1.5" must be a whole number of milliseconds'],
    [['--call-timeout', '9999999999'], {}, 'must be at most 2147483647 milliseconds'],
  ])('%j %j is refused with one line naming the setting', (argv, env, expected) => {
    expect(() => parseCommand(argv, env)).toThrow(expected);
  });
});
