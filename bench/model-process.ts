/**
 * `tsx bench/model-process.ts`: the fixture's fake model in a process of its own, for the in-flight
 * runs: with thousands of slow streams at once, a model inside Mastra's process would share its
 * event loop and count in its memory. Prints one line of JSON ({modelUrl}) and runs until stdin ends.
 */
import { startFakeModel } from '../test/fixture/fake-model.js';

const model = await startFakeModel();
process.stdout.write(`${JSON.stringify({ modelUrl: model.url })}\n`);
process.stdin.on('end', async () => {
  await model.close();
  process.exit(0);
});
process.stdin.resume();
