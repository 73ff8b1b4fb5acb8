/**
 * Which agents and workflows to offer: `--include` / `--exclude` lists of ids where `*` matches any
 * run of characters. A glob applies to agents and workflows alike, unless it starts with `agent:` or
 * `workflow:`, which limit it to that kind (`--exclude 'workflow:*'` offers no workflow at all).
 */
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

/** What an id is: the filters can name each kind apart. */
export type IdKind = 'agent' | 'workflow';

const KIND_QUALIFIER = /^(agent|workflow):/;

/** The globs of a list that apply to this kind, without their qualifier. */
function globsFor(globs: readonly string[], kind: IdKind): string[] {
  return globs.flatMap((glob) => {
    const qualifier = KIND_QUALIFIER.exec(glob)?.[1];
    if (qualifier === undefined) return [glob];
    return qualifier === kind ? [glob.slice(qualifier.length + 1)] : [];
  });
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

export function filterAgentIds(ids: readonly string[], filter: AgentFilter, kind: IdKind = 'agent'): FilterResult {
  const include = filter.include && globsFor(filter.include, kind);
  const exclude = filter.exclude && globsFor(filter.exclude, kind);
  const unmatchedIncludes = (include ?? []).filter((glob) => !ids.some((id) => globToRegExp(glob).test(id)));
  const kept = ids.filter((id) => (!include || matchesAny(id, include)) && !(exclude && matchesAny(id, exclude)));
  return { kept, unmatchedIncludes };
}

/** Why the filter leaves this id out, as a sentence's end; undefined when it keeps it. */
export function filterReason(id: string, filter: AgentFilter, kind: IdKind): string | undefined {
  const exclude = (filter.exclude ?? []).find((glob) => globsFor([glob], kind).some((g) => globToRegExp(g).test(id)));
  if (exclude !== undefined) return `--exclude "${exclude}" (MCP_EXCLUDE_AGENTS) matches it`;
  const include = filter.include && globsFor(filter.include, kind);
  if (include && !matchesAny(id, include)) return `no glob of --include "${filter.include!.join(',')}" (MCP_INCLUDE_AGENTS) matches it`;
  return undefined;
}

/** Whether the filter leaves out every id of this kind, whatever they are (`--exclude 'workflow:*'`, or includes naming only the other kind). */
export function excludesKind(filter: AgentFilter, kind: IdKind): boolean {
  if (filter.exclude && globsFor(filter.exclude, kind).includes('*')) return true;
  return filter.include !== undefined && globsFor(filter.include, kind).length === 0;
}

/** Include globs (as written) that match no agent and no workflow they apply to: likely typos. */
export function unmatchedIncludes(include: readonly string[] | undefined, ids: Record<IdKind, readonly string[]>): string[] {
  return (include ?? []).filter((glob) =>
    (['agent', 'workflow'] as const).every((kind) => globsFor([glob], kind).every((g) => !ids[kind].some((id) => globToRegExp(g).test(id)))),
  );
}
