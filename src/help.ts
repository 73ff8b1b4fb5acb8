import { DURATION_FORMS } from './kernel/duration.js';
import { LOG_LEVELS } from './log.js';

/** What `--help` prints: every setting with its environment twin, grouped as the README's configuration table is. */
export const HELP = `mastra-agents-mcp: every agent of a Mastra server as an MCP tool.

Usage: mastra-agents-mcp [options]

Options (each has an environment twin; the flag wins). TIME is a duration: ${DURATION_FORMS};
a bare number other than 0 is refused, since it would not say its unit.
  --transport stdio|http   MCP_TRANSPORT   how clients connect (default: stdio)
  --host ADDRESS           MCP_HOST        HTTP bind address (default: 127.0.0.1)
  --port N                 MCP_PORT        HTTP port, 0 picks a free one (default: 3000)
  --include IDS            MCP_INCLUDE_AGENTS    offer only these agents and workflows: comma-separated
                                                 ids, * matches any characters; agent:GLOB or
                                                 workflow:GLOB applies to that kind only (default: all)
  --exclude IDS            MCP_EXCLUDE_AGENTS    never offer these (same form; wins), e.g.
                                                 workflow:* offers no workflow
  --tool-prefix PREFIX     MCP_TOOL_PREFIX       tool name prefix, up to 32 of A-Za-z0-9_-
                                                 (default: ask_)
  --workflow-prefix PREFIX MCP_WORKFLOW_PREFIX   workflow tool name prefix, same form (default: run_);
                                                 a workflow that can suspend also gets resume_<id>
  --describe-from-instructions  MCP_DESCRIBE_FROM_INSTRUCTIONS
                                                 describe an agent that has no description by the
                                                 first paragraph of its instructions (default: off,
                                                 they are its system prompt and may hold secrets)
  --refresh-interval TIME  MCP_REFRESH_INTERVAL  re-list the agents this often; 0 turns it off
                                                 (default: 60s)
  --retry-max-delay TIME   MCP_RETRY_MAX_DELAY   while Mastra cannot be listed, retry after
                                                 1s, 2s, 4s … up to this (default: 30s)
  --call-timeout TIME      MCP_CALL_TIMEOUT      stop an agent run after this long; 0 for no limit
                                                 (default: 10m; MCP_CALL_TIMEOUT_MS still reads ms)
  --task-ttl-max TIME      MCP_TASK_TTL_MAX      longest TTL a task may have, and the TTL of one that
                                                 asks for none (default: 1h; MCP_TASK_TTL_MAX_MS still reads ms)
  --max-tasks-per-session N  MCP_MAX_TASKS_PER_SESSION  agent tasks one session may run at once (default: 10)
  --task-results-max-per-session BYTES  MCP_TASK_RESULTS_MAX_PER_SESSION  finished tasks' results one session
                                        keeps, as JSON; the oldest are dropped first (default: 67108864, 64 MiB)
  --task-results-max BYTES              MCP_TASK_RESULTS_MAX  the same for all sessions together
                                        (default: 268435456, 256 MiB)
  --auto-approve-tools     MCP_AUTO_APPROVE_TOOLS  approve every agent tool call that needs approval
                                                 without asking (default: off: the person is asked
                                                 through the client, and a client that cannot be
                                                 asked has the call declined)
  --run-owner-ttl TIME     MCP_RUN_OWNER_TTL     how long a workflow run stays its starter's: only
                                                 they resume or cancel it with resume_<id>; each
                                                 resume renews it (default: 24h)
  --resume-foreign-runs    MCP_RESUME_FOREIGN_RUNS  let anyone resume or cancel with resume_<id> a
                                                 run the bridge has no record of starting (one
                                                 started in Mastra's Studio, or forgotten); runs
                                                 it started stay their starter's (default: off)
  --log-level LEVEL        LOG_LEVEL       ${LOG_LEVELS.join('|')} (default: info); logs go to stderr
  -h, --help                               print this help and exit
  -v, --version                            print the version and exit

HTTP options (with --transport http):
  --require-token          MCP_REQUIRE_TOKEN        refuse sessions without "Authorization: Bearer <Mastra token>" (403)
  --allow-anonymous        MCP_ALLOW_ANONYMOUS      on a non-loopback --host, let sessions without a token use JWT_TOKEN
  --allowed-hosts LIST     MCP_ALLOWED_HOSTS        Host header values accepted, comma-separated, e.g. mcp.example.com
                                                    (default: localhost, 127.0.0.1, [::1] and the bind address)
  --allowed-origins LIST   MCP_ALLOWED_ORIGINS      Origin values accepted (proxies, server-side clients; no CORS),
                                                    e.g. https://app.example.com
                                                    (default: only the bridge's own origin)
  --max-body BYTES         MCP_MAX_BODY             largest request body (default: 1048576); larger gets 413
  --max-sessions N         MCP_MAX_SESSIONS         open sessions and listen streams at most, together
                                                    (default: 1000); more gets 503
  --max-sessions-per-identity N  MCP_MAX_SESSIONS_PER_IDENTITY  open sessions and listen streams of one token at
                                                    most, token-less ones counting as one (default: 32); more gets 429
  --per-user-catalogue     MCP_PER_USER_CATALOGUE   each caller sees its own listing of the agents, even when
                                                    JWT_TOKEN is set (for apps that show users different agents)
  --session-idle-timeout TIME MCP_SESSION_IDLE_TIMEOUT  close a session (or listen stream) idle this long (default: 30m)
  --shutdown-grace TIME    MCP_SHUTDOWN_GRACE       time in-flight calls get to finish on SIGINT/SIGTERM (default: 10s)

Many replicas (with --transport http): see the README, "Running many replicas"
  --stateless              MCP_STATELESS            serve 2025-11-25 clients without sessions too: every POST stands
                                                    alone, so a plain round-robin balancer works for both eras
                                                    (GET and DELETE answer 405; no list_changed stream)
  --replica-id ID          MCP_REPLICA_ID           start every session id with "ID.", so a balancer can send a
                                                    session to its replica by the Mcp-Session-Id header, e.g. r1

OAuth options (with --transport http): callers sign in at an OAuth authorization server
  --oauth-issuer URL       MCP_OAUTH_ISSUER         the authorization server; its JWTs are the only tokens accepted
  --public-url URL         MCP_PUBLIC_URL           the URL clients use, e.g. https://mcp.example.com (needed with
                                                    --oauth-issuer); https, http only on loopback
  --oauth-audience AUD     MCP_OAUTH_AUDIENCE       the aud tokens must name (default: <public URL>/mcp)
  --oauth-scopes LIST      MCP_OAUTH_SCOPES         scopes every token must grant, comma-separated (default: none)
  --mastra-auth MODE       MCP_MASTRA_AUTH          how a user reaches Mastra: mint (a short-lived JWT signed with
                                                    MASTRA_JWT_SECRET for MastraJwtAuth) or passthrough (the user's
                                                    own token, when Mastra accepts this issuer's tokens) (default: mint)
  --mint-claims LIST       MCP_MINT_CLAIMS          claims of the user's token copied into the minted JWT besides sub
                                                    (default: email,name)
  --oauth-introspection-url URL  MCP_OAUTH_INTROSPECTION_URL  read opaque access tokens at this RFC 7662 endpoint
                                                    (JWTs are still verified locally), as the bridge's client
                                                    MCP_OAUTH_CLIENT_ID / MCP_OAUTH_CLIENT_SECRET; https, http only on loopback

Redis options (tasks shared by many replicas):
  --redis-url URL          MCP_REDIS_URL            keep tasks of both eras in this Redis, e.g. redis://redis:6379 or
                                                    rediss://user:password@redis:6380 (default: in this process's memory)
  --redis-prefix PREFIX    MCP_REDIS_PREFIX         start of every key and channel, so bridges can share one Redis
                                                    (default: mastra-agents-mcp:)
  --task-lease TIME        MCP_TASK_LEASE           a task its replica has not renewed for this long, while Redis
                                                    heard the others, becomes failed, until that replica comes
                                                    back (default: 30s)

Environment:
  MCP_REQUEST_STATE_SECRET  at least 32 characters: the key that seals a 2026-07-28 input_required
                    result's requestState; give every replica the same one (without it, a random key
                    of this process: the retry must reach the same process)
  MASTRA_JWT_SECRET the HS256 secret of the Mastra app's MastraJwtAuth, for --mastra-auth mint
  MCP_OAUTH_CLIENT_ID, MCP_OAUTH_CLIENT_SECRET  the bridge's client at the authorization server, for
                    --oauth-introspection-url (HTTP Basic authentication)
  MASTRA_BASE_URL   the Mastra server (default: http://localhost:4111); a trailing /api is dropped
  JWT_TOKEN         service-level Mastra token, sent as "Authorization: Bearer …": stdio, token-less
                    HTTP sessions, and the tool listing HTTP callers see (without it, each their own);
                    the token alone (a leading "Bearer " is taken off, with a warning)
  MASTRA_JWT_TOKEN  read when JWT_TOKEN is unset (the name Mastra's own JWT docs use)
`;
