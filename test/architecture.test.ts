import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = new URL('..', import.meta.url).pathname;
const CRUISER = join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruiser.mjs');

/** Runs dependency-cruiser with the project's rules over `src/` of `dir`: its exit code and what it said. */
async function cruise(dir: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [CRUISER, '--config', '.dependency-cruiser.cjs', '--output-type', 'err', 'src'], {
      cwd: dir,
    });
    return { code: 0, output: stdout };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? 1, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}

describe('the layers of src/', () => {
  const copies: string[] = [];
  afterAll(async () => {
    for (const dir of copies) await rm(dir, { recursive: true, force: true });
  });

  /** A copy of src/ and the rules, with `change` applied to one file. */
  async function copyWith(file: string, change: (text: string) => string): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'layers-'));
    copies.push(dir);
    await cp(join(ROOT, 'src'), join(dir, 'src'), { recursive: true });
    for (const name of ['.dependency-cruiser.cjs', 'tsconfig.json']) await cp(join(ROOT, name), join(dir, name));
    await writeFile(join(dir, file), change(await readFile(join(dir, file), 'utf8')));
    return dir;
  }

  it('import only downwards, with no cycle among files', async () => {
    const { code, output } = await cruise(ROOT);
    expect(output).toContain('no dependency violations found');
    expect(code).toBe(0);
  });

  it('refuse an import that runs up the layers', async () => {
    const dir = await copyWith('src/kernel/errors.ts', (text) => `import '../transports/http.js';\n${text}`);
    const { code, output } = await cruise(dir);
    expect(code).not.toBe(0);
    expect(output).toMatch(/kernel-imports-no-layer-above: src\/kernel\/errors\.ts → src\/transports\/http\.ts/);
  });

  it('refuse an import between the two kinds, or the two eras', async () => {
    const dir = await copyWith('src/protocol/legacy/client-log.ts', (text) => `import '../modern/request-state.js';\n${text}`);
    const { code, output } = await cruise(dir);
    expect(code).not.toBe(0);
    expect(output).toMatch(/protocol-legacy-is-not-protocol-modern/);
  });

  it('refuse a cycle, even within one folder', async () => {
    const dir = await copyWith('src/kernel/duration.ts', (text) => `import './call-timeout.js';\n${text}`);
    const { code, output } = await cruise(dir);
    expect(code).not.toBe(0);
    expect(output).toMatch(/no-cycles: src\/kernel\/(duration|call-timeout)\.ts/);
  });
});
