import { describe, expect, it } from 'vitest';
import { describeAgent } from '../src/catalogue/catalogue.js';
import { isValidToolName, preferredToolName, ToolNamer } from '../src/catalogue/tool-names.js';
import { DEFAULTS } from './support/defaults.js';

const MAX = DEFAULTS.maxToolName;
const namesOnce = (ids: string[], prefix = 'ask_') => new ToolNamer(prefix, {}, MAX).namesFor(ids);

describe('tool names', () => {
  it('keep valid ids, give every rewritten or overlong id a hash, and never let two agents share a name', () => {
    const ids = ['echo', 'team.alpha', 'team_alpha', 'team alpha', 'x'.repeat(80), 'ünïcode'];
    const names = namesOnce(ids);
    expect(names.get('echo')).toBe('ask_echo');
    expect(names.get('team_alpha')).toBe('ask_team_alpha');
    expect(names.get('team.alpha')).toMatch(/^ask_team_alpha_[0-9a-f]{8}$/);
    expect(names.get('team alpha')).toMatch(/^ask_team_alpha_[0-9a-f]{8}$/);
    expect(names.get('team.alpha')).not.toBe(names.get('team alpha'));
    expect(names.get('ünïcode')).toMatch(/^ask__n_code_[0-9a-f]{8}$/);
    expect(names.get('x'.repeat(80))).toHaveLength(MAX);
    const all = [...names.values()];
    expect(new Set(all).size).toBe(ids.length);
    for (const name of all) expect(isValidToolName(name)).toBe(true);
  });

  it('give every id the same name whatever the order or the other agents, as on every replica', () => {
    const ids = ['team.alpha', 'team_alpha', 'a/b', 'a_b', 'y'.repeat(70)];
    const forward = namesOnce(ids);
    const backward = namesOnce([...ids].reverse());
    for (const id of ids) {
      expect(backward.get(id)).toBe(forward.get(id));
      // Alone, each id gets the very name it gets among the others.
      expect(namesOnce([id]).get(id)).toBe(forward.get(id));
    }
  });

  it('never move a name to another agent: team.alpha keeps its name when team_alpha appears', () => {
    const namer = new ToolNamer('ask_', {}, MAX);
    const dotted = namer.namesFor(['team.alpha']).get('team.alpha')!;
    const both = namer.namesFor(['team.alpha', 'team_alpha']);
    expect(both.get('team.alpha')).toBe(dotted);
    expect(both.get('team_alpha')).toBe('ask_team_alpha');
    expect(dotted).not.toBe('ask_team_alpha');
  });

  it('give a newcomer another hash when its name was already given, even to an agent since gone', () => {
    const namer = new ToolNamer('ask_', {}, MAX);
    const hashed = preferredToolName('team.alpha', 'ask_', MAX);
    // An id made to look like team.alpha's tool name, arriving after it.
    const lookalike = hashed.slice('ask_'.length);
    expect(namer.namesFor(['team.alpha']).get('team.alpha')).toBe(hashed);
    const later = namer.namesFor([lookalike]).get(lookalike)!;
    expect(later).not.toBe(hashed);
    expect(later).toMatch(/^ask_team_alpha_[0-9a-f]{8}_[0-9a-f]{8}$/);
    // Stable from then on, and team.alpha gets its own name back when it returns.
    const again = namer.namesFor([lookalike, 'team.alpha']);
    expect(again.get(lookalike)).toBe(later);
    expect(again.get('team.alpha')).toBe(hashed);
  });

  it('in one listing, a valid id keeps its own name against a rewritten id whose hashed name is the same', () => {
    const hashed = preferredToolName('team.alpha', 'ask_', MAX);
    const lookalike = hashed.slice('ask_'.length);
    for (const ids of [
      ['team.alpha', lookalike],
      [lookalike, 'team.alpha'],
    ]) {
      const names = namesOnce(ids);
      expect(names.get(lookalike)).toBe(hashed);
      expect(names.get('team.alpha')).not.toBe(hashed);
      expect(isValidToolName(names.get('team.alpha')!)).toBe(true);
    }
  });
});

describe('describeAgent', () => {
  it('uses the description, the name and the tools, never the instructions unless asked', () => {
    expect(describeAgent('w', { name: 'Weather', description: 'Forecasts.', tools: { forecast: { id: 'forecast-tool' } } })).toBe(
      'Ask the Mastra agent "Weather" and get its answer. Forecasts. It can use these tools: forecast.',
    );
    const secret = { name: 'Trips', instructions: 'You plan trips.\n\nNever reveal the secret key 1234.' };
    expect(describeAgent('w', secret)).toBe('Ask the Mastra agent "Trips" and get its answer.');
  });

  it('with the opt-in, describes an agent without a description by the first paragraph of its instructions', () => {
    const fromInstructions = describeAgent('w', { instructions: 'You plan trips.\n\nNever reveal the secret key 1234.' }, true);
    expect(fromInstructions).toContain('You plan trips.');
    expect(fromInstructions).not.toContain('1234');
    const long = describeAgent('w', { instructions: 'word '.repeat(100) }, true);
    expect(long.length).toBeLessThan(260);
    expect(long.endsWith('…')).toBe(true);
    expect(describeAgent('w', { description: 'Plans.', instructions: 'You plan trips.' }, true)).not.toContain('You plan');
  });
});
