import { createHash } from 'node:crypto';

const VALID_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_LENGTH = 64;
const HASH_LENGTH = 8;

const shortHash = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, HASH_LENGTH);
const sanitize = (name: string) => name.replace(/[^A-Za-z0-9_-]/g, '_');

/**
 * Tool names for a set of agent ids: `<prefix><agentId>` when that is already a valid MCP tool
 * name, else the sanitised form when no other agent claims it, else the sanitised form cut short
 * with a hash of the id. A valid name never changes when other agents come or go, so clients
 * can rely on it; only ids that needed rewriting can pick up a suffix.
 */
export function toolNamesFor(agentIds: readonly string[], prefix: string): Map<string, string> {
  const names = new Map<string, string>();
  const taken = new Set<string>();
  const rewritten: string[] = [];
  for (const id of agentIds) {
    const plain = prefix + id;
    if (VALID_NAME.test(plain)) {
      names.set(id, plain);
      taken.add(plain);
    } else rewritten.push(id);
  }
  const claims = new Map<string, number>();
  for (const id of rewritten) {
    const candidate = sanitize(prefix + id);
    claims.set(candidate, (claims.get(candidate) ?? 0) + 1);
  }
  for (const id of rewritten) {
    const candidate = sanitize(prefix + id);
    const unique = candidate.length <= MAX_LENGTH && !taken.has(candidate) && claims.get(candidate) === 1;
    const name = unique ? candidate : `${candidate.slice(0, MAX_LENGTH - HASH_LENGTH - 1)}_${shortHash(id)}`;
    names.set(id, name);
    taken.add(name);
  }
  return names;
}

export const isValidToolName = (name: string) => VALID_NAME.test(name);
