# time as on the board: sleeps are real, wait without spinning, and let Ctrl-C through.
import time as _t
import _nyala as N

ticks_ms = _t.ticks_ms
ticks_us = _t.ticks_us
ticks_cpu = _t.ticks_cpu
ticks_add = _t.ticks_add
ticks_diff = _t.ticks_diff
time = _t.time
time_ns = _t.time_ns
localtime = _t.localtime
gmtime = _t.gmtime
mktime = _t.mktime


def sleep_ms(ms):
    if N.sleep_ms(int(ms)):
        raise KeyboardInterrupt


def sleep(s):
    if N.sleep_ms(int(s * 1000)):
        raise KeyboardInterrupt


def sleep_us(us):
    if N.sleep_ms(int(us) // 1000):
        raise KeyboardInterrupt
