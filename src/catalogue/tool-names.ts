import { createHash } from 'node:crypto';

/** MCP's own bound on a tool name; --max-tool-name may ask for less. */
const MCP_MAX_LENGTH = 128;
const HASH_LENGTH = 8;

const sanitize = (name: string) => name.replace(/[^A-Za-z0-9_-]/g, '_');

const validWithin = (name: string, maxLength: number) => name.length >= 1 && name.length <= maxLength && /^[A-Za-z0-9_-]+$/.test(name);

/**
 * `<sanitised prefix+id, cut>_<hash>`; `round` > 0 only when that name is already another agent's. A bound too
 * short for both (under 10) leaves the hash alone, cut to it.
 */
function hashedName(prefix: string, id: string, round: number, maxLength: number): string {
  const hash = createHash('sha256')
    .update(round ? `${id}\0${round}` : id)
    .digest('hex')
    .slice(0, HASH_LENGTH);
  const room = maxLength - HASH_LENGTH - 1;
  return room > 0 ? `${sanitize(prefix + id).slice(0, room)}_${hash}` : hash.slice(0, maxLength);
}

/**
 * The name an id gets on any bridge that has never given it to another agent: `<prefix><id>` when
 * that is a valid MCP tool name within `maxLength`, else the sanitised form with a hash of the id, always, so it
 * does not depend on which other agents exist (`team.alpha` is `ask_team_alpha_<hash>` whether or
 * not `team_alpha` is there) and every replica of a deployment agrees.
 */
export function preferredToolName(id: string, prefix: string, maxLength: number): string {
  return validWithin(prefix + id, maxLength) ? prefix + id : hashedName(prefix, id, 0, maxLength);
}

/** Tries before a bound too short for this many tools gives up (a 1-character bound has 16 names). */
const MAX_ROUNDS = 1_000;

/**
 * Names the tools of one catalogue for the life of the process. A name, once given to an agent,
 * is never given to another: an id that keeps (or comes back to) the listing keeps its name, and a
 * new id whose preferred name another agent already had (only an id made to look like someone's
 * hashed name, or a hash collision) gets a further hash instead. Within one listing, valid ids
 * claim their plain names first, then rewritten ids in id order, so a fresh replica names the
 * same listing the same way.
 */
export class ToolNamer {
  private readonly nameOf = new Map<string, string>();
  private readonly ownerOf = new Map<string, string>();

  /**
   * `prefix` names agents; `kinds` gives the prefix of each other kind of tool (workflows: `run_`).
   * All kinds share one set of names, so an agent and a workflow never get the same one. No name is longer than `maxLength`.
   */
  constructor(
    private readonly prefix: string,
    private readonly kinds: Readonly<Record<string, string>>,
    private readonly maxLength: number,
  ) {}

  namesFor(agentIds: readonly string[], kind = 'agent'): Map<string, string> {
    const prefix = kind === 'agent' ? this.prefix : this.kinds[kind]!;
    const key = (id: string) => (kind === 'agent' ? id : `${kind}\0${id}`);
    const names = new Map<string, string>();
    const fresh: string[] = [];
    for (const id of agentIds) {
      const known = this.nameOf.get(key(id));
      if (known) names.set(id, known);
      else fresh.push(id);
    }
    const plain = (id: string) => validWithin(prefix + id, this.maxLength);
    fresh.sort((a, b) => Number(plain(b)) - Number(plain(a)) || (a < b ? -1 : a > b ? 1 : 0));
    for (const id of fresh) {
      let name = preferredToolName(id, prefix, this.maxLength);
      for (let round = 1; this.ownerOf.has(name); round++) {
        if (round > MAX_ROUNDS)
          throw new RangeError(`--max-tool-name ${this.maxLength} leaves no free tool name for ${JSON.stringify(id)}: allow longer names`);
        name = hashedName(prefix, id, round, this.maxLength);
      }
      this.nameOf.set(key(id), name);
      this.ownerOf.set(name, key(id));
      names.set(id, name);
    }
    return names;
  }
}

/** Whether a name is a valid MCP tool name (at most 128 characters of A-Za-z0-9_-). */
export const isValidToolName = (name: string) => validWithin(name, MCP_MAX_LENGTH);
