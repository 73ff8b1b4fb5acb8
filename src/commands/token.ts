import { SignJWT } from 'jose';
import { parseArgs } from 'node:util';
import { SETTINGS } from '../config.js';
import { formatLogLine } from '../log.js';
import type { Output } from '../main.js';

const SECRET_ENV = SETTINGS.mastraJwtSecret.env;
const USAGE = `Usage: ${SECRET_ENV}=… mastra-agents-mcp token <user> [--expires 7d]

Prints a Mastra JWT for <user> (its "sub"), signed with ${SECRET_ENV} (HS256), the secret of the Mastra
app's MastraJwtAuth: one token per person, to try team mode. Only the token goes to stdout, so that
$(mastra-agents-mcp token ann) can be pasted into ${SETTINGS.serviceToken.env} or an Authorization header.

  --expires TIME   how long it is valid: 30m, 12h, 7d (default), 4w
`;

/** `mastra-agents-mcp token <user>`: a per-user Mastra JWT, for trying the bridge with per-person tokens. */
export async function run(argv: readonly string[], env: NodeJS.ProcessEnv, output: Output): Promise<number> {
  const fail = (message: string) => {
    output.stderr.write(formatLogLine('error', message));
    return 1;
  };
  let values: { expires?: string; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...argv],
      options: { expires: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    }));
  } catch (error) {
    return fail(`token: ${(error as Error).message.split('\n')[0]} (see token --help)`);
  }
  if (values.help) {
    output.stdout.write(USAGE);
    return 0;
  }
  const [user, ...extra] = positionals;
  if (!user?.trim() || extra.length) return fail('token needs one user, the "sub" of the token, e.g. token ann (see token --help)');
  const secret = env[SECRET_ENV];
  if (!secret) return fail(`token needs ${SECRET_ENV}, the secret of the Mastra app's MastraJwtAuth (the one Mastra checks tokens with)`);
  const expires = values.expires ?? '7d';
  if (!/^\d+\s*(m|min|mins|minutes?|h|hours?|d|days?|w|weeks?)$/i.test(expires))
    return fail(`--expires must be a number and a unit, e.g. 30m, 12h, 7d or 4w, not ${JSON.stringify(expires)}`);
  const token = await new SignJWT({ sub: user })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt()
    .setExpirationTime(expires)
    .sign(new TextEncoder().encode(secret));
  output.stdout.write(`${token}\n`);
  output.stderr.write(
    formatLogLine(
      'info',
      `a Mastra JWT for "${user}", valid for ${expires}: give it to that person as their ${SETTINGS.serviceToken.env} (stdio) or Bearer token (HTTP)`,
    ),
  );
  return 0;
}
