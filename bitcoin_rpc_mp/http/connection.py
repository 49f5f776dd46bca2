"""Sans-I/O HTTP/1.x server connection with bitcoind's own line-based parsing rules (compat spec §1, §2, §7).

Owns: the receive buffer, the request parser and its limits, one-request-at-a-time sequencing and keep-alive.
Must not import asyncio, uvloop, capnp, `jsonrpc` or `ipc`; it never sees a socket or a clock.

Theory of operation
-------------------
Bytes go in with `receive_data(data)` (`b""` means the peer sent EOF). `next_event()` returns

* `Request`: a complete request. From then on the connection is *paused*: it parses nothing more (pipelined
  bytes stay buffered) and `next_event()` returns `NEED_DATA` until `send_response()` was called for it.
* `ProtocolFailure`: the bytes are not a request bitcoind accepts (400) or the body is too large (413). Send
  `failure.response` with `send_response()` and close; `must_close` is then True.
* `NEED_DATA`: nothing to report now. That means one of: more bytes are needed, the connection is paused
  (a Request or ProtocolFailure awaits its reply: `awaiting_response`), or the connection is finished
  (`must_close`). After EOF (`their_eof`) no more bytes will come, so a NEED_DATA then means the peer left
  in the middle of a request (or between requests) and the connection should be closed without a reply.

`send_response(response, now)` returns the exact bytes to write (compat spec §2) and, when the connection stays
open, re-arms the parser for the next pipelined request; `must_close` says whether to close after writing.

Parsing follows bitcoind's LineReader: a line ends at LF and loses one CR before it; a line longer than 8192
bytes (CR counted, LF not) fails as soon as its 8193rd byte is seen, before any LF. Each step consumes a whole
line or a whole declared length, so where the stream is split never changes what is parsed.

Two shortcuts give the same outcome with less work (property tests compare each with the line-by-line path):
a head that is buffered whole, ends its lines with CRLF only, holds no other CR and no NUL and fits in 8192
bytes is split and checked in one step (no limit can be hit then); and a head that already parsed on this
connection (clients repeat theirs, only Content-Length varies) is not parsed again: its method, target, version,
headers and framing are remembered, 16 heads of at most 1 KiB per connection.

Limits: the request line and every header, chunk-size and trailer line 8192 bytes; the header block (every line
with its line end, plus the empty line) 8192 bytes, and again 8192 for the chunked trailer block; the body
32 MiB, decided from Content-Length before any body byte is read, or as soon as a chunk size would pass it.
"""

from __future__ import annotations

import enum
import re

from .errors import BadRequest, HttpError, PayloadTooLarge
from .events import (
    NEED_DATA,
    Headers,
    NeedData,
    ProtocolFailure,
    Request,
    Response,
    ascii_lower,
    find_header,
    wants_keep_alive,
)
from .wire import ReplyWriter

__all__ = [
    "MAX_BODY_SIZE",
    "MAX_HEADERS_SIZE",
    "NEED_DATA",
    "HttpConnection",
    "NeedData",
    "ProtocolFailure",
    "Request",
    "Response",
]

MIN_REQUEST_LINE_LENGTH = len("GET / HTTP/1.0")
MAX_HEADERS_SIZE = 8192
MAX_BODY_SIZE = 32 * 1024 * 1024  # 33554432
_UINT64_MAX = 2**64 - 1

# bitcoind's TrimString/whitespace set: space, \f, \n, \r, \t, \v
_WHITESPACE = b" \f\n\r\t\v"
_WHITESPACE_RE = re.compile(rb"[ \f\n\r\t\v]")
_VERSION_RE = re.compile(rb"HTTP/1\.([0-9])")
_DECIMAL_RE = re.compile(r"[0-9]+")
_HEX_RE = re.compile(rb"[0-9A-Fa-f]+")
_COMPACT_AFTER = 64 * 1024
_CHUNKED = -1  # framing: Transfer-Encoding: chunked
_KNOWN_HEADS_PER_CONNECTION = 16
# Only ordinary heads are remembered (a client library's are a few hundred bytes), so the memory a connection
# can make us keep stays at 16 KiB, whatever a peer sends before authenticating.
_KNOWN_HEAD_MAX_BYTES = 1024


class _State(enum.Enum):
    REQUEST_LINE = enum.auto()
    HEADERS = enum.auto()
    BODY = enum.auto()
    CHUNK_SIZE = enum.auto()
    CHUNK_DATA = enum.auto()
    CHUNK_END = enum.auto()
    TRAILERS = enum.auto()
    PAUSED = enum.auto()  # an event was returned; waiting for send_response
    CLOSED = enum.auto()  # the last reply was sent (or must be sent) and the connection ends


