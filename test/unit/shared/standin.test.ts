/**
 * Interface stand-ins generated from TEN's 101 real extension manifests: every declared message
 * is known to the stand-in, answers follow the package's language, and results generated from a
 * result schema pass that schema.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileValueSchema, flattenManifestApi, propertyBlockToSchema, type ApiMessage, type FileSource, type TenManifest } from '../../../src/shared';
import {
  generateValue,
  interfaceStandIn,
  languageDefaultAnswer,
  portsFromGraph,
  checkStandInChoice,
  standInLanguage,
  rtcNodes,
  suggestedStandIn,
  transportMatch,
} from '../../../src/shared/talk/standin';
import { CORPUS, HAS_CORPUS } from '../graph/corpus';

const disk: FileSource = {
  readText: async (p) => {
    try {
      return await readFile(p, 'utf8');
    } catch {
      return null;
    }
  },
  listDir: async () => null,
};

describe('stand-in basics', () => {
  it('answers as each language does by default', () => {
    expect(languageDefaultAnswer('cpp')).toEqual({ status: 0, detail: 'default' });
    expect(languageDefaultAnswer('python')).toBeNull();
    expect(languageDefaultAnswer('nodejs')).toBeNull();
    expect(languageDefaultAnswer('go')).toBeNull();
  });

  it('takes the language from the manifest, else from the name, else assumes C++', () => {
    expect(standInLanguage({ dependencies: [{ type: 'system', name: 'ten_runtime_go', version: '0.11' }] }, 'x')).toEqual({ language: 'go', from: 'manifest' });
    expect(standInLanguage({ dependencies: [{ type: 'system', name: 'ten_runtime', version: '0.11' }] }, 'x_python')).toEqual({ language: 'cpp', from: 'manifest' });
    expect(standInLanguage(undefined, 'deepgram_asr_python')).toEqual({ language: 'python', from: 'name' });
    expect(standInLanguage(undefined, 'agora_rtc')).toEqual({ language: 'cpp', from: 'assumed' });
  });

  it('generates values of every TEN type that pass the schema', () => {
    const block = {
      properties: {
        b: { type: 'bool' },
        i8: { type: 'int8' },
        u64: { type: 'uint64' },
        f: { type: 'float32' },
        s: { type: 'string' },
        raw: { type: 'buf' },
        list: { type: 'array', items: { type: 'object', properties: { n: { type: 'int32' } }, required: ['n'] } },
        o: { type: 'object', properties: { deep: { type: 'array', items: { type: 'string' } } } },
      },
      required: ['b', 's', 'list'],
    };
    const parsed = propertyBlockToSchema(block);
    if (!parsed.ok) throw new Error(parsed.error);
    const bufs: string[] = [];
    const v = generateValue(parsed.schema, '', '', bufs) as Record<string, unknown>;
    expect(v).toEqual({ b: true, i8: 1, u64: 1, f: 0.5, s: 'stand-in s', list: [{ n: 1 }], o: { deep: ['stand-in deep'] } });
    expect(bufs).toEqual(['raw']);
    expect(compileValueSchema(parsed.schema)(v)).toEqual({ ok: true, value: v });
  });

  it('reads an RTC node from the graph when its manifest is not installed', () => {
    // TEN's voice-assistant, as its property.json connects agora_rtc (whose package is not in the corpus).
    const graph = {
      connections: [
        { extension: 'main_control', cmd: [{ names: ['on_user_joined', 'on_user_left'], source: [{ extension: 'agora_rtc' }] }] },
        {
          extension: 'agora_rtc',
          audio_frame: [
            { name: 'pcm_frame', dest: [{ extension: 'streamid_adapter' }] },
            { name: 'pcm_frame', source: [{ extension: 'tts' }] },
          ],
          data: [{ name: 'data', source: [{ extension: 'message_collector' }] }],
        },
      ],
    };
    const ports = portsFromGraph(graph, 'agora_rtc');
    expect(ports.cmd_out).toEqual(['on_user_joined', 'on_user_left']);
    expect(ports.audio_frame_out).toEqual(['pcm_frame']);
    expect(ports.audio_frame_in).toEqual(['pcm_frame']);
    expect(ports.data_in).toEqual(['data']);
    expect(transportMatch(ports).score).toBe(2);
    // TEN's streamid_adapter passes audio both ways too, but announces no user: agora_rtc is the RTC node.
    const withAdapter = { connections: [...graph.connections, { extension: 'streamid_adapter', audio_frame: [{ name: 'pcm_frame', dest: [{ extension: 'stt' }] }] }] };
    const all = new Map(['agora_rtc', 'streamid_adapter', 'main_control'].map((n) => [n, portsFromGraph(withAdapter, n)]));
    expect(transportMatch(all.get('streamid_adapter')!).score).toBe(1);
    expect([...rtcNodes(all)]).toEqual(['agora_rtc']);
    // Without a node announcing users, one passing audio both ways is the transport (a WebSocket audio server).
    all.delete('agora_rtc');
    expect([...rtcNodes(all)]).toEqual(['streamid_adapter']);
    expect(suggestedStandIn(true)).toEqual({ kind: 'transport' });
    expect(suggestedStandIn(false)).toEqual({ kind: 'interface', answer: 'default' });
    const { config } = interfaceStandIn({ node: 'agora_rtc', addon: 'agora_rtc', graph });
    expect(config.language).toBe('cpp');
    expect(config.cmds['*']).toEqual({ status: 0, detail: 'default' });
    expect(config.source).toContain('no manifest of agora_rtc');
  });

  it('checks stand-in choices field by field', () => {
    expect(checkStandInChoice({ kind: 'interface', answer: 'schema' }, 's')).toBeNull();
    expect(checkStandInChoice({ kind: 'transport', frameMs: 20 }, 's')).toBeNull();
    expect(checkStandInChoice({ kind: 'replay', recording: '/tmp/r.json' }, 's')).toBeNull();
    expect(checkStandInChoice({ kind: 'replay', recording: 'r.json' }, 's')).toBe('expects "s.recording" to be an absolute path');
    expect(checkStandInChoice({ kind: 'transport', frameMs: 30 }, 's')).toBe('expects "s.frameMs" to be 10 or 20');
    expect(checkStandInChoice({ kind: 'echo' }, 's')).toMatch(/^expects "s.kind" to be one of/);
    expect(checkStandInChoice({ kind: 'interface', recording: '/x' }, 's')).toBe('does not accept "s.recording" for a interface stand-in');
  });
});

describe.skipIf(!HAS_CORPUS)('interface stand-ins of the 101 corpus manifests (needs ../shared/ten-corpus)', () => {
  const root = join(CORPUS, 'packages', 'extension');
  const names = HAS_CORPUS ? readdirSync(root).sort() : [];

  it('covers all 101 packages', () => {
    expect(names).toHaveLength(101);
  });

  it('knows every declared message, answers as Python does, and generates results that pass their schemas', async () => {
    let cmds = 0;
    let withResults = 0;
    let resolvedImports = 0;
    const unresolved = new Set<string>();
    for (const name of names) {
      const dir = join(root, name);
      const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as TenManifest;
      const flat = await flattenManifestApi(manifest.api, { files: disk, baseDir: dir, file: join(dir, 'manifest.json') });
      const missing = flat.diagnostics.map((d) => d.message);
      for (const m of missing) unresolved.add(m.replace(/.*import_uri |.*from /, '').split(':')[0]!);
      resolvedImports += (manifest.api?.interface?.length ?? 0) - missing.length;
      const unresolvedImports = missing.length ? missing : undefined;

      const byDefault = interfaceStandIn({ node: name, addon: name, manifest, api: flat.api, ...(unresolvedImports ? { unresolvedImports } : {}) });
      // Every corpus package depends on ten_runtime_python: its stand-in never answers, as Python's binding.
      expect(byDefault.config.language, name).toBe('python');
      expect(byDefault.config.languageFrom, name).toBe('manifest');
      for (const list of ['cmd_in', 'cmd_out', 'data_in', 'data_out', 'audio_frame_in', 'audio_frame_out', 'video_frame_in', 'video_frame_out'] as const) {
        const declared = ((flat.api[list] ?? []) as ApiMessage[]).map((m) => m.name);
        expect(byDefault.config.ports[list], `${name} ${list}`).toEqual([...new Set(declared)]);
      }
      for (const cmd of byDefault.config.ports.cmd_in) expect(byDefault.config.cmds[cmd], `${name} ${cmd}`).toBeNull();
      expect(byDefault.config.cmds['*']).toBeNull();
      if (unresolvedImports) expect(byDefault.config.source).toContain('unresolved interface imports');

      const bySchema = interfaceStandIn({ node: name, addon: name, manifest, api: flat.api, answer: 'schema' });
      expect(bySchema.problems, name).toEqual([]);
      for (const m of (flat.api.cmd_in ?? []) as ApiMessage[]) {
        cmds++;
        const a = bySchema.config.cmds[m.name];
        expect(a?.status, `${name} ${m.name}`).toBe(0);
        if (!m.result?.property) {
          expect(a?.props, `${name} ${m.name}`).toBeUndefined();
          continue;
        }
        withResults++;
        const schema = propertyBlockToSchema(m.result.property);
        if (!schema.ok) throw new Error(`${name} ${m.name}: ${schema.error}`);
        expect(compileValueSchema(schema.schema)(a?.props ?? {}).ok, `${name} ${m.name}: ${JSON.stringify(a?.props)}`).toBe(true);
        // Every declared result property is generated (none of the corpus results is a buf or ptr).
        expect(Object.keys(a?.props ?? {}).sort(), `${name} ${m.name}`).toEqual(Object.keys(m.result.property.properties ?? {}).sort());
      }
    }
    // The corpus has cmds with result schemas (tool_call, chat_completion, update_configs …) and
    // resolves the ten_ai_base interfaces it ships; only stt-interface.json is absent.
    expect(cmds).toBeGreaterThan(20);
    expect(withResults).toBeGreaterThan(5);
    expect(resolvedImports).toBeGreaterThan(60);
    expect([...unresolved].every((u) => u.includes('stt-interface'))).toBe(true);
  });
});
