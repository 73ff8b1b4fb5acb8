/**
 * `tsx bench/heap-by-type.ts <idle.heapsnapshot> <loaded.heapsnapshot> [calls] [rows]`: what a heap
 * holds more of under load, grouped by object type (constructor name, or the kind for strings,
 * closures, arrays and code), largest growth first, per call when `calls` is given.
 */
import { readFileSync } from 'node:fs';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

function byType(path: string): Map<string, { count: number; bytes: number }> {
  const snap = JSON.parse(readFileSync(path, 'utf8')) as Snapshot;
  const fields = snap.snapshot.meta.node_fields;
  const width = fields.length;
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f)) as [number, number, number];
  const types = snap.snapshot.meta.node_types[0];
  const groups = new Map<string, { count: number; bytes: number }>();
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + typeAt]!]!;
    const name = snap.strings[snap.nodes[i + nameAt]!]!;
    const key = type === 'object' || type === 'closure' ? `${type} ${name.slice(0, 80)}` : type === 'native' ? `native ${name.slice(0, 60)}` : type;
    const group = groups.get(key) ?? { count: 0, bytes: 0 };
    group.count++;
    group.bytes += snap.nodes[i + sizeAt]!;
    groups.set(key, group);
  }
  return groups;
}

const [idlePath, loadedPath, calls = '1', rows = '40'] = process.argv.slice(2) as [string, string, string?, string?];
const idle = byType(idlePath);
const loaded = byType(loadedPath);
const n = Number(calls);
const growth = [...loaded].map(([key, g]) => ({ key, count: g.count - (idle.get(key)?.count ?? 0), bytes: g.bytes - (idle.get(key)?.bytes ?? 0) }));
growth.sort((a, b) => b.bytes - a.bytes);
const total = growth.reduce((sum, g) => sum + g.bytes, 0);
process.stdout.write(`heap growth ${(total / 2 ** 20).toFixed(1)} MiB, ${(total / n / 1024).toFixed(1)} KB per call\n`);
for (const g of growth.slice(0, Number(rows)))
  process.stdout.write(`${(g.bytes / n).toFixed(0).padStart(8)} B/call ${(g.count / n).toFixed(1).padStart(7)} /call  ${g.key}\n`);
