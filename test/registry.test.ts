import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SETTINGS } from '../src/config.js';

const read = (file: string) => JSON.parse(readFileSync(new URL(`../${file}`, import.meta.url), 'utf8'));
const pkg = read('package.json') as { name: string; version: string; mcpName: string; repository: { url: string } };
const server = read('server.json');

/** An exact version: the registry refuses ranges, wildcards and "latest". */
const EXACT_SEMVER = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;

// The MCP Registry's server.json (schema 2025-12-11, and its official-registry requirements): what it checks before it lists a server.
describe('server.json, for the MCP Registry', () => {
  it('names the server as package.json does (mcpName), under a reverse-DNS namespace the registry can verify', () => {
    expect(server.$schema).toBe('https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json');
    expect(server.name).toBe(pkg.mcpName);
    expect(server.name).toMatch(/^[a-zA-Z0-9.-]+\/[a-zA-Z0-9._-]+$/);
    expect(server.name.length).toBeGreaterThanOrEqual(3);
    expect(server.name.length).toBeLessThanOrEqual(200);
    // GitHub sign-in publishes io.github.<owner>/…; the repository is that owner's.
    const owner = /^io\.github\.([A-Za-z0-9-]+)\//.exec(server.name)?.[1];
    expect(owner).toBeDefined();
    expect(server.repository).toEqual({ url: `https://github.com/${owner}/${pkg.name}`, source: 'github' });
    expect(pkg.repository.url).toBe(`git+${server.repository.url}.git`);
  });

  it('has a description of 1 to 100 characters and the exact version of package.json', () => {
    expect(server.description.length).toBeGreaterThan(0);
    expect(server.description.length).toBeLessThanOrEqual(100);
    expect(server.version).toBe(pkg.version);
    expect(server.version).toMatch(EXACT_SEMVER);
    if (server.title !== undefined) expect(server.title.length).toBeLessThanOrEqual(100);
  });

  it('offers the npm package of this version over stdio, with its two settings as environment variables, the token secret', () => {
    expect(server.packages).toHaveLength(1);
    const [npm] = server.packages;
    expect(npm).toMatchObject({ registryType: 'npm', identifier: pkg.name, version: pkg.version, transport: { type: 'stdio' } });
    // The official registry accepts npm packages from npmjs.org only.
    expect(npm.registryBaseUrl ?? 'https://registry.npmjs.org').toBe('https://registry.npmjs.org');
    const variables = Object.fromEntries(npm.environmentVariables.map((v: { name: string }) => [v.name, v]));
    expect(Object.keys(variables)).toEqual([SETTINGS.baseUrl.env, SETTINGS.serviceToken.env]);
    expect(variables[SETTINGS.baseUrl.env].default).toBe(SETTINGS.baseUrl.schema.parse(undefined));
    expect(variables[SETTINGS.serviceToken.env].isSecret).toBe(true);
    for (const variable of npm.environmentVariables) {
      expect(variable.description).toBeTruthy();
      expect(['string', 'number', 'boolean', 'filepath']).toContain(variable.format ?? 'string');
    }
  });
});
