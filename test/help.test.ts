import { describe, expect, it } from 'vitest';
import { defaultConfig, SETTINGS } from '../src/config.js';
import { helpText } from '../src/help.js';
import { formatDuration } from '../src/kernel/duration.js';

type Setting = (typeof SETTINGS)[keyof typeof SETTINGS];

const help = helpText();
const defaults: Record<string, unknown> = defaultConfig();

/** A setting's entry: its names line and the description under it, rejoined into one line. */
function entryOf(setting: Setting): string {
  const lines = help.split('\n');
  const first = 'flag' in setting ? `  --${setting.flag}` : `  ${setting.env}`;
  const start = lines.findIndex((line) => line === first || line.startsWith(`${first} `) || line.startsWith(`${first},`));
  expect(start, `no entry for ${first.trim()}`).toBeGreaterThanOrEqual(0);
  const description: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (!line.startsWith('      ')) break;
    description.push(line.trim());
  }
  return `${lines[start]!.trim()} ${description.join(' ')}`;
}

/** The default in the words a user writes it: what the table holds, written out independently of help.ts. */
function expectedDefault(setting: Setting, value: unknown): string | undefined {
  if ('shownDefault' in setting) return setting.shownDefault;
  if (value === undefined) return undefined;
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  if (Array.isArray(value)) return value.length ? value.join(',') : 'none';
  if ('arg' in setting && setting.arg === 'TIME') return formatDuration(value as number);
  if ('arg' in setting && setting.arg === 'BYTES') return `${value}, ${(value as number) / 2 ** 20} MiB`;
  return String(value);
}

describe('--help is made from the settings table', () => {
  it.each(Object.entries(SETTINGS))('%s: its flag, environment twin, meaning and default', (key, setting) => {
    const entry = entryOf(setting);
    if ('flag' in setting) expect(entry).toContain(`--${setting.flag}${'arg' in setting ? ` ${setting.arg}` : ''}`);
    expect(entry).toContain(setting.env);
    if ('otherEnv' in setting) expect(entry).toContain(setting.otherEnv);
    if ('legacyMsEnv' in setting) expect(entry).toContain(`${setting.legacyMsEnv}, in ms`);
    expect(entry).toContain(setting.help);
    const shown = expectedDefault(setting, defaults[key]);
    if (shown === undefined) expect(entry).not.toContain('(default:');
    else expect(entry).toContain(`(default: ${shown})`);
  });

  it('writes durations and byte sizes as a user would', () => {
    const entries = help.replace(/\n {6}/g, ' ');
    for (const text of [
      '(default: 1m)',
      '(default: 10m)',
      '(default: 24h)',
      '(default: 3000)',
      '(default: 268435456, 256 MiB)',
      '(default: email,name)',
      '(default: http://localhost:4111)',
    ])
      expect(entries).toContain(text);
  });

  it('opens with the Mastra URL and the token, before anything else is explained', () => {
    const lines = help.split('\n');
    const firstEntry = lines.findIndex((line) => /^ {2}(--|[A-Z_]+)/.test(line));
    expect(lines[firstEntry]).toBe('  --mastra-url URL  MASTRA_BASE_URL');
    expect(lines.findIndex((line) => line.startsWith('  JWT_TOKEN'))).toBeLessThan(lines.findIndex((line) => line.startsWith('Each option')));
    const usage = help.split('\n\n')[1]!;
    expect(usage).toMatch(/^Usage: mastra-agents-mcp \[options\]\n/);
    for (const subcommand of ['doctor', 'install <claude-desktop|claude-code|cursor|vscode>', 'token <user>'])
      expect(usage).toContain(`mastra-agents-mcp ${subcommand}`);
  });

  it('puts the Mastra URL and the token first', () => {
    const groups = help.split('\n\n').filter((block) => /^\S.*:\n {2}/.test(block));
    expect(groups[0]).toMatch(/^Mastra .*:\n {2}--mastra-url URL {2}MASTRA_BASE_URL\n[\s\S]*\n {2}JWT_TOKEN, or MASTRA_JWT_TOKEN\n/);
  });
});
