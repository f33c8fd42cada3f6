// The runtime's guarded reader (src/runtime/core/regular_file.ts), synchronous and asynchronous,
// on real FIFOs, devices and sparse files: refused before a byte is read, with the reason; and
// the runtime's App refusing a property.json that is a FIFO, naming it.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { App } from '../../../src/runtime';
import { FileRefusedError, readFileText, readRegularFile, readRegularFileSync, readRegularTextSync } from '../../../src/runtime/core/regular_file';

const tmp = mkdtempSync(join(tmpdir(), 'ten-regular-file-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const fifo = join(tmp, 'pipe.json');
execFileSync('mkfifo', [fifo]);
const huge = join(tmp, 'huge.json');
writeFileSync(huge, '');
truncateSync(huge, 5 * 1024 ** 3); // sparse: no disk used

describe('readRegularFileSync', () => {
  it('reads a regular file, empty or not', () => {
    const file = join(tmp, 'ok.json');
    writeFileSync(file, '{"a":1}');
    expect(readRegularTextSync(file)).toBe('{"a":1}');
    writeFileSync(file, '');
    expect(readRegularFileSync(file).bytes.length).toBe(0);
  });

  it('reads a file past its fstat size (a /proc file says 0)', () => {
    expect(readRegularTextSync('/proc/self/status')).toContain('Name:');
  });

  it.each([
    ['a FIFO', fifo, 'ENOTREGULAR', 'it is a FIFO (named pipe), not a regular file'],
    ['a character device', '/dev/zero', 'ENOTREGULAR', 'it is a character device, not a regular file'],
    ['a folder', tmp, 'ENOTREGULAR', 'it is a folder, not a regular file'],
    ['a file past the limit', huge, 'ETOOLARGE', 'it is 5.0 GB; the studio reads files up to 128.0 MB'],
  ])('refuses %s before reading it, sync and async alike', async (_what, path, code, reason) => {
    const sync = (() => {
      try {
        readRegularFileSync(path);
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(sync).toBeInstanceOf(FileRefusedError);
    expect(sync).toMatchObject({ code, reason });
    await expect(readRegularFile(path)).rejects.toMatchObject({ code, reason });
  });

  it('refuses a file over a smaller limit, and one that grows past it while read', () => {
    const file = join(tmp, 'small.json');
    writeFileSync(file, 'x'.repeat(2000));
    expect(() => readRegularFileSync(file, 1000)).toThrow('it is 2.0 KB; the studio reads files up to 1000 bytes');
    // /proc/self/status says 0 bytes in fstat and holds more than 100.
    expect(() => readRegularFileSync('/proc/self/status', 100)).toThrow('it grew past 100 bytes while being read');
  });

  it('readFileText names the file in every failure', () => {
    expect(() => readFileText(fifo)).toThrow(`Cannot read ${fifo}: it is a FIFO (named pipe), not a regular file`);
    expect(() => readFileText(join(tmp, 'none.json'))).toThrow(`Cannot read ${join(tmp, 'none.json')}: no such file or folder`);
  });
});

describe('the runtime App', () => {
  it('refuses a property.json that is a FIFO, naming it, instead of hanging', () => {
    expect(() => new App({ property: fifo })).toThrow(`Cannot read ${fifo}: it is a FIFO (named pipe), not a regular file`);
  });
});
