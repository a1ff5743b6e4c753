# time as on the board: sleeps are real, wait without spinning, and let Ctrl-C through.
import time as _t
import _nyala as N

ticks_ms = _t.ticks_ms
ticks_us = _t.ticks_us
ticks_cpu = _t.ticks_cpu
ticks_add = _t.ticks_add
ticks_diff = _t.ticks_diff
# The ESP ports count time from 2000-01-01 (MICROPY_EPOCH_IS_1970 is off there); the clock shows
# the host's date, as if NTP had set it.
_EPOCH = 946684800


def time():
    return _t.time() - _EPOCH


def time_ns():
    return _t.time_ns() - _EPOCH * 1000000000


def gmtime(secs=None):
    return _t.gmtime() if secs is None else _t.gmtime(secs + _EPOCH)


def localtime(secs=None):
    return _t.localtime() if secs is None else _t.localtime(secs + _EPOCH)


def mktime(t):
    return _t.mktime(t) - _EPOCH


def sleep_ms(ms):
    if N.sleep_ms(int(ms)):
        raise KeyboardInterrupt


def sleep(s):
    if N.sleep_ms(int(s * 1000)):
        raise KeyboardInterrupt


def sleep_us(us):
    if N.sleep_ms(int(us) // 1000):
        raise KeyboardInterrupt
