#!/usr/bin/env node
// Only these two small modules load before the Node.js check: everything else is imported after it, since it may need Node 22.
import { formatLogLine } from './log.js';
import { nodeTooOld } from './node-version.js';

const tooOld = nodeTooOld(process.versions.node, process.execPath);
if (tooOld) {
  process.stderr.write(formatLogLine('error', tooOld));
  process.exit(1);
}
const { runCommandLine } = await import('./commands/index.js');
runCommandLine(process.argv.slice(2), process.env).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(formatLogLine('error', error instanceof Error ? error.message : String(error)));
    process.exit(1);
  },
);
