"""Progress bars that suit where they go: a live tqdm bar on a terminal, and on a pipe or log file
(CI, nohup) one plain line at most every LOG_INTERVAL seconds instead of carriage-return frames."""

from __future__ import annotations

import io
import sys

from tqdm.auto import tqdm

LOG_INTERVAL = 30.0  # seconds between lines when stderr is not a terminal


class LineWriter(io.TextIOBase):
    """Turns tqdm's '\\r'-separated frames into whole lines on `stream`."""

    def __init__(self, stream):
        self.stream = stream

    def write(self, s: str) -> int:
        text = s.replace("\r", "").strip()
        if text:
            self.stream.write(text + "\n")
            self.stream.flush()
        return len(s)

    def flush(self) -> None:
        self.stream.flush()


class LogBar(tqdm):
    """Off a terminal: postfix and description changes wait for the next periodic line instead of
    forcing one each (a training loop sets its postfix every few seconds)."""

    def set_postfix(self, ordered_dict=None, refresh=True, **kwargs):
        super().set_postfix(ordered_dict, refresh=False, **kwargs)

    def set_description(self, desc=None, refresh=True):
        super().set_description(desc, refresh=False)


def bar(iterable=None, *, desc: str = "", enabled: bool = True, stream=None, **kwargs) -> tqdm:
    """tqdm over `iterable` (disabled when not `enabled`); plain periodic lines off a terminal."""
    stream = stream if stream is not None else sys.stderr
    if not enabled:
        return tqdm(iterable, desc=desc, disable=True, **kwargs)
    if hasattr(stream, "isatty") and stream.isatty():
        return tqdm(iterable, desc=desc, file=stream, **kwargs)
    kwargs.pop("leave", None)  # a finished line is kept in a log
    return LogBar(
        iterable,
        desc=desc,
        file=LineWriter(stream),
        mininterval=LOG_INTERVAL,
        ascii=True,
        dynamic_ncols=False,
        **kwargs,
    )
