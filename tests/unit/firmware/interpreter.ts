// The real MicroPython interpreter from npm, for checks that need no board (compiling the
// firmware). The package ships no type declarations; the few calls used here are typed below and
// the specifier is a variable so this file does not depend on anyone's ambient declaration.
export interface MicroPythonRuntime {
  runPython(code: string): unknown;
  globals: { set(key: string, value: unknown): void; delete(key: string): void };
}

interface MicroPythonPackage {
  loadMicroPython(options?: { heapsize?: number; stdout?: (s: string) => void; stderr?: (s: string) => void }): Promise<MicroPythonRuntime>;
}

const PACKAGE = '@micropython/micropython-webassembly-pyscript';

export async function loadInterpreter(heapsize = 256 * 1024): Promise<MicroPythonRuntime> {
  const pkg = (await import(PACKAGE)) as MicroPythonPackage;
  return pkg.loadMicroPython({ heapsize });
}

/** Compiles `source` as MicroPython does when importing `name`; throws the interpreter's error. */
export function compilePython(mp: MicroPythonRuntime, source: string, name: string): void {
  mp.globals.set('__nyala_src', source);
  mp.globals.set('__nyala_name', name);
  try {
    mp.runPython("compile(__nyala_src, __nyala_name, 'exec')");
  } finally {
    mp.globals.delete('__nyala_src');
    mp.globals.delete('__nyala_name');
  }
}
