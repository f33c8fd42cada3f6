import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

/** Lints a snippet as if it lived at `filePath`, returning the rule ids that fired. */
async function rulesFiredFor(filePath: string, code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: process.cwd() });
  const [result] = await eslint.lintText(code, { filePath });
  return result!.messages.map((m) => m.ruleId ?? 'fatal');
}

describe('layer rules', () => {
  it.each([
    ['src/renderer/x.ts', "import { readFile } from 'node:fs';\nexport const f = readFile;\n"],
    ['src/renderer/x.ts', "import fs from 'fs';\nexport const f = fs;\n"],
    ['src/renderer/x.ts', "import { Host } from '../host';\nexport const f = Host;\n"],
    ['src/renderer/x.ts', "import * as rt from '../runtime/index';\nexport const f = rt;\n"],
    ['src/runtime/x.ts', "import { app } from 'electron';\nexport const f = app;\n"],
    ['src/runtime/x.ts', "import { useState } from 'react';\nexport const f = useState;\n"],
    ['src/runtime/x.ts', "import { Host } from '../host/host';\nexport const f = Host;\n"],
    ['src/host/x.ts', "import { app } from 'electron';\nexport const f = app;\n"],
    ['src/shared/x.ts', "import { join } from 'node:path';\nexport const f = join;\n"],
    ['src/shared/x.ts', "import { Host } from '../host';\nexport const f = Host;\n"],
  ])('%s may not import: %s', async (file, code) => {
    expect(await rulesFiredFor(file, code)).toContain('no-restricted-imports');
  });

  it.each([
    ['src/renderer/x.ts', "import { HOST_METHODS } from '../shared';\nexport const f = HOST_METHODS;\n"],
    ['src/runtime/x.ts', "import { join } from 'node:path';\nexport const f = join;\n"],
    ['src/host/x.ts', "import { readFile } from 'node:fs/promises';\nexport const f = readFile;\n"],
    ['src/main/x.ts', "import { app } from 'electron';\nexport const f = app;\n"],
  ])('%s may import: %s', async (file, code) => {
    expect(await rulesFiredFor(file, code)).not.toContain('no-restricted-imports');
  });
});
