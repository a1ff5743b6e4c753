# sys, os, gc and esp as the board reports them (platform, uname, the chip's heap budget).
import json
import sys as _sys
import os as _os
import gc as _gc
import _nyala as N

_cfg = json.loads(N.config())
_chip = _cfg["chip"]
# Heap a fresh board reports: ESP8266 38 KB static heap (ports/esp8266/main.c), ESP32 ~112 KB
# without PSRAM; and what the firmware's own boot leaves allocated.
_BUDGET = 38 * 1024 if _chip == "esp8266" else 112 * 1024
_BOOT_ALLOC = 1600 if _chip == "esp8266" else 2100
_base = [0]


class _Impl:
    name = "micropython"
    version = (1, 27, 0, "")
    _machine = _cfg["machine"]
    _mpy = _sys.implementation._mpy

    def __repr__(self):
        return "(name='micropython', version=(1, 27, 0, ''), _machine='%s', _mpy=%d)" % (self._machine, self._mpy)


class Sys:
    platform = _chip
    implementation = _Impl()
    version = "3.4.0; MicroPython v1.27.0 on 2025-12-09"

    def __getattr__(self, name):
        return getattr(_sys, name)


class _Uname:
    sysname = _chip
    nodename = _chip
    release = "1.27.0"
    version = "v1.27.0 on 2025-12-09"
    machine = _cfg["machine"]

    def __getitem__(self, i):
        return (self.sysname, self.nodename, self.release, self.version, self.machine)[i]

    def __repr__(self):
        return "(sysname='%s', nodename='%s', release='%s', version='%s', machine='%s')" % tuple(self[i] for i in range(5))


class Os:
    sep = "/"

    def uname(self):
        return _Uname()

    def urandom(self, n):
        import random

        return bytes(random.getrandbits(8) for _ in range(n))

    def dupterm(self, *args):
        return None

    def sync(self):
        pass

    def __getattr__(self, name):
        return getattr(_os, name)


class Gc:
    def collect(self):
        _gc.collect()

    def mem_alloc(self):
        return max(0, _BOOT_ALLOC + _gc.mem_alloc() - _base[0])

    def mem_free(self):
        return max(0, _BUDGET - self.mem_alloc())

    def __getattr__(self, name):
        return getattr(_gc, name)


class Esp:
    def flash_size(self):
        return _cfg["flashSize"]

    def flash_user_start(self):
        return 0x100000 if _cfg["flashSize"] >= 0x200000 else 0x9C000

    def osdebug(self, *args):
        pass

    def check_fw(self):
        return True


def baseline():
    _base[0] = _gc.mem_alloc()
