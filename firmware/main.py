# main.py - the lamp. MicroPython runs this file after every reset.
#
# It reads config.json, joins the Wi-Fi, connects to the MQTT broker and then
# waits for "on" or "off" on the command topic, as in the tutorial (a "plain"
# lamp), or for commands signed with the lamp's key (a "signed" lamp: only
# whoever holds the key can switch it; see class Switch). When the
# Wi-Fi or the broker goes away it waits a little longer each time and tries
# again; it never resets the board. Ctrl-C stops it and gives you the REPL.
#
# Every step prints one line starting with "nyala:" so the installer (or you,
# in a serial console) can follow what the board is doing.
import binascii
import gc
import hashlib
import json
import os
import sys
import time

import machine
from micropython import const

import mqtt
import wifi

# const(): MicroPython puts these numbers straight into the code, and a name
# that starts with _ takes no room in the heap at all (see mqtt.py).

# Pauses between attempts: 1, 2, 4, ... seconds, never more than a minute,
# each with up to half as much again at random (see main).
_FIRST_PAUSE_S = const(1)
_LONGEST_PAUSE_S = const(60)
# A connection must stay up this long before the pauses start again from 1 s:
# a broker that takes us in and throws us out at once is not tried every second.
_STEADY_MS = const(60000)
# How long one turn of the main loop waits for a message.
_LOOP_WAIT_MS = const(200)
# At most one switch per _GAP_MS: a flood of commands cannot make a relay
# chatter. A command inside the gap waits for its end (the last one wins).
_GAP_MS = const(250)
# A stale signed command makes us publish the state again, at most this often.
_RESTATE_MS = const(1000)

REQUIRED = object()


def log(*words):
    print("nyala:", *words)


def random_hex(n):
    # n random bytes from the chip's hardware random number generator, as hex.
    return binascii.hexlify(os.urandom(n)).decode()


class ConfigError(Exception):
    # args: "missing" or "invalid", then what is missing or wrong
    pass


def setting(config, section, key, kind, default=REQUIRED):
    # setting(config, "mqtt", "port", int, 1883) -> config["mqtt"]["port"]
    # (Section and key come as two words, not "mqtt.port": MicroPython keeps
    # short words once for the whole program, each longer text on its own.)
    part = config.get(section) or {}
    if not isinstance(part, dict):
        raise ConfigError("invalid", section)
    value = part.get(key)
    if value is None:
        if default is REQUIRED:
            raise ConfigError("missing", section + "." + key)
        return default
    if not isinstance(value, kind) or (default is REQUIRED and value == ""):
        raise ConfigError("invalid", section + "." + key)
    return value


def lamp_key(config):
    # Version 2 says how commands are checked: "signed" with a key of 32
    # lowercase hex digits (16 random bytes), or "plain" (the tutorial's way:
    # anyone on the broker can switch the lamp). Version 1 is plain.
    if config.get("version") == 1:
        return None
    mode = setting(config, "auth", "mode", str)
    if mode == "plain":
        return None
    if mode != "signed":
        raise ConfigError("invalid", "auth.mode")
    key = setting(config, "auth", "key", str)
    if len(key) != 32 or key != key.lower():
        raise ConfigError("invalid", "auth.key")
    try:
        return binascii.unhexlify(key)
    except ValueError:
        raise ConfigError("invalid", "auth.key")


def load_config(path="config.json"):
    # Read config.json (version 1 or 2) into a flat dict, or raise ConfigError.
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
    if config.get("version") not in (1, 2):
        raise ConfigError("invalid", "version")

    default_id = "nyala-" + binascii.hexlify(machine.unique_id()).decode()
    command = setting(config, "topics", "command", str)
    c = {
        "ssid": setting(config, "wifi", "ssid", str),
        "wifi_pass": setting(config, "wifi", "password", str, ""),
        "host": setting(config, "mqtt", "host", str),
        "port": setting(config, "mqtt", "port", int, 1883),
        "client_id": setting(config, "mqtt", "client_id", str, default_id),
        "user": setting(config, "mqtt", "user", str, None),
        "password": setting(config, "mqtt", "password", str, None),
        "keepalive": setting(config, "mqtt", "keepalive", int, 30),
        "command": command,
        "reply": setting(config, "topics", "reply", str),
        "status": setting(config, "topics", "status", str, command + "/status"),
        "state": setting(config, "topics", "state", str, command + "/state"),
        "pin": setting(config, "lamp", "pin", int, 2),
        # The ESP8266's on-board LED (GPIO2) lights when the pin is low.
        "active_low": setting(config, "lamp", "active_low", bool, sys.platform == "esp8266"),
        "on": setting(config, "replies", "on", str, "saya hidup"),
        "off": setting(config, "replies", "off", str, "saya mati"),
        "key": lamp_key(config),
    }
    if not 0 < c["port"] < 65536:
        raise ConfigError("invalid", "mqtt.port")
    if not 0 <= c["keepalive"] < 65536:
        raise ConfigError("invalid", "mqtt.keepalive")
    return c


