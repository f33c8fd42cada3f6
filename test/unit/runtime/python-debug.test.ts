// Python debugging's settings as TEN's variables and the run's own choice give them.
import { describe, expect, it } from 'vitest';
import { pythonDebugFrom } from '../../../src/runtime/app/python';

describe('pythonDebugFrom', () => {
  it('follows TEN_ENABLE_PYTHON_DEBUG=true (exactly "true", as TEN), with TEN_PYTHON_DEBUG_PORT and _HOST, else TEN defaults on loopback', () => {
    expect(pythonDebugFrom(undefined, {})).toBeNull();
    expect(pythonDebugFrom(undefined, { TEN_ENABLE_PYTHON_DEBUG: '1' })).toBeNull();
    expect(pythonDebugFrom(undefined, { TEN_ENABLE_PYTHON_DEBUG: 'true' })).toEqual({ host: '127.0.0.1', port: 5678 });
    expect(pythonDebugFrom(undefined, { TEN_ENABLE_PYTHON_DEBUG: 'true', TEN_PYTHON_DEBUG_PORT: '5800', TEN_PYTHON_DEBUG_HOST: '0.0.0.0' })).toEqual({ host: '0.0.0.0', port: 5800 });
  });

  it("the run's choice wins: false turns it off, true or { port, host } on, the rest from the variables", () => {
    const env = { TEN_ENABLE_PYTHON_DEBUG: 'true', TEN_PYTHON_DEBUG_PORT: '5800' };
    expect(pythonDebugFrom(false, env)).toBeNull();
    expect(pythonDebugFrom(true, {})).toEqual({ host: '127.0.0.1', port: 5678 });
    expect(pythonDebugFrom(true, env)).toEqual({ host: '127.0.0.1', port: 5800 });
    expect(pythonDebugFrom({ port: 6000 }, env)).toEqual({ host: '127.0.0.1', port: 6000 });
  });

  it('a port that is not one is an error that names where it came from', () => {
    expect(() => pythonDebugFrom(undefined, { TEN_ENABLE_PYTHON_DEBUG: 'true', TEN_PYTHON_DEBUG_PORT: '70000' })).toThrow("TEN_PYTHON_DEBUG_PORT is '70000', which is not a port (1 to 65535).");
    expect(() => pythonDebugFrom(undefined, { TEN_ENABLE_PYTHON_DEBUG: 'true', TEN_PYTHON_DEBUG_PORT: '56x' })).toThrow("TEN_PYTHON_DEBUG_PORT is '56x', which is not a port (1 to 65535).");
    expect(() => pythonDebugFrom({ port: 0 }, {})).toThrow('The Python debug port 0 is not a port (1 to 65535).');
  });
});
