// Routing table of a flattened graph: names, `source` flows, groups, msg_conversion carried.
import { describe, expect, it } from 'vitest';
import { planGraph } from '../../../src/runtime/app/routes';
import { routeKey } from '../../../src/runtime/core/protocol';

describe('planGraph', () => {
  it('expands names and reversed source flows in graph order', () => {
    const plan = planGraph({
      nodes: [
        { type: 'extension', name: 'a', addon: 'x', extension_group: 'g' },
        { type: 'extension', name: 'b', addon: 'x' },
        { type: 'extension', name: 'c', addon: 'x' },
      ],
      connections: [
        { extension: 'a', cmd: [{ names: ['p', 'q'], dest: [{ extension: 'b' }, { extension: 'c', msg_conversion: { type: 'per_property', rules: [] } }] }] },
        { extension: 'c', data: [{ name: 'd', source: [{ extension: 'b' }] }] },
      ],
    });
    expect(plan.groupOf).toEqual({ a: 'g', b: 'ten:unspecified_group', c: 'ten:unspecified_group' });
    expect(plan.routes[routeKey('cmd', 'a', 'q')].map((d) => d.ext)).toEqual(['b', 'c']);
    expect(plan.routes[routeKey('cmd', 'a', 'p')][1].msgConversion).toEqual({ type: 'per_property', rules: [] });
    expect(plan.routes[routeKey('data', 'b', 'd')]).toEqual([{ ext: 'c', msgConversion: undefined }]);
  });

  it('rejects unflattened graphs with a readable error', () => {
    expect(() => planGraph({ nodes: [{ type: 'subgraph', name: 's', graph: { import_uri: 'x.json' } }] })).toThrow(/must be flattened/);
  });
});
