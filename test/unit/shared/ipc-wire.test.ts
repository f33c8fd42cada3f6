import { describe, expect, it } from 'vitest';
import {
  createHostApi,
  decodeRequest,
  decodeServerMessage,
  encodeError,
  encodeEvent,
  encodeRequest,
  encodeResult,
  HOST_METHOD_NAMES,
  validateRequest,
  type HostMethod,
} from '../../../src/shared';

describe('HostApi wire format', () => {
  it('round-trips a request through encode and decode', () => {
    const decoded = decodeRequest(encodeRequest(7, 'openExample', { id: 'hello-pipeline' }));
    expect(decoded).toEqual({
      ok: true,
      value: { type: 'request', id: 7, method: 'openExample', params: { id: 'hello-pipeline' } },
    });
  });

  it('carries integers beyond 2^53 exactly both ways, and numbers stay numbers', () => {
    const property = { ten: { predefined_graphs: [{ name: 'g', graph: { nodes: [{ type: 'extension', name: 'a', addon: 'x', property: { u: 18446744073709551615n, i: -9223372036854775808n, s: 9007199254740993n, ns: 1.7e18, f: 0.5 } }] } }] } };
    const document = { id: 'property:/p/property.json', title: 'p', origin: { kind: 'property', file: '/p/property.json' }, property };
    const frame = encodeResult(3, document);
    expect(frame).toContain('"u":18446744073709551615,"i":-9223372036854775808,"s":9007199254740993,"ns":1.7e+18');
    expect(decodeServerMessage(frame)).toEqual({ ok: true, value: { type: 'response', id: 3, ok: true, result: document } });
    const ns = (decodeServerMessage(frame) as { value: { result: typeof document } }).value.result.property.ten.predefined_graphs[0]!.graph.nodes[0]!.property.ns;
    expect(typeof ns).toBe('number');
    const request = decodeRequest(encodeRequest(4, 'validateDocument', { document }));
    expect(request).toEqual({ ok: true, value: { type: 'request', id: 4, method: 'validateDocument', params: { document } } });
  });

  it('accepts a request without params for methods that take none', () => {
    const decoded = decodeRequest(encodeRequest(1, 'version'));
    expect(decoded.ok).toBe(true);
  });

  it.each([
    ['not json', '{', 'E_BAD_MESSAGE'],
    ['an array', '[]', 'E_BAD_MESSAGE'],
    ['a missing id', '{"type":"request","method":"version"}', 'E_BAD_MESSAGE'],
    ['a fractional id', '{"type":"request","id":1.5,"method":"version"}', 'E_BAD_MESSAGE'],
    ['an unknown method', '{"type":"request","id":1,"method":"rmrf"}', 'E_UNKNOWN_METHOD'],
    ['a prototype key as method', '{"type":"request","id":1,"method":"toString"}', 'E_UNKNOWN_METHOD'],
    ['params where none are taken', '{"type":"request","id":1,"method":"version","params":{"x":1}}', 'E_BAD_PARAMS'],
    ['a wrong param type', '{"type":"request","id":2,"method":"openExample","params":{"id":3}}', 'E_BAD_PARAMS'],
    ['an extra param', '{"type":"request","id":2,"method":"openExample","params":{"id":"a","x":1}}', 'E_BAD_PARAMS'],
  ])('rejects %s with a stable code', (_what, text, code) => {
    const decoded = decodeRequest(text);
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) expect(decoded.error.code).toBe(code);
  });

  it('keeps the request id on a params error so the client can match the answer', () => {
    const decoded = decodeRequest('{"type":"request","id":42,"method":"openExample","params":{}}');
    expect(decoded).toMatchObject({ ok: false, id: 42 });
    if (!decoded.ok) expect(decoded.error.message).toBe('openExample expects "id" to be a string.');
  });

  it('decodes results, errors and events on the client side', () => {
    expect(decodeServerMessage(encodeResult(3, { a: 1 }))).toEqual({
      ok: true,
      value: { type: 'response', id: 3, ok: true, result: { a: 1 } },
    });
    const err = decodeServerMessage(encodeError(4, { code: 'E_NOT_FOUND', message: 'nope' }));
    expect(err).toMatchObject({ ok: true, value: { ok: false, error: { code: 'E_NOT_FOUND' } } });
    const evt = decodeServerMessage(
      encodeEvent({ type: 'log', time: 1, level: 'info', source: 'host', message: 'hi' }),
    );
    expect(evt).toMatchObject({ ok: true, value: { type: 'event', event: { message: 'hi' } } });
    expect(decodeServerMessage('{"type":"response","id":1,"ok":false}').ok).toBe(false);
    expect(decodeServerMessage('nope').ok).toBe(false);
  });

  it('validates every method name of the contract and nothing else', () => {
    const document = {
      id: 'app:/a',
      title: 'a',
      origin: { kind: 'app', dir: '/a', propertyFile: '/a/property.json', packages: [] },
      property: { ten: {} },
    };
    // A Record over every method: a new contract entry must add its sample here.
    const valid: Record<HostMethod, unknown> = {
      version: undefined,
      listExamples: undefined,
      openExample: { id: 'x' },
      openDocument: { path: '/a' },
      saveDocument: { document, force: true },
      saveDocumentAs: { document, path: 'C:\\b.json' },
      exportDocument: { document, path: '~/c.json', format: 'graph', graphName: 'g' },
      listRecent: undefined,
      saveRecovery: { document },
      listRecoveries: undefined,
      restoreRecovery: { documentId: 'app:/a' },
      discardRecovery: { documentId: 'app:/a' },
      listAddons: { appDir: '/a' },
      validateDocument: { document },
      startRun: { document, graph: 'g', violationPolicy: 'report', pythonDebug: { port: 5678 }, standIns: { g: { rtc: { kind: 'transport', frameMs: 20 }, llm: { kind: 'replay', recording: '/tmp/r.json' } } } },
      planRun: { document, graph: 'g' },
      talkControl: { runId: 'r', node: 'rtc', action: 'join' },
      talkAudio: { runId: 'r', pcm: 'AAABAA==' },
      talkFile: { runId: 'r', path: '/tmp/in.wav' },
      stopRun: { runId: 'r' },
      listRuns: undefined,
      getRun: { runId: 'r' },
      setTracing: { runId: 'r', tracing: { edges: [{ src: 'a' }, { dest: 'b' }, {}], sampleEvery: 10, payloads: true } },
      followCmd: { runId: 'r', cmdId: 'c' },
      saveRecording: { runId: 'r', path: '/tmp/r.json', overwrite: true },
      openRecording: { path: '/tmp/r.json' },
      exportChromeTrace: { source: { kind: 'file', path: '/tmp/r.json' }, path: '/tmp/t.json' },
      listDirectory: { path: '~', showHidden: true, offset: 0, limit: 1000, match: 'prop' },
      choosePath: { purpose: 'export', defaultPath: '/tmp/x.json' },
    };
    for (const method of HOST_METHOD_NAMES) {
      expect(validateRequest(method, valid[method]), method).toBeNull();
    }
    expect(validateRequest('__proto__', undefined)?.code).toBe('E_UNKNOWN_METHOD');
  });

  it('refuses talk audio that is not whole 16-bit samples in base64, and stand-ins that are not one', () => {
    expect(validateRequest('talkAudio', { runId: 'r', pcm: 'AAAB' })?.message).toBe('talkAudio expects "pcm" to hold whole 16-bit samples (an even number of bytes).');
    expect(validateRequest('talkAudio', { runId: 'r', pcm: 'A?==' })?.message).toBe('talkAudio expects "pcm" to be base64.');
    expect(validateRequest('talkAudio', { runId: 'r', pcm: 'A'.repeat(1_400_004) })?.message).toBe('talkAudio expects "pcm" to be at most 1 MiB of audio.');
    expect(validateRequest('talkControl', { runId: 'r', action: 'shout' })?.code).toBe('E_BAD_PARAMS');
    const document = { id: 'x', title: 'x', origin: { kind: 'untitled' }, property: {} };
    expect(validateRequest('startRun', { document, standIns: { g: { rtc: { kind: 'transport', frameMs: 15 } } } })?.message).toBe('startRun expects "standIns.g.rtc.frameMs" to be 10 or 20.');
    expect(validateRequest('startRun', { document, pythonDebug: { port: 70000 } })?.message).toBe('startRun expects "pythonDebug.port" to be a port (an integer from 1 to 65535).');
    expect(validateRequest('startRun', { document, pythonDebug: {} })).toBeNull();
    const layout = { version: 1, graphs: { g: { nodes: {}, standIns: { llm: { kind: 'replay', recording: 'rel.json' } } } } };
    expect(validateRequest('saveDocument', { document: { ...document, layout } })?.message).toBe('saveDocument expects "document.layout.graphs.g.standIns.llm.recording" to be an absolute path.');
  });

  it('builds a client with exactly one method per contract entry', async () => {
    const calls: [HostMethod, unknown][] = [];
    const api = createHostApi(
      async (method, params) => {
        calls.push([method, params]);
        return method;
      },
      () => () => {},
    );
    expect(Object.keys(api).sort()).toEqual([...HOST_METHOD_NAMES, 'onEvent'].sort());
    await expect(api.openExample({ id: 'x' })).resolves.toBe('openExample');
    expect(calls).toEqual([['openExample', { id: 'x' }]]);
  });
});
