import type { MastraClient } from '@mastra/client-js';

/**
 * How long an answer about an agent's memory is trusted while its listing stays the same. Memory
 * added to an agent in code changes nothing in the listing, so the answer is asked again now and then.
 */
const MEMORY_ANSWER_MS = 10 * 60_000;

/** Memory status requests in flight at once: a large catalogue is asked a few agents at a time, not in one burst. */
const MEMORY_CHECKS_AT_ONCE = 8;

/**
 * How long a listing waits for the answers. The listing is what makes tools appear, and a Mastra with
 * a thousand agents takes seconds to answer for them all: past this, the tools are offered with what
 * is known (memory fields where it is not), and corrected when the rest comes in.
 */
const MEMORY_WAIT_MS = 1_000;

interface Known {
  /** The agent's listing when it was asked: a changed listing asks again. */
  source: string;
  memory: boolean | undefined;
  at: number;
}

/**
 * Whether each agent has memory, so that only those tools offer threadId and resourceId. The listing
 * does not say (its `supportsMemory` is true for every agent defined in code); Mastra's
 * `GET /memory/status?agentId=` does. It is asked for an agent when it first appears, when its
 * listing changes, and when the last answer is older than MEMORY_ANSWER_MS: a listing that finds
 * nothing new costs no request. Undefined when Mastra would not say (an older Mastra, a refused token).
 */
export class AgentMemory {
  private readonly known = new Map<string, Known>();
  private asking: Promise<void> | undefined;

  /**
   * Asks what is due for these agents (id → its listing as JSON) and forgets the others; waits at
   * most MEMORY_WAIT_MS, and tells `late` when answers came after that. One round at a time: what a
   * round in progress does not cover is due at the next listing.
   */
  async update(client: MastraClient, sources: ReadonlyMap<string, string>, late: () => void, signal?: AbortSignal): Promise<void> {
    const now = Date.now();
    for (const id of this.known.keys()) if (!sources.has(id)) this.known.delete(id);
    if (this.asking) return;
    const due = [...sources].filter(([id, source]) => {
      const known = this.known.get(id);
      return !known || known.source !== source || now - known.at > MEMORY_ANSWER_MS;
    });
    if (due.length === 0) return;
    const asking = this.ask(client, due, now, signal).finally(() => (this.asking = undefined));
    this.asking = asking;
    let timer: NodeJS.Timeout | undefined;
    const inTime = await Promise.race([
      asking.then(() => true),
      new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), MEMORY_WAIT_MS))),
    ]).finally(() => clearTimeout(timer));
    // A round that outlives its listing ends quietly if that listing was aborted: the next one asks again.
    if (!inTime) asking.then(late, () => {});
  }

  /** true or false as Mastra said; undefined when it was not asked or would not say. */
  of(agentId: string): boolean | undefined {
    return this.known.get(agentId)?.memory;
  }

  private async ask(client: MastraClient, due: [string, string][], now: number, signal?: AbortSignal): Promise<void> {
    for (let i = 0; i < due.length; i += MEMORY_CHECKS_AT_ONCE) {
      const batch = due.slice(i, i + MEMORY_CHECKS_AT_ONCE);
      const answers = await Promise.all(batch.map(([id]) => memoryStatus(client, id, signal)));
      for (const [n, [id, source]] of batch.entries()) this.known.set(id, { source, memory: answers[n], at: now });
    }
  }
}

async function memoryStatus(client: MastraClient, agentId: string, signal?: AbortSignal): Promise<boolean | undefined> {
  try {
    // client-js puts the id into a query string through URLSearchParams: encoded, it names exactly this agent.
    const status = (await client.getMemoryStatus(agentId)) as { result?: unknown };
    return typeof status?.result === 'boolean' ? status.result : undefined;
  } catch {
    // An aborted listing keeps no answer: the next one asks again.
    signal?.throwIfAborted();
    return undefined;
  }
}
