/**
 * `npm run bundle [-- --out DIR]`: the MCP Bundle (.mcpb) that Claude Desktop installs with one click.
 * The package as npm would publish it (built dist/, its `files`), its production dependencies only (from
 * the lock file, install scripts off), manifest.json, then `mcpb pack`. Prints the bundle's path last.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { bundleManifest, type PackageJson } from './bundle-manifest.js';

/** Files no run needs, beyond those mcpb leaves out itself (*.map, *.d.ts): types, sources, docs. Licences stay. */
const IGNORED = ['*.ts', '*.mts', '*.cts', '*.md', '*.markdown', '!LICENSE*', '!LICENCE*', '!license*', 'CHANGELOG*', '**/@mastra/core/dist/docs/'];

const root = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({ options: { out: { type: 'string' } } });
const outDir = resolve(values.out ?? root);
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as PackageJson;
const stage = mkdtempSync(join(tmpdir(), 'mastra-agents-mcp-bundle-'));
const run = (command: string, args: string[], cwd: string) => execFileSync(command, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'] }).toString();

try {
  // What `npm publish` would ship: dist/ (built by `npm run build` just before), package.json, README, LICENSE.
  const [packed] = JSON.parse(run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', stage], root)) as [{ filename: string }];
  run('tar', ['-xzf', packed.filename], stage);
  const server = join(stage, 'package');
  // The lock file pins the versions the tests ran with; --omit=dev leaves out the fixture, the SDK clients, the tools.
  copyFileSync(join(root, 'package-lock.json'), join(server, 'package-lock.json'));
  run('npm', ['install', '--omit=dev', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], server);
  writeFileSync(join(server, 'manifest.json'), `${JSON.stringify(bundleManifest(pkg), null, 2)}\n`);
  writeFileSync(join(server, '.mcpbignore'), `${IGNORED.join('\n')}\n`);
  mkdirSync(outDir, { recursive: true });
  const bundle = join(outDir, `${pkg.name}-${pkg.version}.mcpb`);
  const mcpb = fileURLToPath(new URL('../node_modules/@anthropic-ai/mcpb/dist/cli/cli.js', import.meta.url));
  // mcpb checks the manifest against its schema before it packs.
  execFileSync(process.execPath, [mcpb, 'pack', server, bundle], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  process.stdout.write(`${(statSync(bundle).size / 2 ** 20).toFixed(1)} MB, for Claude Desktop: open it, or drag it onto Settings, Extensions.\n${bundle}\n`);
} finally {
  rmSync(stage, { recursive: true, force: true });
}
