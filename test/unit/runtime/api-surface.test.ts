// `ten-runtime-nodejs` has TEN's public API, no more and no less: code written here must run on
// TEN, and TEN's code must compile here. The reference is a description of TEN's binding
// (core/src/ten_runtime/binding/nodejs/interface, TEN commit 2e56d96) derived by
// scripts/api-surface.ts; this test derives ours the same way and compares them export by export.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as api from 'ten-runtime-nodejs';
import { describeApi, type ApiSurface } from '../../../scripts/api-surface';

const ROOT = resolve(import.meta.dirname, '../../..');
const TEN: ApiSurface = JSON.parse(readFileSync(resolve(ROOT, 'test/fixtures/ten-api/ten-runtime-nodejs.json'), 'utf8')) as ApiSurface;
const OURS = describeApi(resolve(ROOT, 'src/runtime/api/index.ts'));

describe("ten-runtime-nodejs matches TEN's Node.js binding", () => {
  it('exports the same names', () => {
    expect(Object.keys(OURS).sort()).toEqual(Object.keys(TEN).sort());
  });

  it.each(Object.keys(TEN))('%s has the same kind, members and signatures', (name) => {
    expect(OURS[name]).toEqual(TEN[name]);
  });

  // The declarations could say one thing and the module do another: check the values too.
  it.each(Object.entries(TEN).filter(([, e]) => e.kind === 'class'))('%s has its methods at run time', (name, surface) => {
    const klass = (api as Record<string, unknown>)[name] as { prototype: Record<string, unknown> } & Record<string, unknown>;
    expect(typeof klass).toBe('function');
    for (const [member, sig] of Object.entries(surface.members ?? {})) {
      if (sig.includes('=>') && !sig.startsWith('abstract ')) expect(typeof klass.prototype[member], `${name}.prototype.${member}`).toBe('function');
    }
    for (const member of Object.keys(surface.statics ?? {})) expect(typeof klass[member], `${name}.${member}`).toBe('function');
  });

  it.each(Object.entries(TEN).filter(([, e]) => e.kind === 'enum'))('enum %s has its values at run time', (name, surface) => {
    const values = (api as Record<string, unknown>)[name] as Record<string, unknown>;
    for (const [member, value] of Object.entries(surface.values ?? {})) expect(values[member], `${name}.${member}`).toBe(value);
  });

  it('the log option default is TEN’s', () => {
    expect(api.DefaultLogOption).toEqual({ skip: 2 });
  });
});
