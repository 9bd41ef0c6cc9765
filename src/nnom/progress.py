"""Progress bars for the long steps: calibration and simulation over many samples, builds,
emulated runs.

Library calls show none unless asked: `with nnom.progress.enabled(): model.quantize(x)`. The
`nnom` command turns them on when stderr is a terminal and --quiet is not given. tqdm draws
them when it is installed; without it nothing is shown (the core needs only NumPy).
"""
import contextlib
import sys
import threading
from contextvars import ContextVar

_ON = ContextVar("nnom_progress", default=False)


@contextlib.contextmanager
def enabled(on=True):
    """Show progress bars on stderr inside this block (nothing is shown outside it)."""
    token = _ON.set(bool(on))
    try:
        yield
    finally:
        _ON.reset(token)


def _tqdm():
    if not _ON.get():
        return None
    try:
        from tqdm import tqdm
    except ImportError:             # optional: no bars, no message
        return None
    return tqdm


def track(iterable, desc, unit="it"):
    """The iterable itself, or wrapped in a bar when progress is on and it has 2+ items."""
    tqdm = _tqdm()
    if tqdm is None or len(iterable) < 2:
        return iterable
    return tqdm(iterable, desc=desc, unit=unit, leave=False, file=sys.stderr, dynamic_ncols=True)


@contextlib.contextmanager
def step(desc):
    """One long step that cannot count its progress (a build, an emulated run): its name and a
    running clock, refreshed by a small thread since nothing else updates the bar."""
    tqdm = _tqdm()
    if tqdm is None:
        yield
        return
    bar = tqdm(total=None, desc=desc, bar_format="{desc}: {elapsed}", leave=False, file=sys.stderr)
    stop = threading.Event()

    def tick():
        while not stop.wait(0.5):
            bar.refresh()
    clock = threading.Thread(target=tick, daemon=True)
    clock.start()
    try:
        yield
    finally:
        stop.set()
        clock.join()
        bar.close()
