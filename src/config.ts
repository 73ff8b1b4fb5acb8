import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { duration } from './kernel/duration.js';
import { rate } from './kernel/rate.js';
import { isSecureUrl } from './identity/secure-url.js';
import { LOG_FORMATS, LOG_LEVELS } from './log.js';

/** A mistake in the command line or environment: printed as one line, exit code 1. */
export class ConfigError extends Error {}

/** A number from a flag or env value; a blank one is an error, where coercion would make it 0. */
const numeric = <T extends z.ZodType>(schema: T) => z.preprocess((value) => (typeof value === 'string' && value.trim() === '' ? Number.NaN : value), schema);

const port = numeric(
  z.coerce
    .number({ error: 'must be a number from 0 to 65535' })
    .int('must be a whole number from 0 to 65535')
    .min(0, 'must be from 0 to 65535')
    .max(65535, 'must be from 0 to 65535'),
);

const positive = (unit: string, example: string, max = Number.MAX_SAFE_INTEGER) =>
  numeric(
    z.coerce
      .number({ error: `must be a positive number of ${unit}, e.g. ${example}` })
      .int(`must be a whole number of ${unit}, e.g. ${example}`)
      .positive(`must be a positive number of ${unit}, e.g. ${example}`)
      .max(max, `must be at most ${max} ${unit}`),
  );

/** A switch: the bare flag, or its env twin set to 1/true/yes or 0/false/no. */
const onOff = z
  .union([z.boolean(), z.enum(['1', 'true', 'yes', '0', 'false', 'no', ''], { error: 'must be true or false (1 or 0)' })])
  .transform((value) => value === true || value === '1' || value === 'true' || value === 'yes')
  .default(false);

/** "a, b" -> ["a", "b"]; blanks dropped; undefined when nothing is left, so the setting's default applies. */
const commaList = (raw: string): string[] | undefined => {
  const parts = raw
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
  return parts.length ? parts : undefined;
};

const list = z.string().transform(commaList).optional();
/** A list whose default is `fallback`: an empty one counts as unset. */
const listOr = (fallback: string[]) =>
  z
    .string()
    .optional()
    .transform((raw) => (raw === undefined ? undefined : commaList(raw)) ?? fallback);
