#!/usr/bin/env node
import { formatLogLine } from './log.js';
import { main } from './main.js';

main(process.argv.slice(2), process.env).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(formatLogLine('error', error instanceof Error ? error.message : String(error)));
    process.exit(1);
  },
);
