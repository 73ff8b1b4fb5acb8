import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { systemProgram } from './support/system-programs.js';

const RUN = new URL('../.ci/run', import.meta.url).pathname;
/** The install and test commands of the README's Development section (its first sh block). */
const README_COMMANDS = /## Development\n+```sh\n([^`]*)```/
  .exec(readFileSync(new URL('../README.md', import.meta.url), 'utf8'))![1]!
  .trim()
  .split('\n');
const stubs = mkdtempSync(join(tmpdir(), 'ci-run-'));
const calls = join(stubs, 'calls');
// npm and apt-get only say they were called: the real ones would install and run the whole suite.
for (const name of ['npm', 'apt-get']) {
  writeFileSync(join(stubs, name), `#!/bin/sh\necho "${name} $*" >> ${calls}\n`);
  chmodSync(join(stubs, name), 0o755);
}
afterAll(() => rmSync(stubs, { recursive: true, force: true }));

/** Runs .ci/run with the stubs first on PATH; `path` is what else is on it. What it called, in order. */
function ciRun(path: string): string[] {
  rmSync(calls, { force: true });
  const run = spawnSync('/bin/bash', [RUN], { env: { PATH: `${stubs}:${path}` }, encoding: 'utf8' });
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  return readFileSync(calls, 'utf8').trim().split('\n');
}

describe('.ci/run', () => {
  it.skipIf(!systemProgram('redis-server') || !systemProgram('nginx') || !systemProgram('prometheus'))(
    'installs nothing when redis-server, nginx and prometheus are there, then runs the README’s install and test commands',
    () => {
      expect(README_COMMANDS).toEqual(['npm install', 'npm test']);
      expect(readFileSync(new URL('../README.md', import.meta.url), 'utf8')).toContain('`apt-get install redis-server nginx-light prometheus`');
      expect(ciRun(process.env.PATH ?? '')).toEqual(README_COMMANDS);
    },
  );

  it('installs redis-server, nginx-light and prometheus with apt-get (after an update) when one is missing', () => {
    // Only the stubs on PATH: redis-server (in /usr/bin) cannot be found.
    expect(ciRun('/nonexistent')).toEqual(['apt-get update', 'apt-get install -y redis-server nginx-light prometheus', ...README_COMMANDS]);
  });
});