def mac(key, kind, topic, body):
    # The MAC of docs/contracts.md ("The signed lamp protocol"): HMAC-SHA256
    # (RFC 2104) with the lamp's key, built on hashlib.sha256 (MicroPython on
    # the ESP8266 has no hmac module), as 64 lowercase hex digits (bytes).
    # SHA-256 works on 64-byte blocks: the key (16 bytes) is padded with zeros
    # to one block, then XORed with 0x36 for the inner hash and with 0x5c for
    # the outer one.
    key = key + bytes(64 - len(key))
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
    inner.update(("nyala2\n" + kind + "\n" + topic + "\n").encode())
    inner.update(body)
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))
    outer.update(inner.digest())
    return binascii.hexlify(outer.digest())


def same(a, b):
    # Compare two MACs in constant time: the time taken must not tell an
    # attacker how many of the first digits they guessed right.
    if len(a) != len(b):
        return False
    diff = 0
    for x, y in zip(a, b):
        diff |= x ^ y
    return diff == 0


class Switch:
    # The lamp, and what it does with the commands that reach it.
    #
    # Plain (the tutorial's protocol): "on" or "off" switches the lamp.
    # Signed (docs/contracts.md, "The signed lamp protocol"): a command is
    # "<on|off> <challenge> <mac>". The lamp holds one challenge, drawn at random
    # at boot and after every accepted command, and sends it in its state: a
    # command counts only with the current challenge and a MAC made with the
    # lamp's key, so only a key holder can switch the lamp and a recorded
    # command never works twice, not even after a reboot.

    def __init__(self, c):
        self.c = c
        self.key = c["key"]  # None for a plain lamp
        # ValueError here: a pin this chip does not have.
        self.pin = machine.Pin(c["pin"], machine.Pin.OUT)
        self.set("off")
        self.challenge = random_hex(8)
        self.waiting = None  # (word, challenge used) until the gap is over
        now = time.ticks_ms()
        self.switched = time.ticks_add(now, -_GAP_MS)
        self.restated = time.ticks_add(now, -_RESTATE_MS)

    def set(self, word):
        self.word = word  # "on" or "off"
        # active low: on -> 0, off -> 1
        self.pin.value(0 if (word == "on") == self.c["active_low"] else 1)

    def signed(self, kind, topic, text, extra):
        # The message as it goes on the wire. Plain: the text alone. Signed:
        # "<text> <extra> <mac>", e.g. "online <session id> <mac>".
        if not self.key:
            return text
        body = text + " " + extra
        return body + " " + mac(self.key, kind, topic, body).decode()

    def publish_state(self, client):
        # Retained, so whoever subscribes later learns it. Signed, the payload
        # is "<challenge> <mac>": on/off is only inside the MAC, so only a key
        # holder can tell whether the lamp is on (whether anyone is home).
        word = self.word
        if self.key:
            body = word + " " + self.challenge
            word = self.challenge + " " + mac(self.key, "state", self.c["state"], body).decode()
        # QoS 1: the broker has it before we send the reply, so everyone gets
        # the state first (aedes 1.2 loses a retained QoS 0 message that is
        # followed at once by another one).
        client.publish(self.c["state"], word, retain=True, qos=1)

    def command(self, client, payload, retained):
        if retained:
            # A retained command is one the broker kept, not one sent now: it
            # would switch the lamp on after every power cut (MQTT-3.3.1-8).
            log("lamp", "refused", "retained")
        elif not self.key:
            if payload == b"on" or payload == b"off":
                self.waiting = (payload.decode(), None)
            elif payload is None:  # too big to keep: mqtt.py threw it away
                log("lamp", "ignored", ">%d" % mqtt.MAX_PAYLOAD, "bytes")
            else:
                # Only the length: the payload may be binary and upset a terminal.
                log("lamp", "ignored", len(payload), "bytes")
        else:
            self.signed_command(client, payload)

    def signed_command(self, client, payload):
        parts = payload.split(b" ") if payload else ()
        if (len(parts) != 3 or parts[0] not in (b"on", b"off")
                or len(parts[1]) != 16 or len(parts[2]) != 64):
            log("lamp", "refused", "malformed")
            return
        word, challenge, their_mac = parts
        if not same(their_mac, mac(self.key, "cmd", self.c["command"], word + b" " + challenge)):
            log("lamp", "refused", "bad-mac")
            return
        if challenge != self.challenge.encode():
            # Signed by a key holder but for an old challenge: a replay, or a
            # phone that missed our last state. Say the state again, so an
            # honest phone learns the current challenge and can try again.
            log("lamp", "refused", "stale")
            now = time.ticks_ms()
            if time.ticks_diff(now, self.restated) >= _RESTATE_MS:
                self.restated = now
                self.publish_state(client)
            return
        self.challenge = random_hex(8)  # each challenge works once
        self.waiting = (word.decode(), challenge.decode())

    def gap_left(self):
        return _GAP_MS - time.ticks_diff(time.ticks_ms(), self.switched)

    def apply(self, client):
        # Switch for the command that waited, once the gap is over.
        if self.waiting is None or self.gap_left() > 0:
            return
        word, used = self.waiting
        self.waiting = None
        self.switched = time.ticks_ms()
        self.set(word)
        log("lamp", word)
        # State first, so whoever sees the reply and then subscribes to the
        # state topic already gets the new state.
        self.publish_state(client)
        client.publish(self.c["reply"], self.signed("reply", self.c["reply"], self.c[word], used))


