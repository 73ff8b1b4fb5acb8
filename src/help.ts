import { defaultConfig, GROUPS, SETTINGS } from './config.js';
import { DURATION_FORMS, formatDuration } from './kernel/duration.js';

type Setting = (typeof SETTINGS)[keyof typeof SETTINGS];

const WIDTH = 100;
const INDENT = '      ';

/** Words laid out in lines of at most WIDTH characters, each starting with INDENT. */
function wrap(text: string): string[] {
  const lines: string[] = [];
  let line = INDENT;
  for (const word of text.split(' ')) {
    if (line.length > INDENT.length && line.length + 1 + word.length > WIDTH) {
      lines.push(line);
      line = INDENT;
    }
    line += line.length > INDENT.length ? ` ${word}` : word;
  }
  return [...lines, line];
}

const bytes = (value: number) => (value % 2 ** 20 === 0 ? `${value}, ${value / 2 ** 20} MiB` : String(value));

/** The default as the table has it: durations and byte sizes in the words a user writes them in. */
function defaultOf(setting: Setting, value: unknown): string | undefined {
  if ('shownDefault' in setting) return setting.shownDefault;
  if (value === undefined) return undefined;
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  if (Array.isArray(value)) return value.length ? value.join(',') : 'none';
  if ('arg' in setting && setting.arg === 'TIME') return formatDuration(value as number);
  if ('arg' in setting && setting.arg === 'BYTES') return bytes(value as number);
  return String(value);
}

/** `--call-timeout TIME  MCP_CALL_TIMEOUT (or MCP_CALL_TIMEOUT_MS, in ms)`: how to give the setting. */
function namesOf(setting: Setting): string {
  const flag = 'flag' in setting ? `--${setting.flag}${'arg' in setting ? ` ${setting.arg}` : ''}  ` : '';
  const other = 'otherEnv' in setting ? `, or ${setting.otherEnv}` : 'legacyMsEnv' in setting ? ` (or ${setting.legacyMsEnv}, in ms)` : '';
  return `  ${flag}${setting.env}${other}`;
}

/** What `--help` prints: every setting of the table, with its environment twin, meaning and default, by group. */
export function helpText(): string {
  const defaults: Record<string, unknown> = defaultConfig();
  const settings = Object.entries(SETTINGS) as [string, Setting][];
  const groups = Object.entries(GROUPS).map(([group, title]) => {
    const entries = settings
      .filter(([, setting]) => setting.group === group)
      .flatMap(([key, setting]) => {
        const shown = defaultOf(setting, defaults[key]);
        return [namesOf(setting), ...wrap(`${setting.help}${shown === undefined ? '' : ` (default: ${shown})`}`)];
      });
    return [`${title}:`, ...entries].join('\n');
  });
  // The two settings every bridge needs open the help; the rest follow, by group.
  const [first, ...rest] = groups;
  return `mastra-agents-mcp: every agent and workflow of a Mastra server as an MCP tool.

Usage: mastra-agents-mcp [options]
       mastra-agents-mcp doctor [options]  check these options against Mastra, and list what would be served
       mastra-agents-mcp install <claude-desktop|claude-code|cursor|vscode> [--config FILE] [--name NAME] [--dry-run]
                                           add the bridge to a client's configuration (install --help)
       mastra-agents-mcp token <user>      print a Mastra JWT for one person, signed with MASTRA_JWT_SECRET (token --help)

${first}

Each option has an environment twin; the flag wins. TIME is a duration: ${DURATION_FORMS};
a bare number other than 0 is refused, since it would not say its unit. BYTES is a number of bytes.
  -h, --help     print this help and exit
  -v, --version  print the version and exit

${rest.join('\n\n')}
`;
}
