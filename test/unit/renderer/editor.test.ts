import { beforeEach, describe, expect, it } from 'vitest';
import type { AddonSummary, GraphDocument, TenGraph } from '../../../src/shared';
import { ANY_IN, ANY_OUT, applyEdits, checkConnection, nodePorts, parseHandleId, portHandleId, uniqueName } from '../../../src/renderer/editor/model';
import { badgesOf, locateProblems } from '../../../src/renderer/editor/problems';
import { describeType, fieldText, parseField, parsePropertyObject, propertyObjectText } from '../../../src/renderer/editor/propertyForm';
import { layeredLayout } from '../../../src/renderer/canvas/graphView';
import { selectGraph, useStudio } from '../../../src/renderer/store';

const seq = { type: 'object' as const, properties: { seq: { type: 'int64' as const } }, required: ['seq'] };
const generator: AddonSummary = {
  name: 'gen',
  version: '0.1.0',
  source: 'builtin',
  ports: [
    { kind: 'data', direction: 'out', name: 'tick', schema: seq },
    { kind: 'cmd', direction: 'out', name: 'ping', schema: seq },
  ],
};
const strictSink: AddonSummary = {
  name: 'sink',
  version: '0.1.0',
  source: 'app',
  ports: [
    { kind: 'data', direction: 'in', name: 'tick', schema: { type: 'object', properties: { seq: { type: 'string' } } } },
    { kind: 'cmd', direction: 'in', name: 'ping' },
  ],
};

const end = (node: string, addon: AddonSummary | undefined, handle: string) => ({ node, addon, handle: parseHandleId(handle)! });
const never = () => false;

describe('connection compatibility', () => {
  it('accepts the same kind and name with compatible schemas', () => {
    expect(checkConnection(end('a', generator, 'out:cmd:ping'), end('b', strictSink, 'in:cmd:ping'), never)).toEqual({ ok: true, kind: 'cmd', name: 'ping' });
  });

  it('refuses other kinds, other names, incompatible schemas, loops and duplicates, saying why', () => {
    const refuse = (from: string, to: string, exists = never, fromNode = 'a') => {
      const v = checkConnection(end(fromNode, generator, from), end('b', strictSink, to), exists);
      return v.ok ? 'accepted' : v.reason;
    };
    expect(refuse('out:data:tick', 'in:cmd:ping')).toBe("data 'tick' cannot go to cmd 'ping': the message kinds differ.");
    expect(refuse('out:cmd:ping', 'in:cmd:pong')).toMatch(/message names differ/);
    expect(refuse('out:data:tick', 'in:data:tick')).toMatch(/schemas are incompatible \(.seq: type is incompatible, source is \[int64\], but target is \[string\]\)/);
    expect(refuse('out:cmd:ping', 'in:cmd:ping', () => true)).toMatch(/already flows from 'a' to 'b'/);
    expect(refuse('out:cmd:ping', 'in:cmd:ping', never, 'b')).toMatch(/cannot send messages to itself/);
    expect(refuse('in:cmd:ping', 'in:cmd:ping')).toMatch(/output port/);
  });

  it('lets an "any" port take the other side\'s message, and asks when both are "any"', () => {
    expect(checkConnection(end('a', generator, 'out:data:tick'), end('b', undefined, ANY_IN), never)).toEqual({ ok: true, kind: 'data', name: 'tick' });
    expect(checkConnection(end('a', undefined, ANY_OUT), end('b', strictSink, 'in:cmd:ping'), never)).toEqual({ ok: true, kind: 'cmd', name: 'ping' });
    expect(checkConnection(end('a', undefined, ANY_OUT), end('b', undefined, ANY_IN), never)).toEqual({ ok: true, ask: true });
  });

  it('round-trips handle ids, names with colons included', () => {
    expect(parseHandleId(portHandleId('out', 'data', 'a:b'))).toEqual({ direction: 'out', kind: 'data', name: 'a:b' });
    expect(parseHandleId('sideways:data:x')).toBeNull();
    expect(parseHandleId('in:nope:x')).toBeNull();
  });

  it('shows declared ports and the undeclared ones connections use', () => {
    const ports = nodePorts(generator, [
      { direction: 'out', kind: 'data', name: 'tick' },
      { direction: 'in', kind: 'data', name: 'extra' },
    ]);
    expect(ports.outPorts).toEqual([
      { kind: 'data', name: 'tick', declared: true },
      { kind: 'cmd', name: 'ping', declared: true },
    ]);
    expect(ports.inPorts).toEqual([{ kind: 'data', name: 'extra', declared: false }]);
  });
});

