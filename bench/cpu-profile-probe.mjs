/**
 * Preloaded into a bridge started by the benchmark's profile scenario (`node --import
 * bench/cpu-profile-probe.mjs dist/cli.js`), never by the product. With BENCH_CPU_PROFILE set, the
 * first SIGUSR2 starts V8's sampling profiler in this process and counts the JSON.parse and
 * JSON.stringify calls of JavaScript code (Node's own internals, such as fetch's `.json()`, use a
 * copy of their own that is not counted); the second stops both and writes
 * `{ profile, json: { parse, stringify, parsedChars, stringifiedChars } }` to that file.
 * Nothing goes to stdout: over stdio that carries MCP only.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

const file = process.env.BENCH_CPU_PROFILE;
if (file) {
  const session = new Session();
  session.connect();
  const { parse, stringify } = JSON;
  let json;
  let running = false;
  process.on('SIGUSR2', async () => {
    if (!running) {
      running = true;
      json = { parse: 0, stringify: 0, parsedChars: 0, stringifiedChars: 0 };
      JSON.parse = function (text, reviver) {
        json.parse++;
        json.parsedChars += String(text).length;
        return parse.call(this, text, reviver);
      };
      JSON.stringify = function (value, replacer, space) {
        const out = stringify.call(this, value, replacer, space);
        json.stringify++;
        json.stringifiedChars += out?.length ?? 0;
        return out;
      };
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: 100 });
      await session.post('Profiler.start');
      return;
    }
    running = false;
    const { profile } = await session.post('Profiler.stop');
    JSON.parse = parse;
    JSON.stringify = stringify;
    // Whole or not at all: the benchmark reads the file as soon as it exists.
    writeFileSync(`${file}.part`, stringify({ profile, json }));
    renameSync(`${file}.part`, file);
  });
}
