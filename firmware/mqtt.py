# mqtt.py - a small MQTT 3.1.1 client for the lamp.
#
# Written from the MQTT 3.1.1 specification (OASIS, 2014); the section numbers
# in the comments point into it. It does what the lamp needs and no more:
# CONNECT with a last will, SUBSCRIBE, PUBLISH at QoS 0 or 1, and keepalive
# with PINGREQ/PINGRESP, so a connection that silently died is noticed.
#
# It does not trust the broker: a public broker can be anyone's, and a broken
# one can send anything. Every packet is checked against the specification
# before we keep any of it, nothing bigger than a few hundred bytes is ever
# kept, and a whole packet must arrive within _PACKET_MS. Anything MQTT 3.1.1
# does not allow ends the connection with MQTTError("protocol", <what>);
# main.py then waits a little and connects again.
import select
import socket
import time

from micropython import const

# const(): MicroPython puts these numbers straight into the code, and a name
# that starts with _ takes no room in the heap at all (the ESP8266 has little).

# Control packet types, the high nibble of the first byte (2.2.1).
_CONNECT = const(0x10)
_CONNACK = const(0x20)
_PUBLISH = const(0x30)
_PUBACK = const(0x40)
_SUBSCRIBE = const(0x82)  # the low nibble must be 0010 (3.8.1)
_SUBACK = const(0x90)
_UNSUBACK = const(0xB0)
_PINGREQ = const(0xC0)
_PINGRESP = const(0xD0)

# Bigger incoming payloads are read in small pieces and thrown away (check_msg
# gives None for them): a lamp needs "on" or "off" and, signed, about 90 bytes.
MAX_PAYLOAD = 256
# Topics we keep: ours is one exact topic, far shorter than this.
_MAX_TOPIC = const(128)
# A PUBLISH bigger than this is not read at all: the connection is dropped.
# (The remaining length can say up to 256 MB, 2.2.3; we never allocate it.)
_MAX_PACKET = const(16 * 1024)
# Every packet we get besides PUBLISH is 4 bytes or less after its fixed
# header: CONNACK 2 (3.2), PUBACK 2 (3.4), SUBACK 3 for our one topic (3.9),
# UNSUBACK 2 (3.11), PINGRESP 0 (3.13).
_MAX_OTHER = const(4)
# A whole packet, from its first byte to its last, must arrive within this
# time: one deadline per packet, not per recv, so a broker that drips a byte
# a second cannot hold the lamp (and its keepalive) hostage.
_PACKET_MS = const(2000)
# Messages that arrive while we wait for an answer are kept for check_msg,
# at most this many (the oldest go first): a flood cannot fill the heap.
_MAX_PENDING = const(4)
# Seconds we wait for an answer, or for one packet to be sent.
_TIMEOUT_S = const(10)
# lwIP's errno when a socket's send buffer is full (MicroPython's EAGAIN).
_EAGAIN = const(11)


class MQTTError(Exception):
    # args[0] is one word of the log contract: refused, auth, timeout, lost,
    # protocol; args[1], when there is one, a detail for the log line.
    pass


def _string(s):
    # A UTF-8 string or binary data: two length bytes, then the bytes (1.5.3).
    if isinstance(s, str):
        s = s.encode()
    return len(s).to_bytes(2, "big") + s


def _length(n):
    # Remaining Length: 7 bits a byte, high bit set when more follow (2.2.3).
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return out


