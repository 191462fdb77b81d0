"""The site served over a slower network, for the start-up benchmark: one link of a given
bandwidth that every connection shares, and a fixed wait before each response (the round
trip). On localhost the bytes arrive at once, which hides what a first visit waits for."""

import threading
import time
from http.server import ThreadingHTTPServer
from pathlib import Path

from tools.serve import SiteHandler, start_server

__all__ = ["LINK_MBIT", "ROUND_TRIP_S", "start_link_server"]

LINK_MBIT = 40.0  # megabits per second, shared by every connection
ROUND_TRIP_S = 0.04  # before each response
PIECE = 16 * 1024  # bytes sent at a time


class _Link:
    """The link's schedule: each piece of any response gets the next free slot of time."""

    def __init__(self, bytes_per_s: float):
        self.bytes_per_s = bytes_per_s
        self.lock = threading.Lock()
        self.free_at = time.monotonic()  # when the link has sent everything queued so far

    def send(self, size: int) -> None:
        """Wait until ``size`` more bytes have crossed the link."""
        with self.lock:
            now = time.monotonic()
            self.free_at = max(now, self.free_at) + size / self.bytes_per_s
            wait = self.free_at - now
        time.sleep(wait)


class _LinkHandler(SiteHandler):
    link: _Link
    round_trip_s: float

    def send_head(self):
        time.sleep(self.round_trip_s)
        return super().send_head()

    def copyfile(self, source, outputfile) -> None:
        while piece := source.read(PIECE):
            self.link.send(len(piece))
            outputfile.write(piece)


def start_link_server(
    directory: Path, mbit: float = LINK_MBIT, round_trip_s: float = ROUND_TRIP_S
) -> ThreadingHTTPServer:
    """Serve ``directory`` as ``tools.serve.start_server`` does, over a link of ``mbit``
    megabits per second with ``round_trip_s`` seconds before each response."""
    attributes = {"link": _Link(mbit * 1e6 / 8), "round_trip_s": round_trip_s}
    return start_server(directory, handler_class=type("LinkHandler", (_LinkHandler,), attributes))
