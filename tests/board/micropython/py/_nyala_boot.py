# Puts the board's modules in place of the interpreter's, mounts the flash filesystem at "/", and
# lets board code import only what the real ESP8266/ESP32 firmware has (no js, jsffi, pyscript
# extras), so code that runs here runs on a board.
import sys
import builtins
import vfs
import json
import _nyala as N

_cfg = json.loads(N.config())
_COMMON = (
    "array", "binascii", "builtins", "collections", "deflate", "errno", "framebuf", "gc", "hashlib",
    "heapq", "io", "json", "machine", "math", "micropython", "network", "os", "platform", "random",
    "re", "select", "socket", "struct", "sys", "time", "uctypes", "vfs", "asyncio", "esp",
)
_ALLOWED = set(_COMMON + (("cmath",) if _cfg["chip"] == "esp32" else ()))


def _on_fs(name):
    for d in ("", "/lib/"):
        for tail in (".py", ".mpy", ""):
            r = N.fs_stat(d + name + tail)
            if isinstance(r, str) and (tail or r[0] == "d"):
                return True
    return False


_misc = []


def setup():
    import _nyala_fs
    import _nyala_time
    import _nyala_machine
    import _nyala_network
    import _nyala_socket
    import _nyala_select
    import _nyala_misc

    _misc.append(_nyala_misc)
    mods = sys.modules
    board = {
        "time": _nyala_time,
        "machine": _nyala_machine,
        "network": _nyala_network,
        "socket": _nyala_socket,
        "select": _nyala_select,
        "sys": _nyala_misc.Sys(),
        "os": _nyala_misc.Os(),
        "gc": _nyala_misc.Gc(),
        "esp": _nyala_misc.Esp(),
    }
    for name, mod in board.items():
        mods[name] = mod
        mods["u" + name] = mod
    sys.path.remove("/nyala")

    vfs.umount("/")
    if _cfg["fs"]:
        vfs.mount(_nyala_fs.BoardVfs(), "/")
        import os

        os.chdir("/")

    orig = builtins.__import__

    def board_import(name, globals=None, locals=None, fromlist=(), level=0):
        if level == 0:
            top = name.split(".")[0]
            if top not in _ALLOWED and not _on_fs(top):
                if top[:1] != "u" or top[1:] not in _ALLOWED:
                    raise ImportError("no module named '%s'" % name)
                try:
                    return orig(name, globals, locals, fromlist, level)
                except ImportError:
                    name = name[1:]
        return orig(name, globals, locals, fromlist, level)

    builtins.__import__ = board_import
    builtins.input = _input
    for name in list(mods):
        if name.startswith("_nyala"):
            del mods[name]


def _input(prompt=""):
    # input() as the board's readline gives it: echo, backspace, Enter ends the line.
    if prompt:
        print(prompt, end="")
    line = bytearray()
    while True:
        c = N.stdin_byte(-1)
        if c == -4:
            raise KeyboardInterrupt
        if c in (13, 10):
            print()
            return line.decode()
        if c in (8, 127):
            if line:
                line.pop()
                print("\b \b", end="")
        elif c == 4 and not line:
            raise EOFError
        elif c >= 32:
            line.append(c)
            print(chr(c), end="")


def baseline():
    _misc[0].baseline()
