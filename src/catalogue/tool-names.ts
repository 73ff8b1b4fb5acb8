import { createHash } from 'node:crypto';

const VALID_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_LENGTH = 64;
const HASH_LENGTH = 8;

const sanitize = (name: string) => name.replace(/[^A-Za-z0-9_-]/g, '_');

/** `<sanitised prefix+id, cut>_<hash>`; `round` > 0 only when that name is already another agent's. */
function hashedName(prefix: string, id: string, round: number): string {
  const hash = createHash('sha256')
    .update(round ? `${id}\0${round}` : id)
    .digest('hex')
    .slice(0, HASH_LENGTH);
  return `${sanitize(prefix + id).slice(0, MAX_LENGTH - HASH_LENGTH - 1)}_${hash}`;
}

/**
 * The name an id gets on any bridge that has never given it to another agent: `<prefix><id>` when
 * that is a valid MCP tool name, else the sanitised form with a hash of the id, always, so it
 * does not depend on which other agents exist (`team.alpha` is `ask_team_alpha_<hash>` whether or
 * not `team_alpha` is there) and every replica of a deployment agrees.
 */
export function preferredToolName(id: string, prefix: string): string {
  return VALID_NAME.test(prefix + id) ? prefix + id : hashedName(prefix, id, 0);
}

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
   * All kinds share one set of names, so an agent and a workflow never get the same one.
   */
  constructor(
    private readonly prefix: string,
    private readonly kinds: Readonly<Record<string, string>> = {},
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
    const plain = (id: string) => VALID_NAME.test(prefix + id);
    fresh.sort((a, b) => Number(plain(b)) - Number(plain(a)) || (a < b ? -1 : a > b ? 1 : 0));
    for (const id of fresh) {
      let name = preferredToolName(id, prefix);
      for (let round = 1; this.ownerOf.has(name); round++) name = hashedName(prefix, id, round);
      this.nameOf.set(key(id), name);
      this.ownerOf.set(name, key(id));
      names.set(id, name);
    }
    return names;
  }
}

export const isValidToolName = (name: string) => VALID_NAME.test(name);
