import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = new URL('..', import.meta.url).pathname;

describe('the packed package', () => {
  it('ships the licence and the built bin, and no source maps pointing at sources it does not ship', async () => {
    const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root });
    const [packed] = JSON.parse(stdout) as [{ files: { path: string }[] }];
    const paths = packed.files.map((file) => file.path);
    expect(paths).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'package.json', 'dist/cli.js', 'dist/main.js']));
    expect(paths.filter((path) => path.endsWith('.map'))).toEqual([]);
    expect(paths.filter((path) => path.startsWith('src/'))).toEqual([]);
    expect(await readFile(new URL('../dist/cli.js', import.meta.url), 'utf8')).not.toContain('sourceMappingURL');
  });

  it('has no script an installing project must approve, yet builds on pack and on npm install in a clone', async () => {
    const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as {
      scripts: Record<string, string>;
      license: string;
      keywords: string[];
    };
    // npm (11) asks an installing project to approve preinstall, install, postinstall and, for a tarball, prepare.
    for (const script of ['preinstall', 'install', 'postinstall', 'prepare']) expect(pkg.scripts).not.toHaveProperty(script);
    expect(pkg.scripts.prepack).toBe('npm run build');
    // npm install in the package's own root runs postprepare; an installing project never does.
    expect(pkg.scripts.postprepare).toBe('npm run build');
    expect(pkg.license).toBe('MIT');
    expect(await readFile(new URL('../LICENSE', import.meta.url), 'utf8')).toContain('Copyright (c) 2026 the mastra-agents-mcp authors');
    expect(pkg.keywords).toEqual(expect.arrayContaining(['mcp', 'mastra']));
  });
});
