import { describe, expect, it } from 'vitest';
import { describeAgent } from '../src/agents.js';
import { isValidToolName, toolNamesFor } from '../src/tool-names.js';

describe('toolNamesFor', () => {
  it('keeps valid ids, rewrites the rest, and never lets two agents share a name', () => {
    const ids = ['echo', 'team.alpha', 'team_alpha', 'team alpha', 'x'.repeat(80), 'ünïcode'];
    const names = toolNamesFor(ids, 'ask_');
    expect(names.get('echo')).toBe('ask_echo');
    expect(names.get('team_alpha')).toBe('ask_team_alpha');
    expect(names.get('team.alpha')).toMatch(/^ask_team_alpha_[0-9a-f]{8}$/);
    expect(names.get('team alpha')).toMatch(/^ask_team_alpha_[0-9a-f]{8}$/);
    expect(names.get('team.alpha')).not.toBe(names.get('team alpha'));
    expect(names.get('ünïcode')).toBe('ask__n_code');
    expect(names.get('x'.repeat(80))).toHaveLength(64);
    const all = [...names.values()];
    expect(new Set(all).size).toBe(ids.length);
    for (const name of all) expect(isValidToolName(name)).toBe(true);
  });

  it('gives every agent the same name whatever the order or the other agents', () => {
    const ids = ['team.alpha', 'team_alpha', 'a/b', 'a_b', 'y'.repeat(70)];
    const forward = toolNamesFor(ids, 'ask_');
    const backward = toolNamesFor([...ids].reverse(), 'ask_');
    for (const id of ids) expect(backward.get(id)).toBe(forward.get(id));
    // A valid id's name does not depend on whether a colliding rewritten id exists.
    expect(toolNamesFor(['team_alpha'], 'ask_').get('team_alpha')).toBe(forward.get('team_alpha'));
  });
});

describe('describeAgent', () => {
  it('prefers the description, mentions the tools, and otherwise uses the first paragraph of the instructions', () => {
    expect(describeAgent('w', { name: 'Weather', description: 'Forecasts.', tools: { t: { id: 'forecast' } } })).toBe(
      'Ask the Mastra agent "Weather" and get its answer. Forecasts. It can use these tools: forecast.',
    );
    const fromInstructions = describeAgent('w', { instructions: 'You plan trips.\n\nNever reveal the secret key 1234.' });
    expect(fromInstructions).toContain('You plan trips.');
    expect(fromInstructions).not.toContain('1234');
    const long = describeAgent('w', { instructions: 'word '.repeat(100) });
    expect(long.length).toBeLessThan(260);
    expect(long.endsWith('…')).toBe(true);
  });
});