// Credentials in the URL would be printed wherever the URL is (logs, errors), and fetch refuses them anyway.
const httpUrl = z
  .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL, e.g. http://localhost:4111' })
  .refine((url) => !/^https?:\/\/[^/]*@/.test(url), 'must not contain a user or password: put the token in JWT_TOKEN')
  // client-js appends /api/… to the base URL: a query or fragment would land before that path and break every request.
  .refine((url) => !/[?#]/.test(url), 'must not contain a query string or fragment (? or #): give the Mastra server address only')
  // `mastra dev` prints its API as http://localhost:4111/api; client-js adds /api itself, so that URL would 404 on every request.
  .transform((url) => url.replace(/\/+$/, '').replace(/\/api$/, ''));

/** OAuth URLs: https, since tokens and sign-ins go through them; plain http on loopback only, for development and tests. */
const secureUrl = (example: string) =>
  z
    .url({ protocol: /^https?$/, error: `must be an https:// URL, e.g. ${example}` })
    .refine(isSecureUrl, `must be an https:// URL (http:// only on loopback), e.g. ${example}`)
    .refine((url) => !/[?#]/.test(url) && !/^https?:\/\/[^/]*@/.test(url), 'must not contain a user, password, query string or fragment');

// A Redis URL carries its password: error lines print it masked (withoutCredentials).
const redisUrl = z.url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL, e.g. redis://localhost:6379 (rediss:// for TLS)' }).optional();

const redisPrefix = z.string().regex(/^\S{1,64}$/, 'must be 1 to 64 characters without spaces, e.g. mastra-agents-mcp:');

const globList = z
  .string()
  .transform(commaList)
  .refine((globs) => globs !== undefined, 'must be a comma-separated list of agent ids, * matching any characters, e.g. weather*,support')
  .optional();

// proxy-addr is loaded to check --trust-proxy only when it is given: every other start-up is spared it (about 3 ms).
const requireModule = createRequire(import.meta.url);

/** What proxy-addr (Express's `trust proxy`) accepts: addresses, CIDR ranges, and its names for private ranges. */
const proxyList = z
  .string()
  .transform(commaList)
  .refine((proxies) => {
    try {
      if (proxies) (requireModule('proxy-addr') as typeof import('proxy-addr')).compile(proxies);
      return true;
    } catch {
      return false;
    }
  }, 'must be a comma-separated list of IP addresses or CIDR ranges, or loopback, linklocal, uniquelocal, e.g. 10.0.0.0/8,loopback')
  .optional();

const toolPrefix = z.string().regex(/^[A-Za-z0-9_-]{0,32}$/, 'must be at most 32 characters from A-Z a-z 0-9 _ - (tool names allow nothing else)');

/** Where --help shows a setting; the groups print in this order (help.ts). */
export const GROUPS = {
  mastra: 'Mastra (what every bridge needs first)',
  transport: 'Transport',
  offered: 'Which agents and workflows, under which names',
  calls: 'Calls',
  http: 'HTTP (with --transport http)',
  replicas: 'Many replicas (with --transport http): see the README, "Running many replicas"',
  oauth: 'OAuth (with --transport http): callers sign in at an OAuth authorization server',
  tasks: 'Tasks (and Redis, to share them between replicas)',
  workflows: 'Workflows that suspend (resume_<id>)',
  logging: 'Logging',
  operating: 'Operating: metrics (see the README, "Operating the bridge")',
} as const;

/** One setting: its flag (none for secrets, which would show in ps), its environment twin, and what --help says of it. */
interface Setting {
  flag?: string;
  env: string;
  /** Read when `env` is unset. */
  otherEnv?: string;
  /** An old name that reads a bare number as milliseconds. */
  legacyMsEnv?: string;
  /** A switch: the bare flag turns it on. */
  boolean?: true;
  /** What --help writes for the flag's value; TIME and BYTES also say how its default is shown (a duration, a byte size). */
  arg?: string;
  group: keyof typeof GROUPS;
  help: string;
  /** The default in words, where it is no one value: made from another setting, or what happens without one. */
  shownDefault?: string;
  schema: z.ZodType;
}

/** Each setting with its flag and environment twin; the flag wins. The only place a default is written. */
export const SETTINGS = {
  baseUrl: {
    flag: 'mastra-url',
    env: 'MASTRA_BASE_URL',
    arg: 'URL',
    group: 'mastra',
    help: 'the Mastra server; a trailing /api is dropped',
    schema: httpUrl.default('http://localhost:4111'),
  },
  // Never part of an error line: any string is accepted. MASTRA_JWT_TOKEN is the name Mastra's own JWT docs use.
  serviceToken: {
    env: 'JWT_TOKEN',
    otherEnv: 'MASTRA_JWT_TOKEN',
    group: 'mastra',
    help: 'the Mastra token, alone (the bridge sends "Authorization: Bearer <it>"), when Mastra requires one: every call over stdio; over HTTP, token-less callers and the tool listing (without it, each caller lists with their own); MASTRA_JWT_TOKEN, the name Mastra\'s own docs use, is read when JWT_TOKEN is unset',
    shownDefault: 'none',
    schema: z.string().optional(),
  },
  transport: {
    flag: 'transport',
    env: 'MCP_TRANSPORT',
    arg: 'stdio|http',
    group: 'transport',
    help: 'how clients connect',
    schema: z.enum(['stdio', 'http'], { error: 'must be stdio or http' }).default('stdio'),
  },
  host: {
    flag: 'host',
    env: 'MCP_HOST',
    arg: 'ADDRESS',
    group: 'transport',
    help: 'HTTP bind address',
    schema: z.string().min(1, 'must not be empty').default('127.0.0.1'),
  },
  port: { flag: 'port', env: 'MCP_PORT', arg: 'N', group: 'transport', help: 'HTTP port, 0 picks a free one', schema: port.default(3000) },
  // The 2026-07-28 listing's cache hint (ttlMs) says the same: the tool list changes when the bridge re-lists.
  refreshIntervalMs: {
    flag: 'refresh-interval',
    env: 'MCP_REFRESH_INTERVAL',
    arg: 'TIME',
    group: 'offered',
    help: 're-list the agents this often, and tell 2026-07-28 clients they may cache the tool list this long; 0 turns re-listing off (and the cache hint: ttlMs 0)',
    schema: duration('turns re-listing off').default(60_000),
  },
  retryMaxDelayMs: {
    flag: 'retry-max-delay',
    env: 'MCP_RETRY_MAX_DELAY',
    arg: 'TIME',
    group: 'offered',
    help: 'while Mastra cannot be listed, retry after 1s, 2s, 4s … up to this',
    schema: duration().default(30_000),
  },
  include: {
    flag: 'include',
    env: 'MCP_INCLUDE_AGENTS',
    arg: 'IDS',
    group: 'offered',
    help: 'offer only these agents and workflows: comma-separated ids, * matches any characters; agent:GLOB or workflow:GLOB applies to that kind only',
    shownDefault: 'all',
    schema: globList,
  },
  exclude: {
    flag: 'exclude',
    env: 'MCP_EXCLUDE_AGENTS',
    arg: 'IDS',
    group: 'offered',
    help: 'never offer these (same form; wins), e.g. workflow:* offers no workflow',
    shownDefault: 'none',
    schema: globList,
  },
  toolPrefix: {
    flag: 'tool-prefix',
    env: 'MCP_TOOL_PREFIX',
    arg: 'PREFIX',
    group: 'offered',
    help: 'tool name prefix, up to 32 of A-Za-z0-9_-',
    schema: toolPrefix.default('ask_'),
  },
  workflowPrefix: {
    flag: 'workflow-prefix',
    env: 'MCP_WORKFLOW_PREFIX',
    arg: 'PREFIX',
    group: 'offered',
    help: 'workflow tool name prefix, same form; a workflow that can suspend also gets resume_<id>',
    schema: toolPrefix.default('run_'),
  },
  // 44: Claude Code calls a tool mcp__<server>__<tool>, and a name over 64 breaks its tool search; 44 leaves 20 for
  // "mcp__", a server name such as "mastra-agents" and "__".
  maxToolName: {
    flag: 'max-tool-name',
    env: 'MCP_MAX_TOOL_NAME',
    arg: 'N',
    group: 'offered',
    help: "longest tool name: a longer one is cut and ends with a short hash of its id, so that a client's prefixed name (Claude Code's mcp__<server>__<tool>) stays within 64",
    schema: positive('characters', '44', 128).default(44),
  },
  describeFromInstructions: {
    flag: 'describe-from-instructions',
    env: 'MCP_DESCRIBE_FROM_INSTRUCTIONS',
    boolean: true,
    group: 'offered',
    help: 'describe an agent that has no description by the first paragraph of its instructions (they are its system prompt and may hold secrets)',
    schema: onOff,
  },
  requireToken: {
    flag: 'require-token',
    env: 'MCP_REQUIRE_TOKEN',
    boolean: true,
    group: 'http',
    help: 'refuse sessions without "Authorization: Bearer <Mastra token>" (403)',
    schema: onOff,
  },
  allowAnonymous: {
    flag: 'allow-anonymous',
    env: 'MCP_ALLOW_ANONYMOUS',
    boolean: true,
    group: 'http',
    help: 'on a non-loopback --host, let sessions without a token use JWT_TOKEN',
    schema: onOff,
  },
  // Made from --host where the bridge starts (transports/web-safety.ts): on a wildcard bind, every address of the machine.
  allowedHosts: {
    flag: 'allowed-hosts',
    env: 'MCP_ALLOWED_HOSTS',
    arg: 'LIST',
    group: 'http',
    help: 'Host header values accepted, comma-separated, e.g. mcp.example.com',
    shownDefault: 'localhost, 127.0.0.1, [::1] and the bind address',
    schema: list,
  },
  allowedOrigins: {
    flag: 'allowed-origins',
    env: 'MCP_ALLOWED_ORIGINS',
    arg: 'LIST',
    group: 'http',
    help: 'Origin values accepted (proxies, server-side clients; no CORS), e.g. https://app.example.com',
    shownDefault: "only the bridge's own origin",
    schema: list,
  },
  trustProxy: {
    flag: 'trust-proxy',
    env: 'MCP_TRUST_PROXY',
    arg: 'LIST',
    group: 'http',
    help: 'reverse proxies in front of the bridge (IP addresses, CIDR ranges, or loopback, linklocal, uniquelocal): a request through them counts as from the client their X-Forwarded-For names, for the limit of failed token checks',
    shownDefault: 'none: the TCP peer is the client',
    schema: proxyList,
  },
  maxBody: {
    flag: 'max-body',
    env: 'MCP_MAX_BODY',
    arg: 'BYTES',
    group: 'http',
    help: 'largest request body; larger gets 413',
    schema: positive('bytes', '1048576').default(1_048_576),
  },
  maxSessions: {
    flag: 'max-sessions',
    env: 'MCP_MAX_SESSIONS',
    arg: 'N',
    group: 'http',
    help: 'open sessions and listen streams at most, together; more gets 503',
    schema: positive('sessions', '1000').default(1000),
  },
  maxSessionsPerIdentity: {
    flag: 'max-sessions-per-identity',
    env: 'MCP_MAX_SESSIONS_PER_IDENTITY',
    arg: 'N',
    group: 'http',
    help: 'open sessions and listen streams of one token at most, token-less ones counting as one; more gets 429',
    schema: positive('sessions', '32').default(32),
  },
  perUserCatalogue: {
    flag: 'per-user-catalogue',
    env: 'MCP_PER_USER_CATALOGUE',
    boolean: true,
    group: 'http',
    help: 'each caller sees its own listing of the agents, even when JWT_TOKEN is set (for apps that show users different agents)',
    schema: onOff,
  },
  sessionIdleTimeoutMs: {
    flag: 'session-idle-timeout',
    env: 'MCP_SESSION_IDLE_TIMEOUT',
    arg: 'TIME',
    group: 'http',
    help: 'close a session (or listen stream) idle this long',
    schema: duration().default(1_800_000),
  },
  shutdownGraceMs: {
    flag: 'shutdown-grace',
    env: 'MCP_SHUTDOWN_GRACE',
    arg: 'TIME',
    group: 'http',
    help: 'time in-flight calls get to finish on SIGINT/SIGTERM',
    schema: duration().default(10_000),
  },
  // Claude Code shows a result over about 25k tokens only as a short preview, unless its tool declares a larger
  // _meta["anthropic/maxResultSizeChars"] (up to 500,000); 100,000 characters is about those 25k tokens of text, so a
  // model's context is spent as Claude Code would spend it, but on the bridge's cut, which says where the rest is.
  maxResultChars: {
    flag: 'max-result-chars',
    env: 'MCP_MAX_RESULT_CHARS',
    arg: 'N',
    group: 'calls',
    help: 'longest text of a result: a longer answer or output is cut, with a line saying how much and where the rest is (structuredContent keeps it whole); tools declare it to Claude Code as _meta["anthropic/maxResultSizeChars"] (at most 500000)',
    schema: positive('characters', '100000').default(100_000),
  },
  // Ten minutes: long enough for an agent that calls tools, short enough that a stuck run is noticed.
  callTimeoutMs: {
    flag: 'call-timeout',
    env: 'MCP_CALL_TIMEOUT',
    legacyMsEnv: 'MCP_CALL_TIMEOUT_MS',
    arg: 'TIME',
    group: 'calls',
    help: 'stop an agent run after this long; 0 for no limit',
    schema: duration('no limit').default(600_000),
  },
  taskTtlMaxMs: {
    flag: 'task-ttl-max',
    env: 'MCP_TASK_TTL_MAX',
    legacyMsEnv: 'MCP_TASK_TTL_MAX_MS',
    arg: 'TIME',
    group: 'tasks',
    help: 'longest TTL a task may have, and the TTL of one that asks for none',
    schema: duration().default(3_600_000),
  },
  maxTasksPerSession: {
    flag: 'max-tasks-per-session',
    env: 'MCP_MAX_TASKS_PER_SESSION',
    arg: 'N',
    group: 'tasks',
    help: 'agent tasks one session may run at once',
    schema: positive('tasks', '10').default(10),
  },
  taskResultsMaxPerSession: {
    flag: 'task-results-max-per-session',
    env: 'MCP_TASK_RESULTS_MAX_PER_SESSION',
    arg: 'BYTES',
    group: 'tasks',
    help: "finished tasks' results one session keeps, as JSON; the oldest are dropped first",
    schema: positive('bytes', '67108864').default(67_108_864),
  },
  taskResultsMax: {
    flag: 'task-results-max',
    env: 'MCP_TASK_RESULTS_MAX',
    arg: 'BYTES',
    group: 'tasks',
    help: 'the same for all sessions together',
    schema: positive('bytes', '268435456').default(268_435_456),
  },
  oauthIssuer: {
    flag: 'oauth-issuer',
    env: 'MCP_OAUTH_ISSUER',
    arg: 'URL',
    group: 'oauth',
    help: 'the authorization server; its JWTs are the only tokens accepted',
    shownDefault: 'none: callers bring Mastra tokens',
    schema: secureUrl('https://login.example.com/').optional(),
  },
  // The resource is <public URL>/mcp: a trailing /mcp given here is the same URL.
  publicUrl: {
    flag: 'public-url',
    env: 'MCP_PUBLIC_URL',
    arg: 'URL',
    group: 'oauth',
    help: 'the URL clients use, e.g. https://mcp.example.com (needed with --oauth-issuer); https, http only on loopback',
    schema: secureUrl('https://mcp.example.com')
      .transform((url) => url.replace(/\/+$/, '').replace(/\/mcp$/, ''))
      .optional(),
  },
  // Made from --public-url once both are read (withDerived).
  oauthAudience: {
    flag: 'oauth-audience',
    env: 'MCP_OAUTH_AUDIENCE',
    arg: 'AUD',
    group: 'oauth',
    help: 'the aud tokens must name',
    shownDefault: '<public URL>/mcp',
    schema: z.string().min(1, 'must not be empty').optional(),
  },
  oauthScopes: {
    flag: 'oauth-scopes',
    env: 'MCP_OAUTH_SCOPES',
    arg: 'LIST',
    group: 'oauth',
    help: 'scopes every token must grant, comma-separated',
    schema: listOr([]),
  },
  mastraAuth: {
    flag: 'mastra-auth',
    env: 'MCP_MASTRA_AUTH',
    arg: 'MODE',
    group: 'oauth',
    help: "how a user reaches Mastra: mint (a short-lived JWT signed with MASTRA_JWT_SECRET for MastraJwtAuth) or passthrough (the user's own token, when Mastra accepts this issuer's tokens)",
    schema: z.enum(['mint', 'passthrough'], { error: 'must be mint or passthrough' }).default('mint'),
  },
  mintClaims: {
    flag: 'mint-claims',
    env: 'MCP_MINT_CLAIMS',
    arg: 'LIST',
    group: 'oauth',
    help: "claims of the user's token copied into the minted JWT besides sub",
    schema: listOr(['email', 'name']),
  },
  // Never part of an error line: any string is accepted.
  mastraJwtSecret: {
    env: 'MASTRA_JWT_SECRET',
    group: 'oauth',
    help: "the HS256 secret of the Mastra app's MastraJwtAuth, for --mastra-auth mint",
    schema: z.string().optional(),
  },
  oauthIntrospectionUrl: {
    flag: 'oauth-introspection-url',
    env: 'MCP_OAUTH_INTROSPECTION_URL',
    arg: 'URL',
    group: 'oauth',
    help: "read opaque access tokens at this RFC 7662 endpoint (JWTs are still verified locally), as the bridge's client MCP_OAUTH_CLIENT_ID / MCP_OAUTH_CLIENT_SECRET; https, http only on loopback",
    schema: secureUrl('https://login.example.com/oauth/introspect').optional(),
  },
  // The bridge's own client at the authorization server, for introspection: environment only, never flags (they show in ps).
  oauthClientId: {
    env: 'MCP_OAUTH_CLIENT_ID',
    group: 'oauth',
    help: "the bridge's client at the authorization server, for --oauth-introspection-url (HTTP Basic authentication)",
    schema: z.string().optional(),
  },
  oauthClientSecret: { env: 'MCP_OAUTH_CLIENT_SECRET', group: 'oauth', help: 'the secret of that client', schema: z.string().optional() },
  // Many replicas: 2025 without sessions, or session ids that name their replica for header affinity.
  stateless: {
    flag: 'stateless',
    env: 'MCP_STATELESS',
    boolean: true,
    group: 'replicas',
    help: 'serve 2025-11-25 clients without sessions too: every POST stands alone, so a plain round-robin balancer works for both eras (GET and DELETE answer 405; no list_changed stream)',
    schema: onOff,
  },
  replicaId: {
    flag: 'replica-id',
    env: 'MCP_REPLICA_ID',
    arg: 'ID',
    group: 'replicas',
    help: 'start every session id with "ID.", so a balancer can send a session to its replica by the Mcp-Session-Id header, e.g. r1',
    shownDefault: 'none',
    schema: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,32}$/, 'must be 1 to 32 characters from A-Z a-z 0-9 _ - (it starts every session id), e.g. r1')
      .optional(),
  },
  redisUrl: {
    flag: 'redis-url',
    env: 'MCP_REDIS_URL',
    arg: 'URL',
    group: 'tasks',
    help: 'keep tasks of both eras in this Redis, e.g. redis://redis:6379 or rediss://user:password@redis:6380',
    shownDefault: "in this process's memory",
    schema: redisUrl,
  },
  redisPrefix: {
    flag: 'redis-prefix',
    env: 'MCP_REDIS_PREFIX',
    arg: 'PREFIX',
    group: 'tasks',
    help: 'start of every key and channel, so bridges can share one Redis',
    schema: redisPrefix.default('mastra-agents-mcp:'),
  },
  taskLeaseMs: {
    flag: 'task-lease',
    env: 'MCP_TASK_LEASE',
    arg: 'TIME',
    group: 'tasks',
    help: 'with Redis: a task its replica has not renewed for this long, while Redis heard the others, becomes failed, until that replica comes back',
    schema: duration().default(30_000),
  },
  // A person in the loop.
  autoApproveTools: {
    flag: 'auto-approve-tools',
    env: 'MCP_AUTO_APPROVE_TOOLS',
    boolean: true,
    group: 'calls',
    help: 'approve every agent tool call that needs approval without asking; when off, the person is asked through the client, and a client that cannot be asked has the call declined',
    schema: onOff,
  },
  // Who may continue a suspended workflow run: the identity that started it, for this long. A day, the longest
  // any time setting may be: a suspended run waits in Mastra for as long as its person takes, well beyond a task
  // (--task-ttl-max, 1 hour) or a request state (30 minutes); each resume by the owner opens the window again.
  runOwnerTtlMs: {
    flag: 'run-owner-ttl',
    env: 'MCP_RUN_OWNER_TTL',
    arg: 'TIME',
    group: 'workflows',
    help: "how long a workflow run stays its starter's: only they resume or cancel it with resume_<id>; each resume renews it",
    schema: duration().default(86_400_000),
  },
  resumeForeignRuns: {
    flag: 'resume-foreign-runs',
    env: 'MCP_RESUME_FOREIGN_RUNS',
    boolean: true,
    group: 'workflows',
    help: "let anyone resume or cancel with resume_<id> a run the bridge has no record of starting (one started in Mastra's Studio, or forgotten); runs it started stay their starter's",
    schema: onOff,
  },
  // Never part of an error line: any string is accepted here, its length is checked apart.
  requestStateSecret: {
    env: 'MCP_REQUEST_STATE_SECRET',
    group: 'replicas',
    help: "at least 32 characters: the key that seals a 2026-07-28 input_required result's requestState; give every replica the same one",
    shownDefault: 'a random key of this process: the retry must reach the same process',
    schema: z.string().optional(),
  },
  rateLimit: {
    flag: 'rate-limit',
    env: 'MCP_RATE_LIMIT',
    arg: 'N/TIME',
    group: 'calls',
    help: 'at most N tool calls (task creations included) per caller per TIME, e.g. 60/1m; over it HTTP 429 with Retry-After (a JSON-RPC error over stdio); with --redis-url shared by every replica (one Redis round trip per call)',
    shownDefault: 'none',
    schema: rate.optional(),
  },
  logLevel: {
    flag: 'log-level',
    env: 'LOG_LEVEL',
    arg: LOG_LEVELS.join('|'),
    group: 'logging',
    help: 'logs go to stderr',
    schema: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
  },
  logFormat: {
    flag: 'log-format',
    env: 'MCP_LOG_FORMAT',
    arg: LOG_FORMATS.join('|'),
    group: 'logging',
    help: "json: every stderr line is one JSON object (time, level, msg and the line's fields)",
    schema: z.enum(LOG_FORMATS, { error: `must be one of ${LOG_FORMATS.join(', ')}` }).default('text'),
  },
  metrics: {
    flag: 'metrics',
    env: 'MCP_METRICS',
    boolean: true,
    group: 'operating',
    help: 'serve Prometheus metrics at GET /metrics on the HTTP port (or on --metrics-port)',
    schema: onOff,
  },
  metricsPort: {
    flag: 'metrics-port',
    env: 'MCP_METRICS_PORT',
    arg: 'PORT',
    group: 'operating',
    help: 'serve /metrics on this port of --host instead (the only way beside stdio)',
    shownDefault: 'the HTTP port',
    schema: port.optional(),
  },
  // Never part of an error line: any string is accepted.
  metricsToken: {
    env: 'MCP_METRICS_TOKEN',
    group: 'operating',
    help: 'scraping /metrics needs "Authorization: Bearer <it>"',
    shownDefault: 'none: /metrics is open to whoever reaches it',
    schema: z.string().optional(),
  },
} as const satisfies Record<string, Setting>;

/**
 * Values no flag sets, which modules take as options all the same (tests shorten them): written
 * once, here beside the settings, and passed down by name as the settings are.
 */
export const FIXED = {
  /** How often clients are asked to poll a task. */
  pollIntervalMs: 1_000,
  /** Progress: routine updates at most this often; a "still working" after this much silence, so clients that reset their timeout on progress keep waiting. */
  progress: { coalesceMs: 100, heartbeatMs: 5_000 },
  /** The first retry of a failed listing; it doubles up to --retry-max-delay. */
  firstRetryDelayMs: 1_000,
  /** A listing without an answer this long has failed, so a hung Mastra cannot stall the bridge. */
  listTimeoutMs: 10_000,
  /** How long a token check's outcome (accepted or refused) is trusted, and an own listing with it. */
  tokenCheckTtlMs: 60_000,
  /**
   * 20 failed token checks per client address per 10 s: more than a person or a client refreshing its
   * tokens ever needs (an expired token costs one), and 2 per second on average for a flood of made-up
   * tokens instead of one check at Mastra or the authorization server for each.
   */
  failedTokenChecks: { burst: 20, windowS: 10 },
  /** How far the clocks of the bridge and an OAuth authorization server may differ, in seconds. */
  clockToleranceS: 30,
  /** jose's wait between two JWKS fetches for an unknown key id. */
  jwksCooldownMs: 30_000,
} as const;

type Settings = typeof SETTINGS;
export type Config = { [K in keyof Settings]: z.output<Settings[K]['schema']> };

/** The value as the error line shows it: a URL's user and password are never printed. */
const withoutCredentials = (raw: unknown) => (typeof raw === 'string' ? raw.replace(/^(\w+:\/\/)[^/@]*@/, '$1***@') : raw);

/** `warnings`: what was taken in a form other than the one written, for the log once it exists. */
export type Command = { kind: 'help' } | { kind: 'version' } | { kind: 'run'; config: Config; warnings: string[] };

/** Reads argv and env (and nothing else) into a validated config; every problem is one line. */
export function parseCommand(argv: readonly string[], env: NodeJS.ProcessEnv): Command {
  const flags = Object.values(SETTINGS).flatMap((s) => ('flag' in s && !('boolean' in s) ? [s.flag] : []));
  const switches = Object.values(SETTINGS).flatMap((s) => ('boolean' in s ? [s.flag] : []));
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...argv],
      options: {
        ...Object.fromEntries(flags.map((flag) => [flag, { type: 'string' as const }])),
        ...Object.fromEntries(switches.map((flag) => [flag, { type: 'boolean' as const }])),
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
      strict: true,
      allowPositionals: true,
    }));
  } catch (error) {
    throw new ConfigError(`${(error as Error).message.split('\n')[0]} (see --help)`);
  }
  if (positionals.length) throw new ConfigError(positionalProblem(positionals[0]!));
  if (values.help) return { kind: 'help' };
  if (values.version) return { kind: 'version' };

  const config: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, setting] of Object.entries(SETTINGS)) {
    const fromFlag = 'flag' in setting ? values[setting.flag] : undefined;
    const fromEnv = env[setting.env] || ('otherEnv' in setting ? env[setting.otherEnv] : undefined) || undefined;
    // The old env names say "MS": they keep meaning a bare number of milliseconds.
    const legacy = 'legacyMsEnv' in setting && fromFlag === undefined && fromEnv === undefined ? env[setting.legacyMsEnv] || undefined : undefined;
    const raw = fromFlag ?? fromEnv ?? (legacy && /^\s*\d+\s*$/.test(legacy) ? `${legacy.trim()}ms` : legacy);
    const result = (setting.schema as z.ZodType).safeParse(raw);
    const name =
      fromFlag !== undefined && 'flag' in setting ? `--${setting.flag}` : legacy !== undefined && 'legacyMsEnv' in setting ? setting.legacyMsEnv : setting.env;
    if (result.success) config[key] = result.data;
    else problems.push(`${name}=${JSON.stringify(withoutCredentials(legacy ?? raw))} ${result.error.issues[0]?.message ?? 'is invalid'}`);
  }
  if (!problems.length) problems.push(...oauthProblems(config as Config), ...requestStateProblems(config as Config), ...metricsProblems(config as Config));
  if (problems.length) throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  const warnings = [
    ...stdioWarnings(values, config as Config),
    ...urlWarnings(values['mastra-url'] ?? env.MASTRA_BASE_URL, values['mastra-url'] !== undefined),
    ...tokenWarnings(config, env),
  ];
  return { kind: 'run', config: withDerived(config as Config), warnings };
}

