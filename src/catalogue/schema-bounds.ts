import { RE2JS } from 're2js';
import { formatBytes } from '../kernel/byte-size.js';

/*
 * Bounds on the schemas Mastra publishes, checked before anything recurses into them: zod's conversion
 * and checks, JSON.stringify (the fingerprint, every tools/list) and clients' validators all recurse once
 * per level, and zod's first check of a schema builds (and compiles) code that grows with its nodes.
 */

/** As JSON. A tool's schema goes into every tools/list and into a model's context: 128 KiB is some 30,000 tokens, more than any form a model fills. */
export const SCHEMA_MAX_BYTES = 128 * 1024;
/** Levels of JSON nesting (an object in `properties` is two): some 30 nested objects, deeper than any form, and a few hundred stack frames in zod. */
export const SCHEMA_MAX_DEPTH = 64;
/** Objects and arrays: zod's first check of a schema takes about 0.1 ms per node (measured), so this bounds it near 100 ms. */
export const SCHEMA_MAX_NODES = 1_000;

const PATTERN_SHOWN = 60;

/** What one walk of a parsed schema found: the first bound it passed, and the patterns zod would compile from it. */
export interface SchemaWalk {
  problem?: string;
  /** Every string under a `pattern` key and every key of a `patternProperties`, wherever they are: a superset of zod's. */
  patterns: Set<string>;
}

/** Walks a schema with a stack of its own (no recursion, so no depth can overflow), stopping at the first bound it passes. */
export function walkSchema(schema: unknown): SchemaWalk {
  const patterns = new Set<string>();
  const pending: Array<[value: object, depth: number]> = schema && typeof schema === 'object' ? [[schema, 1]] : [];
  for (let nodes = 1; pending.length > 0; nodes++) {
    const [value, depth] = pending.pop()!;
    if (depth > SCHEMA_MAX_DEPTH) return { problem: `nests more than ${SCHEMA_MAX_DEPTH} levels deep`, patterns };
    if (nodes > SCHEMA_MAX_NODES) return { problem: `has more than ${SCHEMA_MAX_NODES} objects and arrays`, patterns };
    for (const [key, child] of Object.entries(value)) {
      if (key === 'pattern' && typeof child === 'string') patterns.add(child);
      if (key === 'patternProperties' && child && typeof child === 'object') for (const name of Object.keys(child)) patterns.add(name);
      if (child && typeof child === 'object') pending.push([child, depth + 1]);
    }
  }
  return { patterns };
}

/**
 * A JSON Schema pattern (ECMA-262 syntax) as an RE2 program: its matching time is linear in the input,
 * whatever the pattern. Throws when RE2 cannot run it: backreferences and lookarounds need backtracking.
 */
export const linearPattern = (pattern: string): RE2JS => RE2JS.compile(RE2JS.translateRegExp(pattern));

function unlinearReason(pattern: string): string | undefined {
  try {
    linearPattern(pattern);
    return undefined;
  } catch (error) {
    return (error as Error).message.replace(/^error parsing regexp: /, '');
  }
}

const shown = (pattern: string) => JSON.stringify(pattern.length > PATTERN_SHOWN ? `${pattern.slice(0, PATTERN_SHOWN)}…` : pattern);

/** One schema as Mastra published it, read within the bounds; `problem` says why it cannot be served. */
export type SchemaReading = { schema?: Record<string, unknown>; problem?: undefined } | { problem: string };

/**
 * Reads one schema of a workflow. `what` names it in the problem ("its inputSchema"). With `checked`, the
 * bridge checks values against it, so each of its patterns must run on RE2.
 */
export function readSchema(serialized: string | undefined, what: string, checked: boolean): SchemaReading {
  if (!serialized) return {};
  if (serialized.length > SCHEMA_MAX_BYTES)
    return { problem: `${what} is ${formatBytes(serialized.length)} as JSON, more than the ${formatBytes(SCHEMA_MAX_BYTES)} the bridge accepts` };
  // JSON.parse needs no stack per level: only what reads the result afterwards does.
  const schema = parseSchema(serialized);
  const walk = walkSchema(schema);
  if (walk.problem) return { problem: `${what} ${walk.problem}, more than the bridge accepts` };
  if (checked)
    for (const pattern of walk.patterns) {
      const reason = unlinearReason(pattern);
      if (reason !== undefined)
        return {
          problem: `${what} has the pattern ${shown(pattern)}, which RE2 cannot run (${reason}); the bridge checks patterns with RE2 only, so that no argument can stall it`,
        };
    }
  return { schema };
}

/** Mastra sends each schema as a superjson string of a JSON Schema; an unreadable one counts as none. */
function parseSchema(serialized: string): Record<string, unknown> | undefined {
  try {
    const parsed = JSON.parse(serialized) as { json?: unknown };
    const schema = parsed && typeof parsed === 'object' && 'json' in parsed ? parsed.json : parsed;
    if (!schema || typeof schema !== 'object' || Array.isArray(schema)) return undefined;
    // The dialect line is dropped: MCP clients of 2026-07-28 assume 2020-12 and some refuse another's URI.
    const { $schema: _dialect, ...rest } = schema as Record<string, unknown>;
    return rest;
  } catch {
    return undefined;
  }
}
