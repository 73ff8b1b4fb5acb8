import { decodeJwt } from 'jose';
import { Catalogue } from '../catalogue/catalogue.js';
import { refreshWithin } from '../catalogue/refresh.js';
import { FIXED, type Config } from '../config.js';
import { refusedBy, upstreamReason, wrongUpstream } from '../kernel/errors.js';
import { isSecureUrl } from '../identity/secure-url.js';
import { createMastraClient } from '../mastra-client.js';
import { catalogueSettings } from '../module-options.js';

/** One line of the doctor's report: a problem makes it exit non-zero; a note is worth knowing; ok is a check that passed. */
export interface Finding {
  level: 'ok' | 'note' | 'problem';
  text: string;
}

/** What the doctor found at Mastra, and the catalogue it would serve when the listing worked. */
export interface MastraReport {
  findings: Finding[];
  catalogue?: Catalogue;
}

const statusOf = (error: unknown) => (error as { status?: unknown } | undefined)?.status;

/** When a token that looks like a JWT has expired, and when: the token itself is never printed. */
function expiry(token: string): string | undefined {
  try {
    const { exp } = decodeJwt(token);
    return typeof exp === 'number' && exp * 1000 < Date.now() ? `it expired at ${new Date(exp * 1000).toISOString()}` : undefined;
  } catch {
    return undefined;
  }
}

/** Why the listing failed, in one line saying what to do. */
function listingProblem(error: unknown, config: Config): Finding {
  const { baseUrl, serviceToken } = config;
  const reason = upstreamReason(error);
  const status = statusOf(error);
  if (status === 401 || status === 403) {
    if (serviceToken === undefined)
      return config.transport === 'http'
        ? {
            level: 'note',
            text: `Mastra at ${baseUrl} requires a token to list agents and JWT_TOKEN is not set: each HTTP caller sees what its own token lists; token-less callers see nothing (${reason})`,
          }
        : { level: 'problem', text: `Mastra at ${baseUrl} requires a token and JWT_TOKEN is not set (${reason}): set JWT_TOKEN to a token it accepts` };
    const expired = expiry(serviceToken);
    return {
      level: 'problem',
      text: `${refusedBy(error)} at ${baseUrl} refused JWT_TOKEN (${reason})${expired ? `: ${expired}` : ''}; set JWT_TOKEN to a token this Mastra server accepts`,
    };
  }
  const wrong = wrongUpstream(error, baseUrl);
  if (wrong) return { level: 'problem', text: `${baseUrl} is not Mastra's API (${reason}). ${wrong}` };
  if (status === 404)
    return { level: 'problem', text: `${baseUrl} has no Mastra API at ${baseUrl}/api (${reason}): set MASTRA_BASE_URL to the Mastra server's address` };
  if (typeof status === 'number') return { level: 'problem', text: `Mastra at ${baseUrl} failed to list its agents (${reason}); see its logs` };
  return { level: 'problem', text: `Cannot reach the Mastra server at ${baseUrl} (${reason}). Is Mastra running, and is MASTRA_BASE_URL its address?` };
}

/** The token as the report may speak of it: set or not, never its value. */
function tokenFindings(config: Config): Finding[] {
  if (config.serviceToken === undefined)
    return [{ level: 'note', text: 'JWT_TOKEN (or MASTRA_JWT_TOKEN) is not set: the bridge lists and calls Mastra without a token' }];
  const plain = !isSecureUrl(config.baseUrl);
  return plain ? [{ level: 'note', text: `JWT_TOKEN travels unencrypted to ${config.baseUrl}: use https:// if Mastra is reached over a network` }] : [];
}

/** Lists Mastra once as the bridge would, with its settings: the URL, the token, the listing and what it leaves out. */
export async function checkMastra(config: Config): Promise<MastraReport> {
  const findings = tokenFindings(config);
  const client = createMastraClient(config.serviceToken, { baseUrl: config.baseUrl });
  const catalogue = new Catalogue({ ...catalogueSettings(config), client, askMemory: false });
  const started = performance.now();
  let result: Awaited<ReturnType<Catalogue['refresh']>>;
  try {
    result = await refreshWithin(catalogue, FIXED.listTimeoutMs);
  } catch (error) {
    return { findings: [...findings, listingProblem(error, config)] };
  }
  const ms = Math.round(performance.now() - started);
  const token = config.serviceToken === undefined ? '' : ' with JWT_TOKEN, which it accepts';
  findings.push({
    level: 'ok',
    text: `Mastra at ${config.baseUrl} listed ${result.listed.length} agents and ${result.listedWorkflows.length} workflows${token} (${ms} ms)`,
  });
  for (const glob of result.unmatchedIncludes)
    findings.push({ level: 'problem', text: `--include "${glob}" (MCP_INCLUDE_AGENTS) matches no agent or workflow at ${config.baseUrl}` });
  for (const left of result.leftOut)
    findings.push({ level: left.byFilter ? 'note' : 'problem', text: `the ${left.kind} "${left.id}" is left out: ${left.reason}` });
  if (result.workflowsRefused)
    findings.push({
      level: 'problem',
      text: `Mastra refused to list its workflows (${result.workflowsRefused}): the token may not list workflows, so none is offered (--exclude 'workflow:*' says you want none)`,
    });
  if (catalogue.tools.length + catalogue.workflows.length === 0) findings.push({ level: 'problem', text: 'no tool would be offered' });
  return { findings, catalogue };
}
