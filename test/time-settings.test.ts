import { describe, expect, it } from 'vitest';
import { parseCommand, type Config } from '../src/config.js';
import { helpText } from '../src/help.js';

const HELP = helpText();

const configOf = (argv: string[], env: NodeJS.ProcessEnv = {}): Config => {
  const command = parseCommand(argv, env);
  if (command.kind !== 'run') throw new Error(`expected a run, got ${command.kind}`);
  return command.config;
};

/** Every time setting, as flag, env name and config key. */
const TIME_SETTINGS = [
  ['refresh-interval', 'MCP_REFRESH_INTERVAL', 'refreshIntervalMs'],
  ['retry-max-delay', 'MCP_RETRY_MAX_DELAY', 'retryMaxDelayMs'],
  ['session-idle-timeout', 'MCP_SESSION_IDLE_TIMEOUT', 'sessionIdleTimeoutMs'],
  ['shutdown-grace', 'MCP_SHUTDOWN_GRACE', 'shutdownGraceMs'],
  ['call-timeout', 'MCP_CALL_TIMEOUT', 'callTimeoutMs'],
  ['task-ttl-max', 'MCP_TASK_TTL_MAX', 'taskTtlMaxMs'],
  ['task-lease', 'MCP_TASK_LEASE', 'taskLeaseMs'],
  ['run-owner-ttl', 'MCP_RUN_OWNER_TTL', 'runOwnerTtlMs'],
] as const;

describe('every time setting takes the same duration syntax', () => {
  it.each(TIME_SETTINGS)('--%s and %s read 500ms, 30s, 1.5s, 2m and 1h', (flag, env, key) => {
    for (const [text, ms] of [
      ['500ms', 500],
      ['30s', 30_000],
      ['1.5s', 1_500],
      ['2m', 120_000],
      ['1h', 3_600_000],
    ] as const) {
      expect(configOf([`--${flag}`, text])[key]).toBe(ms);
      expect(configOf([], { [env]: text })[key]).toBe(ms);
    }
    expect(configOf([`--${flag}`, '2m'], { [env]: '1h' })[key]).toBe(120_000);
    expect(HELP).toContain(`--${flag} TIME`);
    expect(HELP).toContain(env);
  });

  it.each(TIME_SETTINGS)('--%s refuses a bare number with one line saying how to write it', (flag, env) => {
    expect(() => parseCommand([`--${flag}`, '600'], {})).toThrow(`--${flag}="600" has no unit, and a bare number is ambiguous: write 600s or 600ms`);
    expect(() => parseCommand([], { [env]: '600' })).toThrow(`${env}="600" has no unit`);
  });

  it.each([
    [['--call-timeout', 'soon'], '--call-timeout="soon" must be 0 (no limit) or a duration of at least 100ms, such as 500ms, 30s, 2m or 1h'],
    [['--call-timeout', ''], '--call-timeout="" must be 0 (no limit) or a duration'],
    [['--call-timeout=-5s'], '--call-timeout="-5s" must be 0 (no limit) or a duration'],
    [['--call-timeout', '50ms'], '--call-timeout="50ms" must be 0 (no limit) or a duration of at least 100ms'],
    [['--call-timeout', '25h'], '--call-timeout="25h" must be at most 24h'],
    [['--task-ttl-max', '0'], '--task-ttl-max="0" must be a duration of at least 100ms'],
    [['--shutdown-grace', '10 s'], '--shutdown-grace="10 s" must be a duration'],
  ])('%j is refused with one line naming the setting', (argv, expected) => {
    expect(() => parseCommand(argv, {})).toThrow(expected);
  });

  it('0 turns off what it says it turns off', () => {
    expect(configOf(['--call-timeout', '0']).callTimeoutMs).toBe(0);
    expect(configOf(['--refresh-interval', '0']).refreshIntervalMs).toBe(0);
    expect(HELP).toContain('a bare number other than 0 is refused');
  });
});

describe('the old millisecond env names', () => {
  it('MCP_CALL_TIMEOUT_MS and MCP_TASK_TTL_MAX_MS keep reading a bare number as milliseconds', () => {
    expect(configOf([], { MCP_CALL_TIMEOUT_MS: '1500' }).callTimeoutMs).toBe(1500);
    expect(configOf([], { MCP_CALL_TIMEOUT_MS: '0' }).callTimeoutMs).toBe(0);
    expect(configOf([], { MCP_TASK_TTL_MAX_MS: '5000' }).taskTtlMaxMs).toBe(5000);
    expect(configOf([], { MCP_TASK_TTL_MAX_MS: '2m' }).taskTtlMaxMs).toBe(120_000);
  });

  it('give way to the new names and to the flags', () => {
    expect(configOf([], { MCP_CALL_TIMEOUT: '2s', MCP_CALL_TIMEOUT_MS: '1500' }).callTimeoutMs).toBe(2000);
    expect(configOf(['--task-ttl-max', '1m'], { MCP_TASK_TTL_MAX_MS: '5000' }).taskTtlMaxMs).toBe(60_000);
  });

  it('name themselves when their value is wrong', () => {
    expect(() => parseCommand([], { MCP_CALL_TIMEOUT_MS: '1.5' })).toThrow('MCP_CALL_TIMEOUT_MS="1.5" has no unit');
    expect(() => parseCommand([], { MCP_TASK_TTL_MAX_MS: '9999999999' })).toThrow('MCP_TASK_TTL_MAX_MS="9999999999" must be at most 24h');
  });

  it('defaults are ten minutes and one hour', () => {
    expect(configOf([]).callTimeoutMs).toBe(600_000);
    expect(configOf([]).taskTtlMaxMs).toBe(3_600_000);
  });
});

describe('a duration in another form says what is wrong with it, and suggests only what would be taken', () => {
  it.each([
    ['1d', '--call-timeout="1d" has a unit durations do not take (they take ms, s, m and h): write 24h'],
    ['2d', '--call-timeout="2d" has a unit durations do not take (they take ms, s, m and h); and it would be over 24h'],
    ['1m30s', '--call-timeout="1m30s" combines units, which durations do not: write 90s'],
    ['5min', '--call-timeout="5min" has a unit durations do not take (they take ms, s, m and h): write 5m'],
    ['1.5', '--call-timeout="1.5" has no unit: write 1.5s (1.5ms would be under 100ms)'],
    ['60', '--call-timeout="60" has no unit: write 60s (60ms would be under 100ms)'],
    ['0.01', '--call-timeout="0.01" has no unit: write 0 (no limit) or a duration of at least 100ms'],
    ['10 s', '--call-timeout="10 s" must be a duration without spaces: write 10s'],
  ])('%s', (value, expected) => {
    expect(() => parseCommand(['--call-timeout', value], {})).toThrow(expected);
    // 1.5ms and 60ms would be refused: they are never suggested.
    expect(() => parseCommand(['--call-timeout', value], {})).not.toThrow(`write ${value}ms`);
  });
});
