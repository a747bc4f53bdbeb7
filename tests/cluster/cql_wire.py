"""Just enough of the CQL native protocol (v4) for tests/cluster/cassandra_cluster.py
to probe a Cassandra node and set it up: OPTIONS, STARTUP with PLAIN
authentication, and QUERY with rows of simple types, over one blocking
socket. Not a client: tests talk to Cassandra through the DataStax driver.
Standard library only."""
import socket
import struct

OP_ERROR, OP_STARTUP, OP_READY, OP_AUTHENTICATE, OP_OPTIONS, OP_SUPPORTED = 0x00, 0x01, 0x02, 0x03, 0x05, 0x06
OP_QUERY, OP_RESULT, OP_AUTH_RESPONSE, OP_AUTH_SUCCESS = 0x07, 0x08, 0x0F, 0x10
CL_ONE, CL_QUORUM, CL_ALL = 0x0001, 0x0004, 0x0005
MAX_FRAME = 16 * 1024 * 1024


class cql_error(Exception):
    """An ERROR frame: code (e.g. 0x0100 bad credentials, 0x1000 unavailable) and message."""

    def __init__(self, code, message):
        super().__init__(f"error 0x{code:04x}: {message}")
        self.code = code


class _reader:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def take(self, fmt):
        v = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += struct.calcsize(fmt)
        return v[0]

    def raw(self, n):
        if n < 0 or self.pos + n > len(self.data):
            raise cql_error(0, f"a length of {n} runs past the frame")
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return b

    def string(self):
        return self.raw(self.take(">H")).decode()

    def bytes(self):
        n = self.take(">i")
        return None if n < 0 else self.raw(n)

    def option(self):
        """A column type: (id, sub-types); custom, collections, UDTs and tuples skipped over."""
        t = self.take(">H")
        if t == 0x0000:
            self.string()
        elif t in (0x0020, 0x0022):
            self.option()
        elif t == 0x0021:
            self.option(), self.option()
        elif t == 0x0030:
            self.string(), self.string()
            for _ in range(self.take(">H")):
                self.string(), self.option()
        elif t == 0x0031:
            for _ in range(self.take(">H")):
                self.option()
        return t


def _decode(t, b):
    if b is None:
        return None
    if t in (0x0001, 0x000D):  # ascii, varchar
        return b.decode()
    if t in (0x000C, 0x000F) and len(b) == 16:  # uuid, timeuuid
        h = b.hex()
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
    if t == 0x0010:  # inet
        return socket.inet_ntop(socket.AF_INET if len(b) == 4 else socket.AF_INET6, b)
    if t in (0x0002, 0x0009):  # bigint, int
        return int.from_bytes(b, "big", signed=True)
    if t == 0x0004:
        return b != b"\x00"
    return b


def _cql_string(s, long=False):
    b = s.encode()
    return struct.pack(">i" if long else ">H", len(b)) + b


class cql_connection:
    """One blocking connection speaking CQL native protocol v4, one request at a
    time. Only what this tool needs: OPTIONS, STARTUP with PLAIN
    authentication, and QUERY with rows of simple types."""

    def __init__(self, host, port, timeout=5.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.stream = 0

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def request(self, opcode, body=b""):
        self.stream = (self.stream + 1) % 32768
        self.sock.sendall(struct.pack(">BBhBi", 0x04, 0, self.stream, opcode, len(body)) + body)
        head = self._recv(9)
        version, _flags, stream, op, length = struct.unpack(">BBhBi", head)
        if version != 0x84 or stream != self.stream or not 0 <= length <= MAX_FRAME:
            raise cql_error(0, f"unexpected frame header {head.hex()}")
        data = self._recv(length)
        if op == OP_ERROR:
            r = _reader(data)
            code = r.take(">i")
            raise cql_error(code, r.string())
        return op, data

    def _recv(self, n):
        out = b""
        while len(out) < n:
            chunk = self.sock.recv(n - len(out))
            if not chunk:
                raise ConnectionError("the node closed the connection")
            out += chunk
        return out

    def startup(self, user=None, password=None):
        """OPTIONS, then STARTUP (and PLAIN authentication when asked for):
        the node's native transport serves requests once this returns."""
        op, _ = self.request(OP_OPTIONS)
        if op != OP_SUPPORTED:
            raise cql_error(0, f"OPTIONS answered with opcode {op}")
        op, body = self.request(OP_STARTUP, struct.pack(">H", 1) + _cql_string("CQL_VERSION") + _cql_string("3.0.0"))
        if op == OP_AUTHENTICATE:
            if user is None:
                return "authenticate"
            token = b"\0" + user.encode() + b"\0" + password.encode()
            op, _ = self.request(OP_AUTH_RESPONSE, struct.pack(">i", len(token)) + token)
            if op != OP_AUTH_SUCCESS:
                raise cql_error(0, f"AUTH_RESPONSE answered with opcode {op}")
            return "authenticated"
        if op != OP_READY:
            raise cql_error(0, f"STARTUP answered with opcode {op}")
        return "ready"

    def query(self, cql, consistency=CL_ONE):
        """Runs one statement; returns its rows as dicts (None for a result without rows)."""
        _, data = self.request(OP_QUERY, _cql_string(cql, long=True) + struct.pack(">HB", consistency, 0))
        r = _reader(data)
        if r.take(">i") != 0x0002:  # not Rows
            return None
        flags, ncols = r.take(">i"), r.take(">i")
        if flags & 0x0002:
            r.bytes()  # paging state: the statements here fit one page
        if flags & 0x0001:
            r.string(), r.string()
        cols = []
        for _ in range(ncols):
            if not flags & 0x0001:
                r.string(), r.string()
            cols.append((r.string(), r.option()))
        return [{name: _decode(t, r.bytes()) for name, t in cols} for _ in range(r.take(">i"))]
