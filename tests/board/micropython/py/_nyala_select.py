# select for the virtual board: poll() waits in the host without spinning the CPU. It knows the
# board's sockets; other objects (e.g. sys.stdin) are never reported ready here.
import _nyala as N

POLLIN = 1
POLLOUT = 4
POLLERR = 8
POLLHUP = 16


class _Poll:
    def __init__(self):
        self._m = {}

    def register(self, obj, eventmask=POLLIN | POLLOUT):
        self._m[obj] = eventmask

    def modify(self, obj, eventmask):
        if obj not in self._m:
            raise OSError(2)
        self._m[obj] = eventmask

    def unregister(self, obj):
        self._m.pop(obj, None)

    def poll(self, timeout=-1):
        byid = {}
        spec = []
        for obj, ev in self._m.items():
            sid = getattr(obj, "_id", -1)
            if sid >= 0:
                byid[sid] = obj
                spec.append("%d:%d" % (sid, ev))
        if timeout is None:
            timeout = -1
        r = N.sock_poll(",".join(spec), int(timeout))
        if isinstance(r, int):
            raise KeyboardInterrupt
        out = []
        for item in r.split(",") if r else ():
            sid, rev = item.split(":")
            out.append((byid[int(sid)], int(rev)))
        return out

    def ipoll(self, timeout=-1, flags=0):
        return iter(self.poll(timeout))


def poll():
    return _Poll()


def select(rlist, wlist, xlist, timeout=None):
    p = _Poll()
    for o in rlist:
        p.register(o, POLLIN)
    for o in wlist:
        p.register(o, p._m.get(o, 0) | POLLOUT)
    ready = p.poll(-1 if timeout is None else int(timeout * 1000))
    r = [o for o, ev in ready if ev & (POLLIN | POLLERR | POLLHUP) and o in rlist]
    w = [o for o, ev in ready if ev & POLLOUT and o in wlist]
    return (r, w, [])