describe('names, fields and problems', () => {
  it('makes unique valid node names', () => {
    expect(uniqueName('data_generator', [])).toBe('data_generator_1');
    expect(uniqueName('echo_1', ['echo_1'])).toBe('echo_2');
    expect(uniqueName('9-lives', [])).toBe('n_9_lives_1');
  });

  it('parses property fields by schema type, placeholders included', () => {
    expect(parseField({ type: 'uint32' }, '20')).toEqual({ ok: true, value: 20 });
    expect(parseField({ type: 'uint32' }, '-5')).toEqual({ ok: false, error: 'out of range of uint32 (0 … 4294967295)', value: -5 });
    expect(parseField({ type: 'int8' }, '1.5')).toMatchObject({ ok: false, error: 'expects an integer (int8)' });
    expect(parseField({ type: 'uint32' }, '${env:TICK|10}')).toEqual({ ok: true, value: '${env:TICK|10}' });
    expect(parseField({ type: 'uint32' }, 'ten')).toMatchObject({ ok: false });
    expect(parseField({ type: 'bool' }, 'true')).toEqual({ ok: true, value: true });
    expect(parseField({ type: 'string' }, ' a ')).toEqual({ ok: true, value: ' a ' });
    expect(parseField({ type: 'array', items: { type: 'int32' } }, '{}')).toMatchObject({ ok: false, error: 'expects a JSON array' });
    expect(parseField(undefined, '')).toEqual({ ok: true, value: undefined });
    expect(parsePropertyObject('[1]')).toMatchObject({ ok: false });
    expect(parsePropertyObject('{"a": 1}')).toEqual({ ok: true, value: { a: 1 } });
  });

  it('shows and edits integers beyond 2^53 with every digit, in the form and in raw JSON mode', () => {
    expect(fieldText(18446744073709551615n)).toBe('18446744073709551615');
    expect(fieldText([9007199254740993n])).toBe('[9007199254740993]');
    expect(describeType({ type: 'uint64' })).toBe('uint64, 0 … 18446744073709551615');
    expect(parseField({ type: 'uint64' }, '18446744073709551615')).toEqual({ ok: true, value: 18446744073709551615n });
    expect(parseField({ type: 'uint64' }, '18446744073709551616')).toEqual({
      ok: false,
      error: 'out of range of uint64 (0 … 18446744073709551615)',
      value: 18446744073709551616n,
    });
    expect(parseField({ type: 'int64' }, '-9223372036854775808')).toEqual({ ok: true, value: -9223372036854775808n });
    expect(parseField({ type: 'int64' }, '-9223372036854775809')).toMatchObject({ ok: false, error: 'out of range of int64 (-9223372036854775808 … 9223372036854775807)' });
    expect(parseField({ type: 'int64' }, '9007199254740991')).toEqual({ ok: true, value: 9007199254740991 });
    expect(parseField({ type: 'array', items: { type: 'uint64' } }, '[9007199254740993]')).toEqual({ ok: true, value: [9007199254740993n] });
    // In a float field too: leaving the field without an edit must not round the file's digits.
    expect(parseField({ type: 'float64' }, fieldText(18446744073709551616n))).toEqual({ ok: true, value: 18446744073709551616n });
    expect(parseField({ type: 'float64' }, '2.5')).toEqual({ ok: true, value: 2.5 });
    expect(parseField({ type: 'float32' }, '1e39')).toEqual({ ok: false, error: 'out of range of float32', value: 1e39 });
    const property = { seed: 9007199254740993n, n: 1 };
    const text = propertyObjectText(property);
    expect(text).toBe('{\n  "seed": 9007199254740993,\n  "n": 1\n}');
    expect(parsePropertyObject(text)).toEqual({ ok: true, value: property });
  });

  it('places diagnostics on nodes, edges and property paths', () => {
    const graph: TenGraph = {
      nodes: [
        { type: 'extension', name: 'a', addon: 'gen', property: { interval_ms: -5 } },
        { type: 'extension', name: 'b', addon: 'sink' },
      ],
      connections: [{ extension: 'a', data: [{ name: 'tick', dest: [{ extension: 'b' }] }] }],
    };
    const property = { ten: { predefined_graphs: [{ name: 'g', graph }] } };
    const found = locateProblems(property, [
      { code: 'E051', message: 'bad', pointer: '/ten/predefined_graphs/0/graph/nodes/0/property/interval_ms' },
      { code: 'E031', message: 'schemas', pointer: '/ten/predefined_graphs/0/graph/connections/0/data/0/dest/0' },
      { code: 'E002', message: 'log', pointer: '/ten/log' },
    ]);
    expect(found[0]).toMatchObject({ graph: 'g', node: 'a', propertyPath: 'interval_ms' });
    expect(found[1]).toMatchObject({ graph: 'g', edge: 'a-data-tick-b' });
    expect(found[2]).not.toHaveProperty('graph');
    expect(badgesOf(found, 'g')).toEqual({ nodes: { a: { count: 1, first: 'E051 bad' } }, edges: { 'a-data-tick-b': { count: 1, first: 'E031 schemas' } } });
    expect(badgesOf(found, 'other')).toEqual({ nodes: {}, edges: {} });
  });
});

