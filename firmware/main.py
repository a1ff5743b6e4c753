# main.py - the lamp. MicroPython runs this file after every reset.
#
# It reads config.json, joins the Wi-Fi, connects to the MQTT broker and then
# waits for "on" or "off" on the command topic, as in the tutorial. When the
# Wi-Fi or the broker goes away it waits a little longer each time and tries
# again; it never resets the board. Ctrl-C stops it and gives you the REPL.
#
# Every step prints one line starting with "nyala:" so the installer (or you,
# in a serial console) can follow what the board is doing.
import gc
import json
import sys
import time

import machine

import mqtt
import wifi

# Pauses between attempts: 1, 2, 4, ... seconds, never more than a minute.
FIRST_PAUSE_S = 1
LONGEST_PAUSE_S = 60
# How long one turn of the main loop waits for a message.
LOOP_WAIT_MS = 200

REQUIRED = object()


def log(*words):
    print("nyala:", *words)


class ConfigError(Exception):
    # args: "missing" or "invalid", then what is missing or wrong
    pass


def setting(config, name, kind, default=REQUIRED):
    # setting(config, "mqtt.port", int, 1883) -> config["mqtt"]["port"]
    section, key = name.split(".")
    part = config.get(section) or {}
    if not isinstance(part, dict):
        raise ConfigError("invalid", section)
    value = part.get(key)
    if value is None:
        if default is REQUIRED:
            raise ConfigError("missing", name)
        return default
    if not isinstance(value, kind) or (default is REQUIRED and value == ""):
        raise ConfigError("invalid", name)
    return value


def load_config(path="config.json"):
    """Read config.json (version 1) into a flat dict, or raise ConfigError."""
    try:
        with open(path) as f:
            text = f.read()
    except OSError:
        raise ConfigError("missing", path)
    try:
        config = json.loads(text)
    except ValueError:
        raise ConfigError("invalid", "json")
    if not isinstance(config, dict):
        raise ConfigError("invalid", "json")
    if config.get("version") != 1:
        raise ConfigError("invalid", "version")

    default_id = "nyala-" + "".join("%02x" % b for b in machine.unique_id())
    command = setting(config, "topics.command", str)
    c = {
        "ssid": setting(config, "wifi.ssid", str),
        "wifi_password": setting(config, "wifi.password", str, ""),
        "host": setting(config, "mqtt.host", str),
        "port": setting(config, "mqtt.port", int, 1883),
        "client_id": setting(config, "mqtt.client_id", str, default_id),
        "user": setting(config, "mqtt.user", str, None),
        "password": setting(config, "mqtt.password", str, None),
        "keepalive": setting(config, "mqtt.keepalive", int, 30),
        "command": command,
        "reply": setting(config, "topics.reply", str),
        "status": setting(config, "topics.status", str, command + "/status"),
        "state": setting(config, "topics.state", str, command + "/state"),
        "pin": setting(config, "lamp.pin", int, 2),
        # The ESP8266's on-board LED (GPIO2) lights when the pin is low.
        "active_low": setting(config, "lamp.active_low", bool, sys.platform == "esp8266"),
        "on": setting(config, "replies.on", str, "saya hidup"),
        "off": setting(config, "replies.off", str, "saya mati"),
    }
    if not 0 < c["port"] < 65536:
        raise ConfigError("invalid", "mqtt.port")
    if not 0 <= c["keepalive"] < 65536:
        raise ConfigError("invalid", "mqtt.keepalive")
    return c


class Lamp:
    def __init__(self, pin, active_low):
        self.pin = machine.Pin(pin, machine.Pin.OUT)
        self.active_low = active_low
        self.set(False)

    def set(self, on):
        self.on = on
        # active low: on -> 0, off -> 1
        self.pin.value(0 if on == self.active_low else 1)

    def state(self):
        return "on" if self.on else "off"


class Backoff:
    def __init__(self):
        self.reset()

    def reset(self):
        self.pause = FIRST_PAUSE_S

    def wait(self):
        time.sleep(self.pause)
        self.pause = min(self.pause * 2, LONGEST_PAUSE_S)


def obey(client, c, lamp, payload):
    if payload is None:  # too big to keep: mqtt.py already threw it away
        log("lamp ignored", ">%d" % mqtt.MAX_PAYLOAD, "bytes")
    elif payload == b"on" or payload == b"off":
        word = payload.decode()
        lamp.set(word == "on")
        log("lamp", word)
        # State first, so whoever sees the reply and then subscribes to the
        # state topic already gets the new state.
        client.publish(c["state"], word, retain=True)
        client.publish(c["reply"], c[word])
    else:
        # Only the length: the payload may be binary and upset a terminal.
        log("lamp ignored", len(payload), "bytes")


def session(c, lamp, backoff):
    """One connection to the broker; returns only by raising an error."""
    log("mqtt connecting", "%s:%d" % (c["host"], c["port"]))
    client = mqtt.Client(c["client_id"], c["host"], c["port"], c["user"],
                         c["password"], c["keepalive"])
    # If we vanish without saying goodbye, the broker says "offline" for us.
    client.set_last_will(c["status"], "offline", retain=True, qos=1)
    try:
        client.connect()
        log("mqtt ok")
        backoff.reset()
        # Subscribe before saying "online", so no command sent after it is lost.
        client.subscribe(c["command"], qos=1)
        client.publish(c["status"], "online", retain=True, qos=1)
        client.publish(c["state"], lamp.state(), retain=True)
        while True:
            if not wifi.isconnected():
                raise mqtt.MQTTError("lost", "wifi")
            message = client.check_msg(LOOP_WAIT_MS)
            if message:
                obey(client, c, lamp, message[1])
    finally:
        client.close()


def main():
    try:
        c = load_config()
        try:
            lamp = Lamp(c["pin"], c["active_low"])
        except ValueError:  # a pin this chip does not have
            raise ConfigError("invalid", "lamp.pin")
    except ConfigError as e:
        log("config error", *e.args)
        return  # back to the REPL: fix config.json, then press the reset button
    log("config ok")
    backoff = Backoff()
    while True:
        gc.collect()
        try:
            log("wifi connecting", c["ssid"])
            log("wifi ok", wifi.connect(c["ssid"], c["wifi_password"]))
            session(c, lamp, backoff)
        except wifi.WifiError as e:
            log("wifi error", e.args[0])
        except mqtt.MQTTError as e:
            log("mqtt error", *e.args)
        except Exception as e:
            # Anything else (a bug, out of memory): say so and start over.
            # Exception, not BaseException: Ctrl-C must still reach the REPL.
            log("mqtt error lost", repr(e))
        backoff.wait()


main()
