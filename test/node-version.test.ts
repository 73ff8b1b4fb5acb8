import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NODE_NEEDED, nodeIsRecentEnough, nodeTooOld } from '../src/node-version.js';
import { BIN } from './support/bin.js';

// This machine's system Node is older than 22.13 (npm runs the `node` package's); without such a Node the last test is skipped.
const OLD_NODE = '/usr/bin/node';
const oldNodeVersion = existsSync(OLD_NODE) ? spawnSync(OLD_NODE, ['--version'], { encoding: 'utf8' }).stdout.trim() : '';

describe('the Node.js version', () => {
  it('package.json asks npm for the same Node the bin checks', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { engines: { node: string } };
    expect(pkg.engines.node).toBe(`>=${NODE_NEEDED}`);
  });

  it('accepts 22.13 and later, and refuses earlier ones', () => {
    for (const version of ['22.13.0', 'v22.13.1', '22.20.0', '23.0.0', '24.1.0']) expect(nodeIsRecentEnough(version)).toBe(true);
    for (const version of ['22.12.9', 'v20.19.5', '18.20.0', '21.99.0']) expect(nodeIsRecentEnough(version)).toBe(false);
    expect(nodeTooOld('22.13.0', '/x/node')).toBeUndefined();
  });

  it.skipIf(!oldNodeVersion || nodeIsRecentEnough(oldNodeVersion))(
    `the bin run by an older Node (${OLD_NODE} ${oldNodeVersion}) exits 1 with one line naming the Node it needs`,
    () => {
      for (const args of [[], ['--help'], ['install', 'cursor']]) {
        const run = spawnSync(OLD_NODE, [BIN, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' }, input: '' });
        expect(run.status).toBe(1);
        expect(run.stdout).toBe('');
        expect(run.stderr).toBe(
          `mastra-agents-mcp: error: needs Node.js 22.13.0 or later, and this is Node.js ${oldNodeVersion.slice(1)} (${OLD_NODE}): install Node.js 22 or 24 (https://nodejs.org, or \`nvm install 22\`) and run the bin with it\n`,
        );
      }
    },
  );
});
