import type { MastraClient } from '@mastra/client-js';

/**
 * client-js puts ids into URL paths as they are (`/agents/${id}/generate`): `x/../admin` would run
 * `admin`, `h#x` would run `h`, `q?x=1` would hit `/agents/q`. Every id the bridge sends to Mastra
 * goes through `pathSegment`, so it names exactly one agent (or workflow) whatever its characters.
 */
export function pathSegment(id: string): string {
  const segment = encodeSegment(id);
  if (segment === undefined) throw new RangeError(`the id ${JSON.stringify(id)} cannot be addressed in a URL path`);
  return segment;
}

/**
 * Whether an id can be sent at all. Encoding turns `%` into `%25`, so the only dot segments left
 * (which URL parsing resolves away, `.` and `..`) are the ids `.` and `..` themselves; an empty id
 * leaves an empty segment, and a lone surrogate cannot be encoded.
 */
export const isAddressable = (id: string): boolean => encodeSegment(id) !== undefined;

function encodeSegment(id: string): string | undefined {
  if (id === '' || id === '.' || id === '..') return undefined;
  try {
    return encodeURIComponent(id);
  } catch {
    return undefined;
  }
}

/** The client-js resource of one agent, for the calls whose paths hold its id (generate, stream, details, tools). */
export const agentOf = (client: MastraClient, agentId: string) => client.getAgent(pathSegment(agentId));

/** A memory thread of one agent: client-js puts the thread id into the path and the agent id into the query, both as they are. */
export const memoryThreadOf = (client: MastraClient, threadId: string, agentId: string) =>
  client.getMemoryThread({ threadId: pathSegment(threadId), agentId: pathSegment(agentId) });
