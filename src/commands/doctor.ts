import type { Catalogue } from '../catalogue/catalogue.js';
import { ConfigError, parseCommand } from '../config.js';
import type { Output } from '../main.js';
import { checkMastra, type Finding } from './doctor-mastra.js';
import { checkRemote } from './doctor-remote.js';

const USAGE = `Usage: mastra-agents-mcp doctor [options]

Checks what the bridge would serve with the same options and environment: the Mastra URL, the token,
the listing, every tool it would offer and every agent or workflow it leaves out, with why. With
--public-url (MCP_PUBLIC_URL), also what a remote client needs of the bridge running there: https,
the protected-resource metadata, both MCP handshakes and how fast the first answer comes.
Exits 0 when all is well, else 1 with one line per problem. No token is ever printed.
See mastra-agents-mcp --help for the options.
`;

const LABEL = { ok: 'ok     ', note: 'note   ', problem: 'problem' } as const;

/** Each tool with what it runs: `ask_echo  agent "echo" (Echo Agent)`. */
function toolLines(catalogue: Catalogue): string[] {
  const rows = [
    ...catalogue.tools.map((tool) => [tool.toolName, `agent "${tool.agentId}" (${tool.title})`] as const),
    ...catalogue.workflows.flatMap((workflow) => [
      [workflow.toolName, `workflow "${workflow.workflowId}"`] as const,
      ...(workflow.resumeToolName ? [[workflow.resumeToolName, `resumes workflow "${workflow.workflowId}"`] as const] : []),
    ]),
  ];
  const width = Math.max(0, ...rows.map(([name]) => name.length));
  return rows.map(([name, what]) => `  ${name.padEnd(width)}  ${what}`);
}

/** `mastra-agents-mcp doctor`: the report on stdout (it is no MCP server), its exit code 0 only when no problem was found. */
export async function doctor(argv: readonly string[], env: NodeJS.ProcessEnv, output: Output = process): Promise<number> {
  let command: ReturnType<typeof parseCommand>;
  try {
    command = parseCommand(argv, env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    output.stdout.write(`${LABEL.problem}  ${error.message}\n1 problem\n`);
    return 1;
  }
  if (command.kind !== 'run') {
    output.stdout.write(USAGE);
    return 0;
  }
  const { config } = command;
  const write = ({ level, text }: Finding) => output.stdout.write(`${LABEL[level]}  ${text}\n`);
  const findings: Finding[] = command.warnings.map((text) => ({ level: 'note', text }));
  findings.forEach(write);
  const mastra = await checkMastra(config);
  mastra.findings.forEach(write);
  findings.push(...mastra.findings);
  if (mastra.catalogue) {
    const lines = toolLines(mastra.catalogue);
    output.stdout.write(`Tools it would offer (${lines.length}):\n${lines.map((line) => `${line}\n`).join('')}`);
  }
  if (config.publicUrl !== undefined) {
    const remote = await checkRemote(config);
    remote.forEach(write);
    findings.push(...remote);
  }
  const problems = findings.filter((finding) => finding.level === 'problem');
  if (!problems.length) {
    output.stdout.write('All is well.\n');
    return 0;
  }
  output.stdout.write(`${problems.length} problem${problems.length === 1 ? '' : 's'} (the lines marked problem).\n`);
  return 1;
}
