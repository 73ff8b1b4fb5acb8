import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Where Debian puts the servers the scale-out tests run (nginx lives in sbin, off a plain user's PATH). */
const SEARCH = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/bin', '/sbin'];

/** The path of a program installed on this machine, or undefined. */
export function systemProgram(name: string): string | undefined {
  for (const dir of SEARCH) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/**
 * Whether the tests that need these programs can run. A machine without them skips those tests and says so
 * loudly, naming the packages; under CI=true a missing program fails the test file instead, so CI can never
 * pass without having run them.
 */
export function havePrograms(programs: Record<string, string>): boolean {
  const missing = Object.entries(programs).filter(([name]) => !systemProgram(name));
  if (missing.length === 0) return true;
  const packages = [...new Set(missing.map(([, pkg]) => pkg))].join(' ');
  const what = `${missing.map(([name]) => name).join(' and ')} not installed: run \`apt-get install ${packages}\``;
  if (process.env.CI === 'true') throw new Error(`${what} (CI=true: these tests must run, not skip).`);
  process.stderr.write(`\n*** SKIPPED: tests that need ${what} to run them. ***\n\n`);
  return false;
}
