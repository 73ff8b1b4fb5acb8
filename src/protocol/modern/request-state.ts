import { EncryptJWT, jwtDecrypt } from 'jose';
import { hkdfSync, randomBytes } from 'node:crypto';
import type { Question, ResumeHandle } from '../../kernel/run-outcome.js';

/**
 * The `requestState` of a 2026-07-28 `input_required` result: what the retry needs to resume the
 * paused run. It travels through the client, so it is sealed (a compact JWE, `dir` + A256GCM:
 * encrypted and authenticated, with jose), expires, and names the caller identity it was minted
 * for: another user cannot replay it, and nobody can forge or read a run id into it. Any replica
 * holding the same secret can open it.
 */

/** How long a person has to answer before the retry is refused. A run left paused upstream stays so in Mastra. */
export const REQUEST_STATE_TTL_S = 30 * 60;

const AUDIENCE = 'mastra-agents-mcp:request-state';

/** What the retry resumes: the tool it belongs to, the paused run, and the question (asked again when an answer does not fit). */
export interface PausedCall {
  tool: string;
  handle: ResumeHandle;
  question: Question;
  /** How many times the question has been put; the second answer that does not fit ends it. */
  asked: number;
}

export interface RequestStateSealer {
  /** Whether the key comes from configuration (any replica can open the state) or was made by this process. */
  shared: boolean;
  seal(call: PausedCall, identity: string): Promise<string>;
  /** The paused call the state holds; throws when it is forged, expired, or minted for another identity. */
  open(state: string, identity: string): Promise<PausedCall>;
}

/**
 * The key: derived with HKDF from `MCP_REQUEST_STATE_SECRET` (shared by the replicas), or random
 * per process without it, when only this process can continue what it paused.
 */
export function requestStateSealer(secret?: string): RequestStateSealer {
  const key = secret ? new Uint8Array(hkdfSync('sha256', secret, 'mastra-agents-mcp', 'request state, A256GCM', 32)) : new Uint8Array(randomBytes(32));
  return {
    shared: secret !== undefined,
    seal: (call, identity) =>
      new EncryptJWT({ call: call as unknown as Record<string, unknown> })
        .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
        .setSubject(identity)
        .setAudience(AUDIENCE)
        .setIssuedAt()
        .setExpirationTime(`${REQUEST_STATE_TTL_S}s`)
        .encrypt(key),
    async open(state, identity) {
      const { payload } = await jwtDecrypt(state, key, {
        subject: identity,
        audience: AUDIENCE,
        keyManagementAlgorithms: ['dir'],
        contentEncryptionAlgorithms: ['A256GCM'],
      });
      const call = payload.call as PausedCall | undefined;
      if (!call || typeof call.tool !== 'string' || typeof call.handle?.kind !== 'string') throw new Error('request state without a paused call');
      return call;
    },
  };
}
