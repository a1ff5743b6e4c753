# network.WLAN against the virtual board's simulated access points (the board's options).
import json
import time
import _nyala as N

_cfg = json.loads(N.config())
_esp8266 = _cfg["chip"] == "esp8266"

STA_IF = 0
AP_IF = 1
AUTH_OPEN = 0
AUTH_WEP = 1
AUTH_WPA_PSK = 2
AUTH_WPA2_PSK = 3
AUTH_WPA_WPA2_PSK = 4
if _esp8266:
    STAT_IDLE, STAT_CONNECTING, STAT_WRONG_PASSWORD, STAT_NO_AP_FOUND, STAT_CONNECT_FAIL, STAT_GOT_IP = 0, 1, 2, 3, 4, 5
else:
    STAT_IDLE, STAT_CONNECTING, STAT_GOT_IP = 1000, 1001, 1010
    STAT_BEACON_TIMEOUT, STAT_NO_AP_FOUND, STAT_WRONG_PASSWORD, STAT_ASSOC_FAIL = 200, 201, 202, 203
    STAT_CONNECT_FAIL, STAT_HANDSHAKE_TIMEOUT = 203, 204

# Modelled delays (ms, multiplied by the board's timeScale): association + DHCP on a good network,
# and how long the SDK takes to give up on a wrong password or a missing network.
_DELAY_OK = 2500
_DELAY_WRONG = 3500
_DELAY_NO_AP = 2500

_sta = {"active": False, "ssid": None, "key": None, "t0": 0, "delay": 0, "requested": False, "hostname": "espressif" if not _esp8266 else "ESP_%02X%02X%02X" % tuple(_cfg["mac"][3:])}


def _aps():
    return json.loads(N.aps())


def _find(ssid):
    for ap in _aps():
        if ap["ssid"] == ssid:
            return ap
    return None


def _sta_status():
    if not _sta["active"] or not _sta["requested"]:
        return STAT_IDLE
    if time.ticks_diff(time.ticks_ms(), _sta["t0"]) < _sta["delay"]:
        return STAT_CONNECTING
    ap = _find(_sta["ssid"])
    if ap is None:
        return STAT_NO_AP_FOUND if not _sta.get("was_up") else STAT_CONNECTING
    if ap["password"] != _sta["key"]:
        return STAT_WRONG_PASSWORD
    _sta["was_up"] = True
    return STAT_GOT_IP


def _sta_up():
    return _sta_status() == STAT_GOT_IP


def _mac(interface):
    m = bytearray(_cfg["mac"])
    if interface == AP_IF:
        m[0] |= 2
    return bytes(m)


class WLAN:
    IF_STA = 0
    IF_AP = 1
    PM_NONE = 0
    PM_PERFORMANCE = 1
    PM_POWERSAVE = 2

    def __init__(self, interface=STA_IF):
        if interface not in (STA_IF, AP_IF):
            raise ValueError("invalid WLAN interface identifier")
        self._if = interface

    def active(self, v=None):
        if self._if != STA_IF:
            return False if v is None else None
        if v is None:
            return _sta["active"]
        _sta["active"] = bool(v)
        if not v:
            _sta["requested"] = False
            _sta["was_up"] = False

    def connect(self, ssid=None, key=None, *, bssid=None):
        if self._if != STA_IF:
            raise OSError("STA required")
        if not _sta["active"]:
            raise OSError("Cannot connect to AP" if _esp8266 else "Wifi Not Started")
        if ssid is None:
            ssid, key = _sta["ssid"], _sta["key"]
        if isinstance(ssid, bytes):
            ssid = ssid.decode()
        if isinstance(key, bytes):
            key = key.decode()
        ap = _find(ssid)
        delay = _DELAY_NO_AP if ap is None else _DELAY_OK if ap["password"] == (key or "") else _DELAY_WRONG
        _sta.update(ssid=ssid, key=key or "", requested=True, was_up=False, t0=time.ticks_ms(), delay=int(delay * _cfg["timeScale"]))

    def disconnect(self):
        _sta["requested"] = False
        _sta["was_up"] = False

    def isconnected(self):
        return self._if == STA_IF and _sta_up()

    def status(self, param=None):
        if param is None:
            return _sta_status() if self._if == STA_IF else STAT_IDLE
        if param == "rssi":
            ap = _find(_sta["ssid"]) if _sta_up() else None
            if ap is None:
                raise OSError("STA must be connected")
            return ap.get("rssi", -50)
        raise ValueError("unknown status param")

    def ifconfig(self, cfg=None):
        if cfg is not None:
            return
        if self._if == STA_IF and _sta_up():
            return ("192.168.1.%d" % (100 + _cfg["mac"][5] % 100), "255.255.255.0", "192.168.1.1", "192.168.1.1")
        if self._if == AP_IF:
            return ("192.168.4.1", "255.255.255.0", "192.168.4.1", "208.67.222.222")
        return ("0.0.0.0", "0.0.0.0", "0.0.0.0", "0.0.0.0")

    def ipconfig(self, name=None, **kw):
        if name == "addr4":
            c = self.ifconfig()
            return (c[0], c[1])
        if name == "gw4":
            return self.ifconfig()[2]
        return None

    def config(self, *args, **kwargs):
        if kwargs:
            if "hostname" in kwargs:
                _sta["hostname"] = kwargs["hostname"]
            return None
        name = args[0]
        if name == "mac":
            return _mac(self._if)
        if name in ("essid", "ssid"):
            return _sta["ssid"] or "" if self._if == STA_IF else "MicroPython-%02x%02x%02x" % tuple(_cfg["mac"][3:])
        if name in ("hostname", "dhcp_hostname"):
            return _sta["hostname"]
        if name == "channel":
            ap = _find(_sta["ssid"]) if _sta_up() else None
            return ap.get("channel", 1) if ap else 1
        if name == "txpower":
            return 20
        if name == "pm":
            return 0
        raise ValueError("unknown config param")

    def scan(self):
        if self._if != STA_IF or not _sta["active"]:
            raise OSError("STA must be active" if _esp8266 else "Wifi Not Started")
        N.sleep_ms(int(1500 * _cfg["timeScale"]))
        out = []
        for i, ap in enumerate(_aps()):
            bssid = bytes([0x02, 0x00, 0x00, 0x00, 0x00, i + 1])
            out.append((ap["ssid"].encode(), bssid, ap.get("channel", 1), ap.get("rssi", -50), AUTH_WPA2_PSK if ap["password"] else AUTH_OPEN, False))
        return out


def hostname(name=None):
    if name is None:
        return _sta["hostname"]
    _sta["hostname"] = name


def country(code=None):
    return "XX" if code is None else None


def phy_mode(mode=None):
    return 3 if mode is None else None
