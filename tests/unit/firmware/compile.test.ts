// Every firmware file must compile with the real MicroPython interpreter, so a syntax error in
// firmware/*.py fails `npm test` instead of a learner's board.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { compilePython as compileWith, loadInterpreter, type MicroPythonRuntime } from './interpreter.ts';

const firmwareDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../firmware');

let mp: MicroPythonRuntime;

beforeAll(async () => {
  mp = await loadInterpreter();
});

function compilePython(source: string, name: string): void {
  compileWith(mp, source, name);
}

describe('firmware compiles with the real MicroPython', () => {
  it('ships exactly the three files the uploader pushes', async () => {
    const files = (await readdir(firmwareDir)).filter((f) => f.endsWith('.py')).sort();
    expect(files).toEqual(['main.py', 'mqtt.py', 'wifi.py']);
  });

  it.each(['wifi.py', 'mqtt.py', 'main.py'])('%s compiles', async (file) => {
    const source = await readFile(path.join(firmwareDir, file), 'utf8');
    expect(source.length).toBeGreaterThan(0);
    expect(() => compilePython(source, file)).not.toThrow();
  });

  it('a broken source fails to compile (the check can fail)', () => {
    const broken = 'def lamp(on:\n    return on\n';
    expect(() => compilePython(broken, 'broken.py')).toThrow(/SyntaxError/);
  });

  it('code CPython accepts but MicroPython does not also fails (it is the real interpreter)', () => {
    // MicroPython has no `match` statement; CPython 3.10+ compiles this.
    const cpythonOnly = 'match 1:\n    case 1:\n        pass\n';
    expect(() => compilePython(cpythonOnly, 'cpython_only.py')).toThrow(/SyntaxError/);
  });
});
