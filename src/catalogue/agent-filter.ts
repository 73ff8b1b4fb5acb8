/** Which agents to offer: `--include` / `--exclude` lists of agent ids where `*` matches any run of characters. */
export interface AgentFilter {
  /** Offer only agents matching one of these. Default: every agent. */
  include?: readonly string[];
  /** Never offer agents matching one of these; wins over `include`. Default: none. */
  exclude?: readonly string[];
}

const globCache = new Map<string, RegExp>();

/** `*` matches any run of characters (also none); everything else, dots included, is literal. Case-sensitive. */
export function globToRegExp(glob: string): RegExp {
  let regexp = globCache.get(glob);
  if (!regexp) {
    const body = glob
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*');
    regexp = new RegExp(`^${body}$`, 's');
    globCache.set(glob, regexp);
  }
  return regexp;
}

const matchesAny = (id: string, globs: readonly string[]) => globs.some((glob) => globToRegExp(glob).test(id));

/** "a, b, c", or "a, b, … and 990 more": enough to spot a typo without flooding stderr. */
export function listShort(ids: readonly string[], max = 20): string {
  if (ids.length === 0) return '(none)';
  const shown = ids.slice(0, max).join(', ');
  return ids.length > max ? `${shown}, … and ${ids.length - max} more` : shown;
}

export interface FilterResult {
  kept: string[];
  /** Include globs that matched no listed agent (before `exclude` applies): likely typos. */
  unmatchedIncludes: string[];
}

export function filterAgentIds(ids: readonly string[], { include, exclude }: AgentFilter): FilterResult {
  const unmatchedIncludes = (include ?? []).filter((glob) => !ids.some((id) => globToRegExp(glob).test(id)));
  const kept = ids.filter((id) => (!include || matchesAny(id, include)) && !(exclude && matchesAny(id, exclude)));
  return { kept, unmatchedIncludes };
}
