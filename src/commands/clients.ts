import { join } from 'node:path';

/** The MCP clients `install` writes to. */
export const CLIENTS = ['claude-desktop', 'claude-code', 'cursor', 'vscode'] as const;
export type ClientName = (typeof CLIENTS)[number];

/** Where a client's configuration lives: the platform, the home folder and the environment (APPDATA, XDG_CONFIG_HOME). */
export interface Place {
  platform: NodeJS.Platform;
  home: string;
  env: NodeJS.ProcessEnv;
}

/** A stdio server entry, as every one of these clients reads it. */
export interface StdioEntry {
  command: string;
  args: string[];
  env: Record<string, string>;
}

interface Client {
  title: string;
  /** The user-level configuration file, as each client documents it. */
  path(place: Place): string;
  /** The key of the object that holds the servers. */
  serversKey: 'mcpServers' | 'servers';
  /** What the entry looks like in this client's file. */
  entry(server: StdioEntry): Record<string, unknown>;
  /** What to do after the file is written. */
  next: string;
}

/** The folder Electron apps keep their settings in (app.getPath('appData')): Claude Desktop's and VS Code's. */
function appData({ platform, home, env }: Place): string {
  if (platform === 'darwin') return join(home, 'Library', 'Application Support');
  if (platform === 'win32') return env.APPDATA || join(home, 'AppData', 'Roaming');
  return env.XDG_CONFIG_HOME || join(home, '.config');
}

export const CLIENT_FORMATS: Record<ClientName, Client> = {
  // https://modelcontextprotocol.io/quickstart/user: claude_desktop_config.json in Claude's folder of the app data.
  'claude-desktop': {
    title: 'Claude Desktop',
    path: (place) => join(appData(place), 'Claude', 'claude_desktop_config.json'),
    serversKey: 'mcpServers',
    entry: (server) => ({ ...server }),
    next: 'Quit Claude Desktop completely (from its menu, not only its window) and open it again.',
  },
  // Claude Code's user scope (`claude mcp add --scope user`): the top-level mcpServers of ~/.claude.json.
  'claude-code': {
    title: 'Claude Code',
    path: ({ home }) => join(home, '.claude.json'),
    serversKey: 'mcpServers',
    entry: (server) => ({ type: 'stdio', ...server }),
    next: 'Start a new Claude Code session (`claude mcp list` shows the server; /mcp in a session shows its tools).',
  },
  // Cursor's global configuration, for every project.
  cursor: {
    title: 'Cursor',
    path: ({ home }) => join(home, '.cursor', 'mcp.json'),
    serversKey: 'mcpServers',
    entry: (server) => ({ ...server }),
    next: 'Restart Cursor, then check that the server is on under Cursor Settings, MCP.',
  },
  // VS Code's user mcp.json (MCP: Open User Configuration): a "servers" object, each stdio entry with its type.
  vscode: {
    title: 'VS Code',
    path: (place) => join(appData(place), 'Code', 'User', 'mcp.json'),
    serversKey: 'servers',
    entry: (server) => ({ type: 'stdio', ...server }),
    next: 'Reload VS Code (Developer: Reload Window), then start the server from MCP: List Servers.',
  },
};