class HttpConnection:
    """One server-side HTTP connection, no I/O (see the module docstring for the protocol)."""

    def __init__(
        self,
        *,
        max_headers_size: int = MAX_HEADERS_SIZE,
        max_body_size: int = MAX_BODY_SIZE,
        writer: ReplyWriter | None = None,
    ) -> None:
        self._writer = ReplyWriter() if writer is None else writer  # the server shares one among connections
        self._max_headers = max_headers_size
        self._max_body = max_body_size
        self._buf = bytearray()
        self._pos = 0  # start of the unconsumed bytes in _buf
        self._scan = 0  # where the search for the next LF resumes (>= _pos)
        self._state = _State.REQUEST_LINE
        self._eof = False
        self._must_close = False
        self._pending: Request | ProtocolFailure | None = None
        # head bytes -> (method, target, version, headers, framing) of heads that parsed on this connection
        self._known_heads: dict[bytes, tuple[str, str, tuple[int, int], Headers, int | None]] = {}
        self._reset_request()

    # -- public API -------------------------------------------------------------------------------------------

    @property
    def must_close(self) -> bool:
        """True once the reply just produced by send_response is the last one: close after writing it."""
        return self._must_close

    @property
    def their_eof(self) -> bool:
        """True once receive_data(b"") reported EOF."""
        return self._eof

    @property
    def awaiting_response(self) -> bool:
        """True between a Request/ProtocolFailure from next_event and the matching send_response."""
        return self._pending is not None

    @property
    def buffered_bytes(self) -> int:
        """Received bytes not yet consumed by the parser (for flow control while a request is in flight)."""
        return len(self._buf) - self._pos

    def receive_data(self, data: bytes) -> None:
        """Feed bytes from the peer; b"" means EOF. Bytes after a fatal failure are dropped."""
        if not data:
            self._eof = True
            return
        if self._eof:
            raise RuntimeError("receive_data after EOF")
        if self._state is _State.CLOSED:
            return
        self._buf += data

    def next_event(self) -> Request | ProtocolFailure | NeedData:
        """The next Request, a ProtocolFailure, or NEED_DATA. Never raises for any input bytes."""
        state = self._state
        if state is _State.PAUSED or state is _State.CLOSED:
            return NEED_DATA
        if state is _State.REQUEST_LINE and self._pos == len(self._buf):
            return NEED_DATA  # between requests with nothing buffered: the usual case after each reply
        try:
            request = self._parse()
        except HttpError as exc:
            failure = ProtocolFailure(
                response=exc.response, detail=exc.detail, version=self._version, headers=self._headers
            )
            self._pending = failure
            self._state = _State.CLOSED
            self._buf = bytearray()
            self._pos = self._scan = 0
            return failure
        if request is None:
            self._compact()
            return NEED_DATA
        self._pending = request
        self._state = _State.PAUSED
        self._compact()
        return request

    def send_response(self, response: Response, now: float) -> bytes:
        """Bytes of `response` as the reply to the pending Request or ProtocolFailure (`now`: epoch seconds for
        Date). Re-arms the parser unless the connection must close. Raises RuntimeError if nothing is pending."""
        pending = self._take_pending()
        data = self._writer.serialize(response, now, version=pending.version, connection=self._connection_of(pending))
        self._after_reply(pending)
        return data

    def send_response_parts(self, response: Response, now: float) -> tuple[bytes, bytes, bytes]:
        """`send_response` as (head, body, tail), the same bytes once joined: a large body is written as it is,
        never copied between its head and tail."""
        pending = self._take_pending()
        parts = self._writer.serialize_parts(
            response, now, version=pending.version, connection=self._connection_of(pending)
        )
        self._after_reply(pending)
        return parts

    def _take_pending(self) -> Request | ProtocolFailure:
        pending = self._pending
        if pending is None:
            raise RuntimeError("send_response without a pending request")
        return pending

    @staticmethod
    def _connection_of(pending: Request | ProtocolFailure) -> str | None:
        return find_header(pending.headers, "Connection")

    def _after_reply(self, pending: Request | ProtocolFailure) -> None:
        self._pending = None
        if isinstance(pending, ProtocolFailure) or not wants_keep_alive(pending.version, self._connection_of(pending)):
            self._must_close = True
            self._state = _State.CLOSED
            self._buf = bytearray()
            self._pos = self._scan = 0
        else:
            self._state = _State.REQUEST_LINE
            self._reset_request()

    # -- parser -----------------------------------------------------------------------------------------------

    def _reset_request(self) -> None:
        self._method = ""
        self._target = ""
        self._version: tuple[int, int] = (1, 1)  # what an error reply uses until the request line parsed
        self._headers: Headers = ()
        self._lines: list[tuple[str, str]] = []
        self._block_size = 0
        self._body_parts: list[bytes] = []
        self._body_size = 0
        self._need = 0

    def _compact(self) -> None:
        if self._pos > _COMPACT_AFTER and self._pos * 2 > len(self._buf):
            del self._buf[: self._pos]
            self._scan -= self._pos
            self._pos = 0

    def _read_line(self) -> tuple[bytes, int] | None:
        """(line without LF and one CR, bytes consumed incl. the line end), or None if no full line yet."""
        nl = self._buf.find(b"\n", self._scan)
        if nl < 0:
            self._scan = len(self._buf)
            if len(self._buf) - self._pos > self._max_headers:
                raise BadRequest("max_line_length exceeded by LineReader")
            return None
        start = self._pos
        if nl - start > self._max_headers:
            raise BadRequest("max_line_length exceeded by LineReader")
        line = bytes(self._buf[start:nl])
        self._pos = self._scan = nl + 1
        if line.endswith(b"\r"):
            line = line[:-1]
        return line, nl + 1 - start

    def _read_exact(self, n: int) -> bytes | None:
        if len(self._buf) - self._pos < n:
            return None
        data = bytes(self._buf[self._pos : self._pos + n])
        self._pos += n
        self._scan = self._pos
        return data

    def _parse_head_whole(self) -> bool | None:
        """Fast path for the common case: the whole head is buffered, at most 8192 bytes, its only line ends
        are CRLF and it holds no CR elsewhere and no NUL. Then no length limit can be hit and each line is what
        the line reader would produce, so the same checks run on the same lines in the same order.
        Consumes the head, sets the framing and returns True when the request is complete without a body;
        returns None (consuming nothing) in every other case.

        A client on a keep-alive connection usually sends the same head again and again (only Content-Length
        varies, within a few values): a head seen before on this connection is not parsed again. The outcome of
        parsing is a function of the head's bytes alone, and only heads that parsed are remembered."""
        buf = self._buf
        pos = self._pos
        end = buf.find(b"\r\n\r\n", pos, pos + self._max_headers)
        if end < 0:
            return None
        head = bytes(buf[pos:end])
        known = self._known_heads.get(head)
        if known is None:
            crlf = head.count(b"\r\n")
            if head.count(b"\r") != crlf or head.count(b"\n") != crlf or b"\0" in head:
                return None
            lines = head.split(b"\r\n")
            self._parse_request_line(lines[0])
            self._pos = self._scan = end + 4
            self._headers = tuple([_parse_header_line_clean(line) for line in lines[1:]])
            framing = self._framing()
            if len(self._known_heads) < _KNOWN_HEADS_PER_CONNECTION and len(head) <= _KNOWN_HEAD_MAX_BYTES:
                self._known_heads[head] = (self._method, self._target, self._version, self._headers, framing)
        else:
            self._method, self._target, self._version, self._headers, framing = known
            self._pos = self._scan = end + 4
        return self._apply_framing(framing)

    def _parse(self) -> Request | None:
        while True:
            state = self._state
            if state is _State.REQUEST_LINE:
                complete = self._parse_head_whole()
                if complete is not None:
                    if complete:
                        return self._complete()
                    continue
                got = self._read_line()
                if got is None:
                    return None
                self._parse_request_line(got[0])
                self._state = _State.HEADERS
            elif state is _State.HEADERS or state is _State.TRAILERS:
                got = self._read_line()
                if got is None:
                    return None
                line, consumed = got
                self._block_size += consumed
                if self._block_size > self._max_headers:
                    raise BadRequest("HTTP headers exceed size limit")
                if line:
                    self._lines.append(_parse_header_line(line))
                    continue
                if state is _State.TRAILERS:  # validated, then dropped
                    return self._complete()
                self._headers = tuple(self._lines)
                self._lines = []
                self._block_size = 0
                if self._start_body():
                    return self._complete()
            elif state is _State.BODY:
                data = self._read_exact(self._need)
                if data is None:
                    return None
                self._body_parts.append(data)
                return self._complete()
            elif state is _State.CHUNK_SIZE:
                got = self._read_line()
                if got is None:
                    return None
                size = _parse_chunk_size(got[0])
                if size == 0:
                    self._state = _State.TRAILERS
                    continue
                if self._body_size + size > self._max_body:
                    raise PayloadTooLarge("Chunk will exceed max body size")
                self._need = size
                self._state = _State.CHUNK_DATA
            elif state is _State.CHUNK_DATA:
                data = self._read_exact(self._need)
                if data is None:
                    return None
                self._body_parts.append(data)
                self._body_size += len(data)
                self._state = _State.CHUNK_END
            elif state is _State.CHUNK_END:
                got = self._read_line()
                if got is None:
                    return None
                if got[0]:
                    raise BadRequest("Improperly terminated chunk")
                self._state = _State.CHUNK_SIZE
            else:  # pragma: no cover - PAUSED/CLOSED are handled by next_event
                return None

    def _parse_request_line(self, line: bytes) -> None:
        if len(line) < MIN_REQUEST_LINE_LENGTH:
            raise BadRequest("HTTP request line too short")
        if b"\0" in line:
            raise BadRequest("Invalid request line contains NUL")
        parts = line.split(b" ")
        if len(parts) != 3:
            raise BadRequest("HTTP request line malformed")
        match = _VERSION_RE.fullmatch(parts[2])
        if match is None:
            raise BadRequest("HTTP bad version")
        self._method = parts[0].decode("latin-1")
        self._target = parts[1].decode("latin-1")
        self._version = (1, int(match.group(1)))

    def _start_body(self) -> bool:
        """Choose the framing after the header block; True if the request is already complete."""
        return self._apply_framing(self._framing())

    def _framing(self) -> int | None:
        """What the headers say about the body: CHUNKED, a Content-Length, or None (no body). Raises the
        errors bitcoind gives for bad framing headers."""
        transfer_encoding = None
        lengths = []
        for name, value in self._headers:  # one pass; only names of the two lengths are folded
            size = len(name)
            if size == 14 and ascii_lower(name) == "content-length":
                lengths.append(value)
            elif size == 17 and transfer_encoding is None and ascii_lower(name) == "transfer-encoding":
                transfer_encoding = value
        if transfer_encoding is not None and ascii_lower(transfer_encoding) == "chunked":
            return _CHUNKED
        if not lengths:
            return None
        if any(v != lengths[0] for v in lengths):
            raise BadRequest("Differing Content-Length values")
        if _DECIMAL_RE.fullmatch(lengths[0]) is None or int(lengths[0]) > _UINT64_MAX:
            raise BadRequest("Cannot parse Content-Length value")
        length = int(lengths[0])
        if length > self._max_body:
            raise PayloadTooLarge("Max body size exceeded")
        return length

    def _apply_framing(self, framing: int | None) -> bool:
        if framing is None:
            return True
        if framing == _CHUNKED:
            self._state = _State.CHUNK_SIZE
        else:
            self._need = framing
            self._state = _State.BODY
        return False

    def _complete(self) -> Request:
        request = Request(
            method=self._method,
            target=self._target,
            version=self._version,
            headers=self._headers,
            body=b"".join(self._body_parts),
        )
        self._body_parts = []
        return request


def _parse_header_line(line: bytes) -> tuple[str, str]:
    if b"\r" in line or b"\0" in line:
        raise BadRequest("Header contains invalid character")
    return _parse_header_line_clean(line)


def _parse_header_line_clean(line: bytes) -> tuple[str, str]:
    """A header line known to hold no CR and no NUL (checked line by line above, or for the whole head by the
    fast path): name and value, or bitcoind's error."""
    name, colon, value = line.partition(b":")
    if not colon:
        raise BadRequest("HTTP header missing colon (:)")
    if not name:
        raise BadRequest("Empty HTTP header name")
    if _WHITESPACE_RE.search(name) is not None:
        raise BadRequest("Invalid header field-name contains whitespace")
    return name.decode("latin-1"), value.strip(_WHITESPACE).decode("latin-1")


def _parse_chunk_size(line: bytes) -> int:
    digits = line.split(b";", 1)[0].strip(_WHITESPACE)
    if _HEX_RE.fullmatch(digits) is None:
        raise BadRequest("Cannot parse chunk length value")
    size = int(digits, 16)
    if size > _UINT64_MAX:
        raise BadRequest("Cannot parse chunk length value")
    return size
