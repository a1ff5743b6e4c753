# machine for the virtual ESP8266/ESP32: pins drive the board's virtual GPIOs.
import json
import _nyala as N

_cfg = json.loads(N.config())
_esp8266 = _cfg["chip"] == "esp8266"
_levels = {}
_modes = {}
_freq = [80000000 if _esp8266 else 160000000]

if _esp8266:
    _VALID = (0, 1, 2, 3, 4, 5, 12, 13, 14, 15, 16)
    PWRON_RESET, WDT_RESET, SOFT_RESET, DEEPSLEEP_RESET, HARD_RESET = 0, 1, 4, 5, 6
else:
    _VALID = tuple(p for p in range(40) if p not in (20, 24, 28, 29, 30, 31))
    PWRON_RESET, HARD_RESET, WDT_RESET, DEEPSLEEP_RESET, SOFT_RESET = 1, 2, 3, 4, 5


def _intr(r):
    if r == 1:
        raise KeyboardInterrupt


class Pin:
    IN = 0
    OUT = 1
    OPEN_DRAIN = 2
    PULL_UP = 1
    PULL_DOWN = 2
    IRQ_RISING = 1
    IRQ_FALLING = 2

    def __init__(self, id, mode=-1, pull=-1, *, value=None):
        if id not in _VALID:
            raise ValueError("invalid pin")
        self._id = id
        self.init(mode, pull, value=value)

    def init(self, mode=-1, pull=-1, *, value=None):
        if value is not None:
            _levels[self._id] = 1 if value else 0
        if mode != -1:
            if not _esp8266 and mode != Pin.IN and self._id >= 34:
                raise ValueError("invalid pin for output")
            _modes[self._id] = mode
        if _modes.get(self._id) in (Pin.OUT, Pin.OPEN_DRAIN) and (mode != -1 or value is not None):
            _intr(N.gpio_set(self._id, _levels.get(self._id, 0)))

    def value(self, v=None):
        if v is None:
            if _modes.get(self._id) == Pin.OUT:
                return _levels.get(self._id, 0)
            return N.gpio_get(self._id)
        _levels[self._id] = 1 if v else 0
        if _modes.get(self._id) in (Pin.OUT, Pin.OPEN_DRAIN):
            _intr(N.gpio_set(self._id, _levels[self._id]))

    def __call__(self, v=None):
        return self.value(v)

    def on(self):
        self.value(1)

    def off(self):
        self.value(0)

    def irq(self, handler=None, trigger=3, *args, **kwargs):
        return None

    def __repr__(self):
        return "Pin(%d)" % self._id


def reset():
    N.reset()


def soft_reset():
    raise SystemExit


def reset_cause():
    # machine.reset() is a software restart on both ports (ESP8266 REASON_SOFT_RESTART, ESP32
    # ESP_RST_SW); the EN pin is an external reset on the ESP8266 and a power-on one on the ESP32.
    c = _cfg["resetCause"]
    if c == "software":
        return SOFT_RESET
    if c == "watchdog":
        return WDT_RESET
    if c == "external" and _esp8266:
        return HARD_RESET
    return PWRON_RESET


def unique_id():
    m = _cfg["mac"]
    return bytes([m[5], m[4], m[3], 0]) if _esp8266 else bytes(m)


def freq(hz=None):
    if hz is None:
        return _freq[0]
    _freq[0] = hz


def idle():
    _intr(N.check())


def disable_irq():
    return 0


def enable_irq(state=0):
    pass