/** The settings of a bridge started with no flag and no environment: every default, as the table writes it. */
export function defaultConfig(): Config {
  const command = parseCommand([], {});
  if (command.kind !== 'run') throw new Error('an empty command line runs the bridge');
  return command.config;
}

/** Defaults made from another setting: the OAuth resource a token must name is this bridge's own. */
function withDerived(config: Config): Config {
  return { ...config, oauthAudience: config.oauthAudience ?? (config.publicUrl === undefined ? undefined : `${config.publicUrl}/mcp`) };
}

/** A bare argument: a URL is most likely the Mastra server, which has its own flag. */
function positionalProblem(argument: string): string {
  const shown = JSON.stringify(withoutCredentials(argument));
  return /^https?:\/\//i.test(argument)
    ? `unexpected argument ${shown}: give the Mastra server as --mastra-url ${withoutCredentials(argument)} (or in MASTRA_BASE_URL)`
    : `unexpected argument ${shown}: the bridge takes only options, and the subcommands doctor and install (see --help)`;
}

/** What only HTTP reads, given as flags to a stdio bridge: said once, so that a --port copied from an HTTP example does not look taken. */
const HTTP_GROUPS: readonly string[] = ['http', 'replicas', 'oauth'];
function stdioWarnings(values: Record<string, string | boolean | undefined>, config: Config): string[] {
  if (config.transport !== 'stdio') return [];
  const ignored = Object.entries(SETTINGS).flatMap(([key, setting]) =>
    // --public-url also tells `doctor` where the bridge runs, whatever this process serves.
    'flag' in setting && values[setting.flag] !== undefined && key !== 'publicUrl' && (HTTP_GROUPS.includes(setting.group) || key === 'host' || key === 'port')
      ? [`--${setting.flag}`]
      : [],
  );
  return ignored.length ? [`${ignored.join(', ')} ${ignored.length === 1 ? 'is' : 'are'} for --transport http: ignored, since this bridge serves stdio`] : [];
}

