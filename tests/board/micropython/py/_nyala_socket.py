# socket for the virtual board: TCP to real servers on this machine through the host, with the
# board's errno values (lwIP's ECONNREFUSED 111, ETIMEDOUT 110, ECONNRESET 104, EHOSTUNREACH 113).
#
# send() is never kinder than lwIP. MicroPython's socket on the ESP8266 is extmod/modlwip.c, whose
# lwip_tcp_send() writes MIN(tcp_sndbuf(pcb), len) bytes and returns that count: when earlier data
# is still unacknowledged, send() takes only part of a buffer (a short write). With no room at all
# a non-blocking socket raises EAGAIN (errno 11); a blocking one waits until at least 16 bytes are
# free (or its timeout passes), then writes what fits. The host's socket always has room, so the
# room is modelled: a seeded generator (from the board's MAC and the socket's number, so a run
# can be repeated) leaves room for only 16..len-1 bytes on about one send in three, and a
# non-blocking send meets a full buffer (EAGAIN) about one time in eight. short_writes and
# eagains count what happened, for tests.
import json
import _nyala as N
from uctypes import addressof
import _nyala_network as _net

AF_INET = 2
AF_INET6 = 10
SOCK_STREAM = 1
SOCK_DGRAM = 2
SOCK_RAW = 3
IPPROTO_IP = 0
IPPROTO_TCP = 6
IPPROTO_UDP = 17
SOL_SOCKET = 4095
SO_REUSEADDR = 4
SO_KEEPALIVE = 8
TCP_NODELAY = 1

_EINTR = 4
_EAGAIN = 11
# modlwip waits for at least this much room before a blocking write (see above).
_MIN_ROOM = 16

short_writes = 0
eagains = 0
_seed = 0
for _b in json.loads(N.config())["mac"]:
    _seed = (_seed * 131 + _b) & 0xFFFFFFFF


def _xorshift(x):
    # Marsaglia's xorshift32: enough randomness for a model, the same sequence for the same seed.
    x ^= (x << 13) & 0xFFFFFFFF
    x ^= x >> 17
    x ^= (x << 5) & 0xFFFFFFFF
    return x


def getaddrinfo(host, port, af=0, type=0, proto=0, flags=0):
    if isinstance(host, bytes):
        host = host.decode()
    r = N.resolve(host)
    if isinstance(r, int):
        raise OSError(r)
    return [(AF_INET, SOCK_STREAM, IPPROTO_TCP, "", (r, port))]


def _err(r):
    if r == -_EINTR:
        raise KeyboardInterrupt
    raise OSError(-r)


class socket:
    def __init__(self, af=AF_INET, type=SOCK_STREAM, proto=0):
        if type != SOCK_STREAM:
            raise OSError(95)  # EOPNOTSUPP: the virtual board has TCP only
        self._id = N.sock_new()
        self._timeout = -1
        self._rnd = (_seed ^ ((self._id + 1) * 0x9E3779B1)) & 0xFFFFFFFF or 1

    def connect(self, addr):
        if not _net._sta_up():
            raise OSError(113)
        r = N.sock_connect(self._id, addr[0], addr[1], self._timeout)
        if r < 0:
            _err(r)

    def settimeout(self, t):
        self._timeout = -1 if t is None else int(t * 1000)

    def setblocking(self, flag):
        self._timeout = -1 if flag else 0

    def setsockopt(self, level, opt, value):
        pass

    def fileno(self):
        return self._id

    def makefile(self, mode="rb", buffering=0):
        return self

    def _room(self, n):
        # How much of n bytes lwIP's send buffer takes now (see the top of this file).
        global short_writes, eagains
        self._rnd = _xorshift(self._rnd)
        r = self._rnd
        if self._timeout == 0 and r % 8 == 0:
            eagains += 1
            raise OSError(_EAGAIN)
        if n > _MIN_ROOM and (r >> 8) % 3 == 0:
            short_writes += 1
            return _MIN_ROOM + (r >> 12) % (n - _MIN_ROOM)
        return n

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        n = len(data)
        if n == 0:
            return 0
        n = self._room(n)
        r = N.sock_send(self._id, addressof(data), n)
        if r < 0:
            _err(r)
        return r

    def sendall(self, data):
        mv = memoryview(data)
        while len(mv):
            mv = mv[self.send(mv):]

    def write(self, data, n=None):
        if n is not None:
            data = memoryview(data)[:n]
        self.sendall(data)
        return len(data)

    def _recv_into(self, buf, n):
        r = N.sock_recv(self._id, addressof(buf), n, self._timeout)
        if r < 0:
            _err(r)
        return r

    def recv(self, n):
        buf = bytearray(n)
        k = self._recv_into(buf, n)
        return bytes(memoryview(buf)[:k])

    def readinto(self, buf, n=None):
        if n is None:
            n = len(buf)
        mv = memoryview(buf)
        got = 0
        while got < n:
            try:
                k = self._recv_into(mv[got:], n - got)
            except OSError as e:
                if e.errno == _EAGAIN:
                    return got or None
                raise
            if k == 0:
                break
            got += k
        return got

    def read(self, n=None):
        if n is None:
            out = bytearray()
            while True:
                chunk = self.read(256)
                if not chunk:
                    return bytes(out)
                out += chunk
        buf = bytearray(n)
        k = self.readinto(buf, n)
        if k is None:
            return None
        return bytes(memoryview(buf)[:k])

    def readline(self):
        out = bytearray()
        while True:
            c = self.read(1)
            if not c:
                break
            out += c
            if c == b"\n":
                break
        return bytes(out)

    def close(self):
        if self._id >= 0:
            N.sock_close(self._id)
            self._id = -1

    def bind(self, addr):
        raise OSError(95)

    def listen(self, backlog=0):
        raise OSError(95)

    def accept(self):
        raise OSError(95)

    def __enter__(self):
        return self

    def __exit__(self, *args):
        self.close()
