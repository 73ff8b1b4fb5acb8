/**
 * The layers of src/, from the bottom up: a file may import its own layer and the layers below it,
 * never one above, and no import may close a cycle. agents/ and workflows/ are one layer whose two
 * kinds do not import each other; so are protocol/legacy/ and protocol/modern/, the two eras.
 * log.ts and mastra-client.ts stay at the top of src/ where the design names them, but belong to the kernel.
 */
const LAYERS = [
  ['kernel', '^src/(kernel/|log\\.ts$|mastra-client\\.ts$)'],
  // Traces and rate limits: kernel words put to work, loaded by the program and handed down as options.
  ['operating', '^src/operating/'],
  ['catalogue', '^src/catalogue/'],
  ['identity', '^src/identity/'],
  ['tasks', '^src/tasks/'],
  ['kinds', '^src/(agents|workflows)/'],
  ['calls', '^src/calls/'],
  ['protocol', '^src/protocol/'],
  ['transports', '^src/transports/'],
  ['program', '^src/((main|cli|config|help|module-options|node-version)\\.ts$|commands/)'],
];

const upward = LAYERS.slice(0, -1).map(([name, path], i) => ({
  name: `${name}-imports-no-layer-above`,
  severity: 'error',
  comment: `${name} sits below ${LAYERS.slice(i + 1).map(([above]) => above).join(', ')}`,
  from: { path },
  to: { path: LAYERS.slice(i + 1).map(([, above]) => above).join('|') },
}));

const siblings = [
  ['agents', 'workflows'],
  ['workflows', 'agents'],
  ['protocol/legacy', 'protocol/modern'],
  ['protocol/modern', 'protocol/legacy'],
].map(([from, to]) => ({ name: `${from.replace('/', '-')}-is-not-${to.replace('/', '-')}`, severity: 'error', from: { path: `^src/${from}/` }, to: { path: `^src/${to}/` } }));

module.exports = {
  forbidden: [
    { name: 'no-cycles', severity: 'error', comment: 'a cycle makes two files one', from: { path: '^src/' }, to: { circular: true } },
    ...upward,
    ...siblings,
  ],
  options: {
    tsConfig: { fileName: 'tsconfig.json' },
    // Type-only imports count: a cycle of types is still two files that cannot be read apart.
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(test|bench|dist)/' },
  },
};
