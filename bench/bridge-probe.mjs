/**
 * Preloaded into a bridge started by the benchmark (`node --import bench/bridge-probe.mjs dist/cli.js`),
 * never by the product: on SIGUSR2 it writes this process's event-loop delay since the last signal
 * (then starts over) and its memory to BENCH_PROBE_FILE, and with BENCH_HEAP_SNAPSHOT set, a heap
 * snapshot beside it (numbered). Nothing goes to stdout: over stdio that carries MCP only.
 */
import { writeFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { writeHeapSnapshot } from 'node:v8';

const file = process.env.BENCH_PROBE_FILE;
if (file) {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  let snapshots = 0;
  process.on('SIGUSR2', () => {
    const ms = (ns) => ns / 1e6;
    const figures = {
      lagP50Ms: ms(delay.percentile(50)),
      lagP99Ms: ms(delay.percentile(99)),
      lagMaxMs: ms(delay.max),
      ...process.memoryUsage(),
    };
    delay.reset();
    if (process.env.BENCH_HEAP_SNAPSHOT) figures.snapshot = writeHeapSnapshot(`${file}.${++snapshots}.heapsnapshot`);
    writeFileSync(file, JSON.stringify(figures));
  });
}
