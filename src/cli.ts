#!/usr/bin/env node
import { doctor } from './commands/doctor.js';
import { formatLogLine } from './log.js';
import { main } from './main.js';

const [subcommand, ...rest] = process.argv.slice(2);
const run = subcommand === 'doctor' ? doctor(rest, process.env) : main(process.argv.slice(2), process.env);

run.then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(formatLogLine('error', error instanceof Error ? error.message : String(error)));
    process.exit(1);
  },
);
