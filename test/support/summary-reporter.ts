import type { Reporter, RunnerTask, RunnerTestFile } from 'vitest';

/** Ends the run with the plain "N passed, N failed" line that CI logs are read for. */
export default class SummaryReporter implements Reporter {
  onFinished(files: RunnerTestFile[] = [], errors: unknown[] = []): void {
    const counts = { pass: 0, fail: 0, skip: 0 };
    const walk = (task: RunnerTask) => {
      if (task.type === 'test') {
        const state = task.result?.state;
        if (state === 'pass') counts.pass++;
        else if (state === 'fail') counts.fail++;
        else counts.skip++;
      }
      if ('tasks' in task) task.tasks.forEach(walk);
    };
    files.forEach(walk);
    const failed = counts.fail + (errors.length ? errors.length : 0);
    process.stdout.write(`\n${counts.pass} passed, ${failed} failed, ${counts.skip} skipped\n`);
  }
}