class Client:
    def __init__(self, client_id, host, port=1883, user=None, password=None,
                 keepalive=30):
        self.client_id = client_id
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.keepalive = keepalive  # seconds; 0 turns keepalive off (3.1.2.10)
        self.will = None
        self.sock = None
        self.poller = None
        self.pid = 0
        self.pending = []  # messages that arrived while we waited for an ack

    def set_last_will(self, topic, message, retain=False, qos=0):
        self.will = (topic, message, retain, qos)

    # --- connecting -------------------------------------------------------

    def connect(self):
        # Open the connection and log in; raise MQTTError if we can't.
        try:
            addr = socket.getaddrinfo(self.host, self.port)[0][-1]
            self.sock = socket.socket()
            self.sock.settimeout(_TIMEOUT_S)
            self.sock.connect(addr)
        except OSError as e:
            self.close()
            # MicroPython raises OSError(ETIMEDOUT=110); some ports say "timed out".
            raise MQTTError("timeout" if _errno(e) in (110, "timed out") else "refused", _errno(e))
        self.poller = select.poll()
        self.poller.register(self.sock, select.POLLIN)

        # Variable header (3.1.2): protocol name, level 4, flags, keepalive.
        flags = 0x02  # clean session: the lamp keeps no state at the broker
        payload = _string(self.client_id)
        if self.will:
            topic, message, retain, qos = self.will
            flags |= 0x04 | qos << 3 | (0x20 if retain else 0)
            payload += _string(topic) + _string(message)
        if self.user is not None:
            flags |= 0x80
            payload += _string(self.user)
            # A password is only allowed together with a user name (3.1.2.9).
            if self.password is not None:
                flags |= 0x40
                payload += _string(self.password)
        header = b"\x00\x04MQTT\x04" + bytes([flags]) + self.keepalive.to_bytes(2, "big")
        self._send(_CONNECT, header + payload)

        # CONNACK (3.2): exactly two bytes, a flags byte and the return code.
        kind, body = self._wait_for(_CONNACK)
        if len(body) != 2:
            self._fail("protocol", "connack")
        code = body[1]
        if code == 4 or code == 5:  # bad user name or password / not authorised
            self._fail("auth", code)
        if code != 0:
            self._fail("refused", code)
        self.last_sent = self.last_heard = time.ticks_ms()
        self.ping_sent = None

    def close(self):
        if self.sock:
            self.sock.close()
        self.sock = None
        self.poller = None
        self.pending = []

    def _fail(self, word, detail=None):
        # Close first: after a broken packet nothing more can be read safely.
        self.close()
        raise MQTTError(word) if detail is None else MQTTError(word, detail)

    # --- sending ----------------------------------------------------------

    def publish(self, topic, message, retain=False, qos=0):
        if isinstance(message, str):
            message = message.encode()
        body = _string(topic)
        if qos:
            pid = self._next_pid()
            body += pid.to_bytes(2, "big")
        self._send(_PUBLISH | qos << 1 | (1 if retain else 0), body + message)
        if qos:
            self._wait_for(_PUBACK, pid)  # 4.3.2: QoS 1 is done at PUBACK

    def subscribe(self, topic, qos=0):
        pid = self._next_pid()
        self._send(_SUBSCRIBE, pid.to_bytes(2, "big") + _string(topic) + bytes([qos]))
        kind, body = self._wait_for(_SUBACK, pid)
        # SUBACK (3.9): the packet id, then one return code for our one topic.
        if len(body) != 3:
            self._fail("protocol", "suback")
        if body[2] == 0x80:  # the broker refused this subscription (3.9.3)
            self._fail("refused", "subscribe")
        if body[2] > 2:
            self._fail("protocol", "suback")

    # --- receiving --------------------------------------------------------

    def check_msg(self, wait_ms=0):
        # Wait at most wait_ms for a message; return (topic, payload, retained)
        # or None.
        #
        # The payload is None when it was bigger than MAX_PAYLOAD (thrown away).
        # retained is True for a message the broker kept and now replays to us
        # (3.3.1.3): nobody sent it just now.
        #
        # Also keeps the connection alive, and raises MQTTError when the broker
        # went quiet, broke the protocol or the connection closed.
        self._keep_alive()
        if self.pending:
            return self.pending.pop(0)
        if self.poller.poll(wait_ms):
            kind, body = self._read_packet()
            if kind & 0xF0 == _PUBLISH:
                return body
        return None

    def _keep_alive(self):
        # 3.1.2.10: the client must send something at least every keepalive
        # seconds. We also ping when we have heard nothing for that long, so a
        # lamp that only publishes still notices a dead link. The broker must
        # answer a PINGREQ (3.12.4); no PINGRESP within half a keepalive means
        # the connection is gone: at most 1.5 keepalives after the broker was
        # last heard, the same allowance the broker gives us.
        if not self.keepalive:
            return
        now = time.ticks_ms()
        period = self.keepalive * 1000
        if self.ping_sent is not None:
            if time.ticks_diff(now, self.ping_sent) > period // 2:
                self._fail("lost", "ping")
        elif (time.ticks_diff(now, self.last_sent) >= period
              or time.ticks_diff(now, self.last_heard) >= period):
            self._send(_PINGREQ, b"")
            self.ping_sent = now

    def _wait_for(self, want, pid=None):
        # Read packets until the one we want arrives, keeping any message that
        # comes in meanwhile for check_msg. We wait at most _TIMEOUT_S, and
        # never longer than one keepalive: a dead link is noticed as soon as
        # the main loop would notice it (see _keep_alive).
        wait = _TIMEOUT_S
        if self.keepalive:
            wait = min(wait, self.keepalive)
        deadline = time.ticks_add(time.ticks_ms(), wait * 1000)
        while True:
            left = time.ticks_diff(deadline, time.ticks_ms())
            if left <= 0 or not self.poller.poll(left):
                self._fail("timeout")
            kind, body = self._read_packet()
            if kind == want and (pid is None or body[:2] == pid.to_bytes(2, "big")):
                return kind, body
            if kind & 0xF0 == _PUBLISH:
                if len(self.pending) >= _MAX_PENDING:
                    self.pending.pop(0)
                self.pending.append(body)

    def _read_packet(self):
        # One packet from the broker, as (kind, body); for a PUBLISH the body
        # is (topic, payload, retained). Fixed header (2.2): one byte of type
        # and flags, then the remaining length in at most four bytes. The
        # clock for the whole packet starts now.
        end = time.ticks_add(time.ticks_ms(), _PACKET_MS)
        try:
            # Every packet has at least two bytes: the type, and a first
            # length byte. Reading as few times as possible keeps the heap quiet.
            head = self._read(2, end)
            kind = head[0]
            byte = head[1]
            size = byte & 0x7F
            shift = 7
            while byte & 0x80:
                if shift > 21:  # a fifth length byte (2.2.3)
                    raise MQTTError("protocol", "length")
                byte = self._read(1, end)[0]
                size |= (byte & 0x7F) << shift
                shift += 7
            self.last_heard = time.ticks_ms()
            if kind & 0xF0 == _PUBLISH:
                return kind, self._read_publish(kind, size, end)
            # A server sends a client only these (2.2.1); all with flags 0000.
            if kind not in (_CONNACK, _PUBACK, _SUBACK, _UNSUBACK, _PINGRESP):
                raise MQTTError("protocol", "type%d" % (kind >> 4))
            if size > _MAX_OTHER:
                raise MQTTError("protocol", "length")
            body = self._read(size, end)
        except MQTTError:
            # After a broken packet nothing more can be read safely.
            self.close()
            raise
        if kind == _PINGRESP:
            self.ping_sent = None
        return kind, body

    def _read_publish(self, kind, size, end):
        # PUBLISH (3.3): topic, a packet id at QoS 1 or 2, then the payload.
        qos = kind >> 1 & 3
        if qos == 3:  # both QoS bits set is malformed (3.3.1.2)
            raise MQTTError("protocol", "qos3")
        if qos == 2:
            # We subscribe at QoS 1, and the broker may not send us more than
            # we asked for (3.8.4): a QoS 2 PUBLISH is a broken broker.
            raise MQTTError("protocol", "qos2")
        if size > _MAX_PACKET:
            raise MQTTError("protocol", "too-big")
        head = 4 if qos else 2  # topic length, and the packet id at QoS 1
        if size < head:
            raise MQTTError("protocol", "publish")
        small = size <= head + _MAX_TOPIC + MAX_PAYLOAD
        # A message we may keep is read in one go; a bigger one in pieces.
        body = self._read(size if small else 2, end)
        n = body[0] << 8 | body[1]
        if n > size - head:  # the topic would end after the packet
            raise MQTTError("protocol", "topic")
        if n > _MAX_TOPIC:  # not ours: we subscribe to one short topic
            raise MQTTError("protocol", "topic")
        if small:
            topic = body[2:2 + n]
            pid = body[2 + n:head + n]
            payload = body[head + n:]
            if len(payload) > MAX_PAYLOAD:
                payload = None
        else:
            topic = self._read(n, end)
            pid = self._read(head - 2, end)
            size -= head + n
            while size:  # read it in small pieces and forget it
                size -= len(self._read(min(size, 64), end))
            payload = None
        if qos == 1:  # 4.3.2: answer with PUBACK and the same id
            self._send(_PUBACK, pid)
        return topic, payload, bool(kind & 1)

    def _read(self, n, end):
        # Read exactly n bytes before `end` (a ticks_ms time); recv may return
        # fewer than we ask for, and b"" means the broker closed.
        data = b""
        while len(data) < n:
            left = time.ticks_diff(end, time.ticks_ms())
            if left <= 0 or not self.poller.poll(left):
                raise MQTTError("timeout", "packet")
            try:
                chunk = self.sock.recv(n - len(data))
            except OSError as e:
                raise MQTTError("lost", _errno(e))
            if not chunk:
                raise MQTTError("lost", "closed")
            data += chunk
        return data

    def _send(self, kind, body):
        # lwIP takes only what fits in its send buffer: send() may take part
        # of the packet (it returns how much), and a socket that would have to
        # wait says EAGAIN. We go on from where it stopped until all is sent
        # or _TIMEOUT_S has passed.
        packet = memoryview(bytes([kind]) + _length(len(body)) + body)
        end = time.ticks_add(time.ticks_ms(), _TIMEOUT_S * 1000)
        try:
            while len(packet):
                try:
                    sent = self.sock.send(packet)
                except OSError as e:
                    if _errno(e) != _EAGAIN:
                        raise
                    sent = 0
                if sent:
                    packet = packet[sent:]
                elif time.ticks_diff(end, time.ticks_ms()) <= 0:
                    self._fail("timeout", "send")
                else:
                    time.sleep_ms(10)  # let lwIP empty its buffer a little
        except OSError as e:
            self._fail("lost", _errno(e))
        self.last_sent = time.ticks_ms()

    def _next_pid(self):
        # Packet identifiers are 1..65535, never 0 (2.3.1).
        self.pid = self.pid % 65535 + 1
        return self.pid


def _errno(e):
    return e.args[0] if e.args else "error"