def connect(c, client_id, switch):
    # Connect, subscribe, say online and the state; return the client.
    client = mqtt.Client(client_id, c["host"], c["port"], c["user"],
                         c["password"], c["keepalive"])
    # A new session id each time, so "offline" of one session is never taken
    # for the end of the next one.
    sid = random_hex(8)
    # If we vanish without saying goodbye, the broker says "offline" for us.
    client.set_last_will(c["status"], switch.signed("status", c["status"], "offline", sid),
                         retain=True, qos=1)
    try:
        client.connect()
        log("mqtt", "ok")
        # Subscribe before saying "online", so no command sent after it is lost.
        client.subscribe(c["command"], qos=1)
        client.publish(c["status"], switch.signed("status", c["status"], "online", sid),
                       retain=True, qos=1)
        switch.publish_state(client)
    except Exception:
        client.close()
        raise
    return client


def session(c, client_id, switch):
    # One connection to the broker; returns only by raising an error.
    log("mqtt", "connecting", "%s:%d" % (c["host"], c["port"]))
    client = connect(c, client_id, switch)
    try:
        while True:
            if not wifi.isconnected():
                raise mqtt.MQTTError("lost", "wifi")
            wait = _LOOP_WAIT_MS
            if switch.waiting:
                wait = max(0, min(wait, switch.gap_left()))
            message = client.check_msg(wait)
            if message:
                switch.command(client, message[1], message[2])
            switch.apply(client)
    finally:
        client.close()


def main():
    try:
        c = load_config()
        try:
            switch = Switch(c)
        except ValueError:  # a pin this chip does not have
            raise ConfigError("invalid", "lamp.pin")
    except ConfigError as e:
        log("config", "error", *e.args)
        return  # back to the REPL: fix config.json, then press the reset button
    log("config", "ok")
    # A new suffix at every boot: a stranger who knows our configured client
    # id cannot take our place at the broker (it would throw us off, 3.1.4).
    client_id = c["client_id"] + "-" + random_hex(2)
    pause = _FIRST_PAUSE_S
    while True:
        gc.collect()
        # A Wi-Fi attempt gives up well within _STEADY_MS; from "wifi ok" on,
        # this is when the connection to the broker started.
        started = time.ticks_ms()
        try:
            log("wifi", "connecting", c["ssid"])
            log("wifi", "ok", wifi.connect(c["ssid"], c["wifi_pass"]))
            started = time.ticks_ms()
            session(c, client_id, switch)
        except wifi.WifiError as e:
            log("wifi", "error", e.args[0])
        except mqtt.MQTTError as e:
            log("mqtt", "error", *e.args)
        except Exception as e:
            # Anything else (a bug, out of memory): say so and start over.
            # Exception, not BaseException: Ctrl-C must still reach the REPL.
            log("mqtt", "error", "lost", repr(e))
        # Only a connection that stayed up a while starts the pauses again.
        if time.ticks_diff(time.ticks_ms(), started) >= _STEADY_MS:
            pause = _FIRST_PAUSE_S
        # Up to half the pause again at random (jitter): two clients that lost
        # the broker at the same moment do not come back at the same moment.
        ms = pause * 1000
        time.sleep_ms(ms + ms * os.urandom(1)[0] // 512)
        pause = min(pause * 2, _LONGEST_PAUSE_S)


main()
