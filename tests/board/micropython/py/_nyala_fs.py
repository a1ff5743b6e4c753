# The board's filesystem as MicroPython sees it: a user VFS mounted at "/" whose storage is the
# board's flash (kept by the worker, see flashfs.mjs). Errors are OSError with the board's errno.
import io
import _nyala as N
from uctypes import addressof


def _check(r):
    if isinstance(r, int) and r < 0:
        raise OSError(-r)
    return r


class _File(io.IOBase):
    def __init__(self, fd, text):
        self._fd = fd
        self._text = text

    def readinto(self, buf, n=-1):
        if n < 0 or n > len(buf):
            n = len(buf)
        if n == 0:
            return 0
        return _check(N.fs_read(self._fd, addressof(buf), n))

    def read(self, n=-1):
        if n is None or n < 0:
            pos = _check(N.fs_seek(self._fd, 0, 1))
            n = max(0, _check(N.fs_seek(self._fd, 0, 2)) - pos)
            N.fs_seek(self._fd, pos, 0)
        buf = bytearray(n)
        k = self.readinto(buf, n) if n else 0
        data = bytes(memoryview(buf)[:k])
        return data.decode() if self._text else data

    def readline(self, limit=-1):
        out = bytearray()
        one = bytearray(1)
        while limit < 0 or len(out) < limit:
            if self.readinto(one, 1) == 0:
                break
            out.append(one[0])
            if one[0] == 10:
                break
        return out.decode() if self._text else bytes(out)

    def readlines(self):
        lines = []
        while True:
            line = self.readline()
            if not line:
                return lines
            lines.append(line)

    def __iter__(self):
        return self

    def __next__(self):
        line = self.readline()
        if not line:
            raise StopIteration
        return line

    def write(self, data):
        if isinstance(data, str):
            data = data.encode()
        n = len(data)
        if n == 0:
            return 0
        return _check(N.fs_write(self._fd, addressof(data), n))

    def seek(self, offset, whence=0):
        return _check(N.fs_seek(self._fd, offset, whence))

    def tell(self):
        return _check(N.fs_seek(self._fd, 0, 1))

    def flush(self):
        if self._fd >= 0:
            _check(N.fs_flush(self._fd))

    def close(self):
        if self._fd >= 0:
            fd = self._fd
            self._fd = -1
            _check(N.fs_close(fd))

    def ioctl(self, req, arg):
        if req == 4:  # MP_STREAM_CLOSE
            self.close()
            return 0
        if req == 1:  # MP_STREAM_FLUSH
            self.flush()
            return 0
        return -1

    def __enter__(self):
        return self

    def __exit__(self, *args):
        self.close()


class BoardVfs:
    def __init__(self):
        self._cwd = "/"

    def _abs(self, path):
        if not path.startswith("/"):
            path = self._cwd.rstrip("/") + "/" + path
        return path

    def mount(self, readonly, mkfs):
        pass

    def umount(self):
        pass

    def ilistdir(self, path):
        listing = _check(N.fs_listdir(self._abs(path)))
        for item in listing.split("/") if listing else ():
            yield (item[1:], 0x4000 if item[0] == "D" else 0x8000, 0)

    def chdir(self, path):
        p = N.fs_stat(self._abs(path))
        _check(p)
        if p[0] != "d":
            raise OSError(20)
        self._cwd = self._abs(path)

    def getcwd(self):
        return self._cwd

    def mkdir(self, path):
        _check(N.fs_mkdir(self._abs(path)))

    def remove(self, path):
        _check(N.fs_remove(self._abs(path)))

    def rmdir(self, path):
        _check(N.fs_rmdir(self._abs(path)))

    def rename(self, old, new):
        _check(N.fs_rename(self._abs(old), self._abs(new)))

    def stat(self, path):
        s = _check(N.fs_stat(self._abs(path)))
        if s[0] == "d":
            return (0x4000, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        return (0x8000, 0, 0, 0, 0, 0, int(s[1:]), 0, 0, 0)

    def statvfs(self, path):
        return tuple(int(x) for x in _check(N.fs_statvfs()).split(","))

    def open(self, path, mode):
        fd = _check(N.fs_open(self._abs(path), mode))
        return _File(fd, "b" not in mode)
