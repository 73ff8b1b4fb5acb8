import { describe, expect, it } from 'vitest';
import type { ProgressReporter } from '../src/kernel/progress.js';
import { WorkflowRecorder } from '../src/workflows/workflow-outcome.js';

/** The progress a recorder tells, in order. */
function recorderWithProgress(): { recorder: WorkflowRecorder; told: string[] } {
  const told: string[] = [];
  const progress: ProgressReporter = { now: (m) => told.push(m), soon: (m) => told.push(m), stop: () => {} };
  return { recorder: new WorkflowRecorder('greet', progress), told };
}

// The sequences below are what Mastra's run stream sends, less the one event it can lose when the run ends at once.
describe('the progress a workflow run tells', () => {
  it("tells a started step finished when the run succeeds and Mastra's stream lost the step's result event", () => {
    const { recorder, told } = recorderWithProgress();
    recorder.take({ type: 'workflow-start', payload: {} });
    recorder.take({ type: 'workflow-step-start', payload: { id: 'compose' } });
    recorder.take({ type: 'workflow-step-result', payload: { id: 'compose', status: 'success' } });
    recorder.take({ type: 'workflow-step-start', payload: { id: 'shout' } });
    recorder.take({ type: 'workflow-finish', payload: { workflowStatus: 'success', finalWorkflowResult: { greeting: 'HI' } } });
    expect(told).toEqual(['workflow "greet" started', 'step compose started', 'step compose finished', 'step shout started', 'step shout finished']);
  });

  it('tells each step finished once when no event was lost', () => {
    const { recorder, told } = recorderWithProgress();
    recorder.take({ type: 'workflow-step-start', payload: { id: 'shout' } });
    recorder.take({ type: 'workflow-step-result', payload: { id: 'shout', status: 'success' } });
    recorder.take({ type: 'workflow-finish', payload: { workflowStatus: 'success' } });
    expect(told.filter((m) => m === 'step shout finished')).toHaveLength(1);
  });

  it('claims nothing of a step still going when the run did not succeed', () => {
    const { recorder, told } = recorderWithProgress();
    recorder.take({ type: 'workflow-step-start', payload: { id: 'post-ledger' } });
    recorder.take({ type: 'workflow-finish', payload: { workflowStatus: 'failed' } });
    expect(told).toEqual(['step post-ledger started']);
  });
});
