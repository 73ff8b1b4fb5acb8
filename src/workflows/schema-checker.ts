import type { RE2JS } from 're2js';
import { z } from 'zod';
import { linearPattern, walkSchema } from '../catalogue/schema-bounds.js';

const NativeRegExp = RegExp;

/** A schema's pattern, run by RE2 (no backtracking, so linear in the input) behind the RegExp face zod uses. */
class LinearRegExp extends NativeRegExp {
  readonly #program: RE2JS;

  constructor(pattern: string) {
    super('(?:)');
    this.#program = linearPattern(pattern);
    // zod's error texts print the pattern (`must match pattern /^(a+)+$/`).
    Object.defineProperty(this, 'source', { value: pattern });
  }

  override test(input: string): boolean {
    return this.#program.test(String(input));
  }

  override exec(input: string): RegExpExecArray | null {
    return this.#program.exec(String(input)) as RegExpExecArray | null;
  }
}

/**
 * zod compiles a schema's patterns with `new RegExp(pattern)` inside fromJSONSchema, some of them into
 * closures nothing can reach afterwards (propertyNames, contains, patternProperties beside
 * `additionalProperties: false`). For the length of that synchronous call, RegExp builds the schema's own
 * patterns as LinearRegExp; every other RegExp (zod's own formats) is built as always.
 */
function withLinearPatterns<T>(patterns: ReadonlySet<string>, build: () => T): T {
  const global = globalThis as { RegExp: RegExpConstructor };
  function SchemaRegExp(pattern: string | RegExp, flags?: string): RegExp {
    return typeof pattern === 'string' && patterns.has(pattern) ? new LinearRegExp(pattern) : new NativeRegExp(pattern, flags);
  }
  SchemaRegExp.prototype = NativeRegExp.prototype;
  Object.setPrototypeOf(SchemaRegExp, NativeRegExp);
  global.RegExp = SchemaRegExp as unknown as RegExpConstructor;
  try {
    return build();
  } finally {
    global.RegExp = NativeRegExp;
  }
}

export type SchemaChecker = (value: unknown) => z.ZodSafeParseResult<unknown>;

/** Built once per schema object: the catalogue replaces a workflow's schemas only when they change. */
const checkers = new WeakMap<object, SchemaChecker | undefined>();

/**
 * Checks a value against a JSON Schema as Mastra published it, every pattern on RE2. A schema zod cannot
 * read, or one beyond the bounds of schema-bounds.ts (the catalogue offers none), is left to Mastra to check.
 */
export function checkerOf(schema: Record<string, unknown> | undefined): SchemaChecker | undefined {
  if (!schema) return undefined;
  if (checkers.has(schema)) return checkers.get(schema);
  let checker: SchemaChecker | undefined;
  const { problem, patterns } = walkSchema(schema);
  if (problem === undefined) {
    try {
      const parser = withLinearPatterns(patterns, () => z.fromJSONSchema(schema as never));
      checker = (value) => parser.safeParse(value);
    } catch {
      checker = undefined;
    }
  }
  checkers.set(schema, checker);
  return checker;
}
