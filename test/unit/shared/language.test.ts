// A package's language comes from the runtime its manifest depends on, else from its files; one
// function says which languages run here.
import { describe, expect, it } from 'vitest';
import { canRunHere, languageBlocker, packageLanguage, PACKAGE_LANGUAGES } from '../../../src/shared';

const runtime = (name: string) => ({ dependencies: [{ type: 'system', name, version: '0.11' }] });

describe('package language', () => {
  it("is the language of the TEN runtime the manifest depends on", () => {
    expect(packageLanguage(runtime('ten_runtime_nodejs'))).toBe('typescript');
    expect(packageLanguage(runtime('ten_runtime_python'))).toBe('python');
    expect(packageLanguage(runtime('ten_runtime_go'))).toBe('go');
    expect(packageLanguage(runtime('ten_runtime'))).toBe('cpp');
    // Other system packages (ten_ai_base) and path dependencies say nothing; the runtime decides.
    expect(packageLanguage({ dependencies: [{ type: 'system', name: 'ten_ai_base', version: '0.7' }, { path: '../x' }, { type: 'system', name: 'ten_runtime_python', version: '0.11' }] })).toBe('python');
    // A binding's runtime wins over ten_runtime (the C++ core every binding needs), in any order:
    // TEN's Python apps depend on both.
    expect(packageLanguage({ dependencies: [{ type: 'system', name: 'ten_runtime', version: '0.11' }, { type: 'system', name: 'ten_runtime_python', version: '0.11' }] })).toBe('python');
    // The manifest wins over the files.
    expect(packageLanguage(runtime('ten_runtime_go'), ['addon.py'])).toBe('go');
  });

  it('is read from the files when the manifest names no runtime', () => {
    expect(packageLanguage({ dependencies: [{ type: 'system', name: 'ffmpeg', version: '1' }] }, ['BUILD.gn', 'src/main.cc'])).toBe('cpp');
    expect(packageLanguage(undefined, ['manifest.json', 'addon.py', 'extension.py'])).toBe('python');
    expect(packageLanguage({}, ['go.mod', 'main.go'])).toBe('go');
    expect(packageLanguage({}, ['package.json', 'src/index.ts'])).toBe('typescript');
    expect(packageLanguage({}, ['manifest.json', 'property.json'])).toBe('unknown');
  });

  it('runs here for TypeScript and Python, and says why not for the others', () => {
    expect(PACKAGE_LANGUAGES.filter(canRunHere)).toEqual(['typescript', 'python']);
    expect(languageBlocker('typescript')).toBeNull();
    expect(languageBlocker('python')).toBeNull();
    expect(languageBlocker('go')).toBe('a Go extension; this studio runs TypeScript (Node.js), Python extensions only');
    expect(languageBlocker('cpp')).toBe('a C++ extension; this studio runs TypeScript (Node.js), Python extensions only');
    expect(languageBlocker('unknown')).toBe('in a language the studio does not recognise; this studio runs TypeScript (Node.js), Python extensions only');
  });
});
