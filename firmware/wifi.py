# wifi.py - join the Wi-Fi network named in config.json.
#
# The tutorial waited in `while not isconnected(): pass`, which spins the CPU
# forever when the password is wrong. Here we look at the station's status a
# few times a second, stop as soon as it says why it failed, and give up after
# a timeout. Retrying (with a growing pause) is main.py's job.
import network
import time

from micropython import const

# How long one attempt may take before we call it a timeout.
_CONNECT_TIMEOUT_MS = const(20000)
# How often we look at the status while waiting.
_POLL_MS = const(200)

# Status codes from MicroPython's network.WLAN docs. Both ports have these
# three; the ESP32 often reports a wrong password as a handshake timeout, so we
# read that one too when the port has it.
_WRONG_PASSWORD = (
    network.STAT_WRONG_PASSWORD,
    getattr(network, "STAT_HANDSHAKE_TIMEOUT", network.STAT_WRONG_PASSWORD),
)
_NO_AP = network.STAT_NO_AP_FOUND


class WifiError(Exception):
    # args[0] is one word of the log contract: wrong-password, no-ap, timeout
    pass


_station = network.WLAN(network.STA_IF)


def _joined(ssid):
    # After a soft reset the ESP8266 may still be on a network: keep it only
    # if it is the one we were asked for.
    if not _station.isconnected():
        return False
    try:
        return _station.config("ssid") == ssid
    except Exception:
        return False


def connect(ssid, password, timeout_ms=_CONNECT_TIMEOUT_MS):
    # Join `ssid` and return our IP address, or raise WifiError.
    _station.active(True)
    if _joined(ssid):
        return _station.ifconfig()[0]
    _station.disconnect()
    _station.connect(ssid, password)
    start = time.ticks_ms()
    while True:
        status = _station.status()
        if _station.isconnected():
            return _station.ifconfig()[0]
        if status in _WRONG_PASSWORD:
            reason = "wrong-password"
        elif status == _NO_AP:
            reason = "no-ap"
        elif time.ticks_diff(time.ticks_ms(), start) > timeout_ms:
            # Still associating, or joined but no IP address from DHCP.
            reason = "timeout"
        else:
            time.sleep_ms(_POLL_MS)
            continue
        # Stop the station retrying on its own until we try again.
        _station.disconnect()
        raise WifiError(reason)


def isconnected():
    return _station.isconnected()
