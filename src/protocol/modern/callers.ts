import type { MastraClient } from '@mastra/client-js';
import { createHash } from 'node:crypto';
import type { AgentCatalogue } from '../../agents.js';

/** Who is calling: the shape agreed for `src/identity/callers.ts` (see notes/interfaces.md). */
export interface Caller {
  /** Stable id of the identity: 'service' for token-less callers, else a hex SHA-256 of the token. Never the token. */
  identity: string;
  /** The Mastra client calls of this caller go through. */
  client: MastraClient;
  /** The catalogue this caller sees (service-level, or the caller's own listing). */
  catalogue: AgentCatalogue;
}

export interface CallerResolver {
  /** Checks the token with Mastra (cached briefly per token hash); throws HttpError 401/403 when refused. */
  resolve(token: string | undefined): Promise<Caller>;
}

/**
 * LOCAL STAND-IN for the identity branch's resolver; replace it at merge with the real one.
 * It checks nothing: a token Mastra refuses is only found out when a call runs (an isError
 * result saying so). The real resolver answers 401/403 before anything is listed or run.
 */
export function standInCallerResolver(options: {
  client: MastraClient;
  catalogue: AgentCatalogue;
  clientForToken(token: string): MastraClient;
}): CallerResolver {
  const service: Caller = { identity: 'service', client: options.client, catalogue: options.catalogue };
  return {
    resolve: async (token) =>
      token === undefined
        ? service
        : { identity: createHash('sha256').update(token).digest('hex'), client: options.clientForToken(token), catalogue: options.catalogue },
  };
}
