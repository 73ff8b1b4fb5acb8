import { describe, expect, it } from 'vitest';
import { parseCommand, type Config } from '../src/config.js';
import { helpText } from '../src/help.js';
import { redisAddress } from '../src/tasks/redis/redis-connection.js';

const configOf = (argv: string[], env: NodeJS.ProcessEnv = {}): Config => {
  const command = parseCommand(argv, env);
  if (command.kind !== 'run') throw new Error(`expected a run, got ${command.kind}`);
  return command.config;
};

describe('the Redis settings', () => {
  it('--redis-url and MCP_REDIS_URL take redis:// and rediss:// URLs; tasks stay in memory without one', () => {
    expect(configOf([]).redisUrl).toBeUndefined();
    expect(configOf(['--redis-url', 'redis://localhost:6379']).redisUrl).toBe('redis://localhost:6379');
    expect(configOf([], { MCP_REDIS_URL: 'rediss://app:s3cret@redis.internal:6380/2' }).redisUrl).toBe('rediss://app:s3cret@redis.internal:6380/2');
    expect(configOf([]).redisPrefix).toBe('mastra-agents-mcp:');
    expect(configOf(['--redis-prefix', 'team-a:'], { MCP_REDIS_PREFIX: 'team-b:' }).redisPrefix).toBe('team-a:');
    expect(configOf([]).taskLeaseMs).toBe(30_000);
    for (const flag of ['--redis-url URL', 'MCP_REDIS_URL', '--redis-prefix PREFIX', 'MCP_REDIS_PREFIX', '--task-lease TIME', 'MCP_TASK_LEASE'])
      expect(helpText()).toContain(flag);
  });

  it('a wrong URL is one line naming the setting, with the password masked', () => {
    expect(() => parseCommand([], { MCP_REDIS_URL: 'http://app:s3cret@redis:6379' })).toThrow(
      'invalid configuration: MCP_REDIS_URL="http://***@redis:6379" must be a redis:// or rediss:// URL, e.g. redis://localhost:6379 (rediss:// for TLS)',
    );
    expect(() => parseCommand(['--redis-prefix', 'with space'], {})).toThrow('--redis-prefix="with space" must be 1 to 64 characters without spaces');
  });

  it('logs and errors name Redis by scheme, host and port only', () => {
    expect(redisAddress('rediss://app:s3cret@redis.internal:6380/2')).toBe('rediss://redis.internal:6380');
    expect(redisAddress('redis://localhost')).toBe('redis://localhost:6379');
  });
});