/** `mastra dev` prints its API as …/api; client-js adds /api itself, so the bridge drops it, and says so. */
function urlWarnings(raw: unknown, fromFlag: boolean): string[] {
  if (typeof raw !== 'string' || !/\/api\/*$/.test(raw)) return [];
  const name = fromFlag ? '--mastra-url' : 'MASTRA_BASE_URL';
  return [
    `${name} ends with /api, which client-js adds itself: using ${raw.replace(/\/+$/, '').replace(/\/api$/, '')} (write the Mastra server's address without /api)`,
  ];
}

/** A token pasted with its "Bearer " would be sent as "Bearer Bearer …", which no server accepts: it is taken off, and said. */
function tokenWarnings(config: { serviceToken?: string }, env: NodeJS.ProcessEnv): string[] {
  const token = config.serviceToken;
  const prefix = token && /^\s*Bearer\s+/i.exec(token);
  if (!token || !prefix) return [];
  const name = env.JWT_TOKEN ? 'JWT_TOKEN' : 'MASTRA_JWT_TOKEN';
  config.serviceToken = token.slice(prefix[0].length).trim() || undefined;
  return [`${name} starts with "Bearer ", which the bridge adds itself: using the token without it (set ${name} to the token alone)`];
}

/** A short secret would make sealed request state guessable; the value itself is never printed. */
function requestStateProblems(config: Config): string[] {
  const secret = config.requestStateSecret;
  return secret !== undefined && secret.length < 32
    ? [`MCP_REQUEST_STATE_SECRET must be at least 32 characters (it has ${secret.length}), e.g. from: openssl rand -base64 32`]
    : [];
}

/** Metrics need a port of their own where no HTTP port exists; a port or token alone would serve nothing. */
function metricsProblems(config: Config): string[] {
  if (!config.metrics)
    return config.metricsPort !== undefined || config.metricsToken !== undefined
      ? [`${config.metricsPort !== undefined ? '--metrics-port' : 'MCP_METRICS_TOKEN'} needs --metrics (MCP_METRICS=1), which turns metrics on`]
      : [];
  if (config.transport === 'stdio' && config.metricsPort === undefined)
    return ['--metrics over stdio needs --metrics-port (MCP_METRICS_PORT): stdout carries only MCP, so /metrics needs a port of its own'];
  return [];
}

/** Settings that are valid alone but cannot work together. */
function oauthProblems(config: Config): string[] {
  const introspection = config.oauthIntrospectionUrl !== undefined;
  if (config.oauthIssuer === undefined)
    return introspection ? ['--oauth-introspection-url needs --oauth-issuer (MCP_OAUTH_ISSUER), the authorization server whose tokens it reads'] : [];
  if (introspection && (!config.oauthClientId || !config.oauthClientSecret))
    return [
      "--oauth-introspection-url needs MCP_OAUTH_CLIENT_ID and MCP_OAUTH_CLIENT_SECRET in the environment, the bridge's client at the authorization server",
    ];
  if (config.publicUrl === undefined)
    return ['--oauth-issuer needs --public-url (MCP_PUBLIC_URL), the https:// URL clients reach the bridge at, e.g. https://mcp.example.com'];
  if (config.mastraAuth === 'mint' && !config.mastraJwtSecret)
    return ["--mastra-auth mint needs MASTRA_JWT_SECRET, the secret of the Mastra app's MastraJwtAuth (or use --mastra-auth passthrough)"];
  return [];
}