describe('document store history', () => {
  const doc: GraphDocument = {
    id: 'example:x',
    title: 'x',
    origin: { kind: 'example', exampleId: 'x' },
    property: { ten: { predefined_graphs: [{ name: 'g', graph: { nodes: [{ type: 'extension', name: 'a', addon: 'gen' }] } }] } },
  };
  beforeEach(() => useStudio.getState().openDocument(doc));

  it('applies a step, undoes and redoes it, with the layout', () => {
    const s = useStudio.getState();
    const error = s.applyStep([{ type: 'editGraph', graph: 'g', edit: { type: 'addNode', node: { type: 'extension', name: 'b', addon: 'sink' } } }], {
      layout: () => ({ version: 1, graphs: { g: { nodes: { b: { x: 1, y: 2 } } } } }),
    });
    expect(error).toBeNull();
    expect(useStudio.getState().dirty).toBe(true);
    expect(selectGraph(useStudio.getState())!.nodes.map((n) => n.name)).toEqual(['a', 'b']);
    useStudio.getState().undo();
    expect(selectGraph(useStudio.getState())!.nodes.map((n) => n.name)).toEqual(['a']);
    expect(useStudio.getState().document!.layout).toBeUndefined();
    useStudio.getState().redo();
    expect(selectGraph(useStudio.getState())!.nodes.map((n) => n.name)).toEqual(['a', 'b']);
    expect(useStudio.getState().document!.layout!.graphs.g!.nodes.b).toEqual({ x: 1, y: 2 });
    expect(useStudio.getState().future).toHaveLength(0);
  });

  it('is clean again when undo comes back to the saved content, and dirty when redo leaves it', () => {
    const addNode = (name: string) =>
      useStudio.getState().applyStep([{ type: 'editGraph', graph: 'g', edit: { type: 'addNode', node: { type: 'extension', name, addon: 'sink' } } }]);
    const dirty = () => useStudio.getState().dirty;
    expect(addNode('b')).toBeNull();
    expect(dirty()).toBe(true);
    useStudio.getState().undo();
    expect(dirty()).toBe(false);
    useStudio.getState().redo();
    expect(dirty()).toBe(true);
    // Saving with the step applied moves the saved point there: undo now leaves it.
    const s = useStudio.getState();
    s.markSaved(s.document!, s.revision);
    expect(dirty()).toBe(false);
    useStudio.getState().undo();
    expect(dirty()).toBe(true);
    useStudio.getState().redo();
    expect(dirty()).toBe(false);
    // A new step after an undo drops the redo branch, and with it the way back to the saved point.
    useStudio.getState().undo();
    expect(addNode('c')).toBeNull();
    useStudio.getState().undo();
    expect(selectGraph(useStudio.getState())!.nodes.map((n) => n.name)).toEqual(['a']);
    expect(dirty()).toBe(true);
  });

  it('keeps a restored recovery copy unsaved through undo', () => {
    useStudio.getState().openDocument(doc, true);
    useStudio.getState().applyStep([{ type: 'editGraph', graph: 'g', edit: { type: 'renameNode', from: 'a', to: 'b' } }]);
    useStudio.getState().undo();
    expect(useStudio.getState().dirty).toBe(true);
  });

  it('applies nothing when one edit of a step fails', () => {
    const before = useStudio.getState().document;
    const error = useStudio.getState().applyStep([
      { type: 'editGraph', graph: 'g', edit: { type: 'addNode', node: { type: 'extension', name: 'b', addon: 'sink' } } },
      { type: 'editGraph', graph: 'g', edit: { type: 'removeNode', name: 'missing' } },
    ]);
    expect(error).toBe("No node named 'missing'.");
    expect(useStudio.getState().document).toBe(before);
    expect(useStudio.getState().past).toHaveLength(0);
  });

  it('follows a renamed graph through undo', () => {
    const s = useStudio.getState();
    expect(s.applyStep([{ type: 'removeGraph', name: 'g' }, { type: 'addGraph', entry: { name: 'h', graph: { nodes: [] } }, index: 0 }], { graphName: 'h' })).toBeNull();
    expect(useStudio.getState().graphName).toBe('h');
    useStudio.getState().undo();
    expect(useStudio.getState().graphName).toBe('g');
  });

  it('applyEdits returns inverses in the order that undoes', () => {
    const r = applyEdits(doc.property, [
      { type: 'editGraph', graph: 'g', edit: { type: 'renameNode', from: 'a', to: 'b' } },
      { type: 'editGraph', graph: 'g', edit: { type: 'renameNode', from: 'b', to: 'c' } },
    ]);
    if (!r.ok) throw new Error(r.error);
    const back = applyEdits(r.property, r.inverse);
    expect(back.ok && back.property).toEqual(doc.property);
  });
});

describe('automatic placement', () => {
  it('places nodes in columns by depth and wraps long chains into bands', () => {
    const names = Array.from({ length: 30 }, (_, i) => `n${i}`);
    const edges = names.slice(1).map((n, i) => ({ source: names[i]!, target: n }));
    const p = layeredLayout(names, edges);
    expect(p.get('n0')).toEqual({ x: 0, y: 0 });
    expect(p.get('n11')).toEqual({ x: 11 * 280, y: 0 });
    expect(p.get('n12')).toEqual({ x: 0, y: 400 });
    expect(p.get('n29')).toEqual({ x: 5 * 280, y: 800 });
    const fan = layeredLayout(['a', 'b', 'c'], [{ source: 'a', target: 'b' }, { source: 'a', target: 'c' }]);
    expect([fan.get('b'), fan.get('c')]).toEqual([{ x: 280, y: 0 }, { x: 280, y: 200 }]);
  });
});
