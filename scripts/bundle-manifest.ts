import { SETTINGS } from '../src/config.js';

/** What the manifest reads from package.json: the one place the name, version, Node and project links are written. */
export interface PackageJson {
  name: string;
  version: string;
  description: string;
  author: string;
  license: string;
  keywords: string[];
  homepage: string;
  repository: { url: string };
  bugs: { url: string };
  engines: { node: string };
}

/** The project's web address, from package.json's repository (git+https://github.com/o/r.git -> https://github.com/o/r). */
export const projectUrl = (pkg: PackageJson) => pkg.repository.url.replace(/^git\+/, '').replace(/\.git$/, '');

/**
 * The MCP Bundle's manifest.json (MANIFEST.md of @anthropic-ai/mcpb, version 0.3). Claude Desktop runs
 * `mcp_config` with its own built-in Node.js (the bundle carries none), filling in ${__dirname} (where it
 * unpacked the bundle) and ${user_config.*} (what the person typed; `sensitive` ones it keeps in the OS
 * keychain). Every user_config has a default: a value the person leaves empty is then "" (which the bridge
 * reads as unset) rather than the placeholder itself, which mcpb's substitution leaves in place.
 */
/** A ${name} the client fills in (written so, since it is no template of ours). */
const filled = (name: string) => `\${${name}}`;

export function bundleManifest(pkg: PackageJson) {
  const home = projectUrl(pkg);
  const env = (key: keyof typeof SETTINGS) => SETTINGS[key].env;
  return {
    manifest_version: '0.3',
    name: pkg.name,
    display_name: 'Mastra agents',
    version: pkg.version,
    description: pkg.description,
    long_description:
      'Offers each agent and workflow of a running Mastra server as a tool: the tools are whatever that server has when Claude asks (they follow it as agents come and go), so this manifest lists none. Approvals and suspended workflow steps ask you in Claude. Nothing is sent anywhere but the Mastra server you name.',
    author: { name: pkg.author },
    repository: { type: 'git', url: home },
    homepage: pkg.homepage,
    documentation: `${home}#readme`,
    support: pkg.bugs.url,
    license: pkg.license,
    keywords: pkg.keywords,
    // The bridge calls one service, the Mastra server the person names (often their own); the bridge itself keeps nothing.
    privacy_policies: [`${home}/blob/main/PRIVACY.md`],
    server: {
      type: 'node',
      entry_point: 'dist/cli.js',
      mcp_config: {
        command: 'node',
        args: [`${filled('__dirname')}/dist/cli.js`],
        env: {
          [env('baseUrl')]: filled('user_config.mastra_url'),
          [env('serviceToken')]: filled('user_config.mastra_token'),
          [env('include')]: filled('user_config.include'),
          [env('exclude')]: filled('user_config.exclude'),
        },
      },
    },
    // One tool per agent and workflow of the Mastra server, known only once the bridge has listed them.
    tools_generated: true,
    compatibility: { platforms: ['darwin', 'win32', 'linux'], runtimes: { node: pkg.engines.node } },
    user_config: {
      mastra_url: {
        type: 'string',
        title: 'Mastra server URL',
        description: 'Where your Mastra server listens (`mastra dev` prints it), e.g. http://localhost:4111 or https://mastra.example.com.',
        default: 'http://localhost:4111',
        required: false,
      },
      mastra_token: {
        type: 'string',
        title: 'Mastra token',
        description: 'The token your Mastra server accepts (sent as "Authorization: Bearer …"). Leave empty for a Mastra server without auth.',
        sensitive: true,
        default: '',
        required: false,
      },
      include: {
        type: 'string',
        title: 'Only these agents and workflows',
        description: 'Comma-separated ids, * matching any characters; agent:GLOB or workflow:GLOB for one kind. Empty offers all.',
        default: '',
        required: false,
      },
      exclude: {
        type: 'string',
        title: 'Never these',
        description: 'Same form, e.g. workflow:* to offer no workflow. Empty leaves none out.',
        default: '',
        required: false,
      },
    },
  };
}
