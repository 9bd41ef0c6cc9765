"""Static memory planning: tensor lifetimes, in-place layers, one arena, the lower bound.

Every int8 tensor and scratch buffer gets an offset in one arena. Views (Flatten, Reshape,
Output) alias their input; in-place layers (activations, softmax, element-wise Add/Sub/Mult)
overwrite an input that no later layer still reads. A model input's buffer is alive from the
start (the caller writes every input before the run), a model output's to the end (the caller
reads every output after it), however many there are. Offsets are assigned greedily: each buffer,
in a given order, goes to the lowest offset that no buffer alive at the same time occupies; two
orders are tried and the smaller arena kept. The C runtime runs the same algorithm.
"""
from dataclasses import dataclass, field

ALIGN = 4          # arena offsets are word-aligned for the 32-bit kernels


def aligned(n: int) -> int:
    return (n + ALIGN - 1) // ALIGN * ALIGN


@dataclass
class Buffer:
    size: int                       # bytes, aligned
    first: int                      # first step it is alive (written)
    last: int                       # last step it is alive (read)
    kind: str                       # "tensor" or "scratch"
    owners: list = field(default_factory=list)   # names of the layers whose output it holds
    offset: int = -1

    def overlaps_in_time(self, other: "Buffer") -> bool:
        return self.first <= other.last and other.first <= self.last


@dataclass
class MemoryPlan:
    buffers: list
    buffer_of: dict                 # layer name -> its output Buffer
    scratch_of: dict                # layer name -> its scratch Buffer
    arena_bytes: int
    lower_bound_bytes: int
    shared: dict                    # layer name -> "view" | "in-place" for outputs that cost nothing


def plan_memory(order, outputs) -> MemoryPlan:
    steps = {layer.name: i for i, layer in enumerate(order)}
    end = len(order)                                   # graph outputs stay alive past the last step
    readers: dict[str, list] = {layer.name: [] for layer in order}
    for layer in order:
        for src in layer.inputs:
            readers[src.name].append(layer)
    output_names = {o.name for o in outputs}

    buffers, buffer_of, scratch_of, shared = [], {}, {}, {}
    aliases: dict[int, list] = {}                      # id(buffer) -> layers sharing it

    def still_read_after(buf, step):
        for layer in aliases[id(buf)]:
            if layer.name in output_names:
                return True
            if any(steps[r.name] > step for r in readers[layer.name]):
                return True
        return False

    for i, layer in enumerate(order):
        src_bufs = [buffer_of[s.name] for s in layer.inputs]
        # an in-place layer (element-wise) may overwrite any input of its output's size (not one it
        # broadcasts) that nobody reads afterwards
        free = [b for b, s in zip(src_bufs, layer.inputs) if s.out_shape.size == layer.out_shape.size
                and not still_read_after(b, i)] if layer.in_place else []
        if layer.is_view:
            buf, shared[layer.name] = src_bufs[0], "view"
        elif free:
            buf, shared[layer.name] = free[0], "in-place"
        else:
            # a layer without inputs is a model input (compile checks it): alive from the start
            buf = Buffer(aligned(layer.out_shape.size), 0 if not layer.inputs else i, i, "tensor")
            buffers.append(buf)
            aliases[id(buf)] = []
        buf.owners.append(layer.name)
        aliases[id(buf)].append(layer)
        buffer_of[layer.name] = buf
        if layer.scratch_bytes():
            scratch = Buffer(aligned(layer.scratch_bytes()), i, i, "scratch", [layer.name])
            buffers.append(scratch)
            scratch_of[layer.name] = scratch

    for buf in buffers:                                # lifetime: through every alias's readers
        if buf.kind != "tensor":
            continue
        for layer in aliases[id(buf)]:
            buf.last = max([buf.last, steps[layer.name]] + [steps[r.name] for r in readers[layer.name]])
            if layer.name in output_names:
                buf.last = end

    arena = place_greedy(buffers)
    return MemoryPlan(buffers, buffer_of, scratch_of, arena, lower_bound(buffers), shared)


# The orders greedy placement tries: largest first (what the best interpreters do) and first
# used first (it packs long chains, e.g. MobileNet, where largest-first leaves holes).
STRATEGIES = (
    ("largest first", lambda b, i: (-b.size, b.first, i)),
    ("first used first", lambda b, i: (b.first, -b.size, i)),
)


def place_in_order(buffers, order) -> int:
    """Give each buffer, in `order`, the lowest offset among 0 and the ends of buffers alive at
    the same time where it overlaps none of them; return the arena size."""
    placed = []
    for i in order:
        buf = buffers[i]
        rivals = [p for p in placed if p.overlaps_in_time(buf)]
        candidates = sorted({0} | {p.offset + p.size for p in rivals})
        buf.offset = next(c for c in candidates
                          if all(c + buf.size <= p.offset or p.offset + p.size <= c for p in rivals))
        placed.append(buf)
    return max((b.offset + b.size for b in buffers), default=0)


def place_greedy(buffers) -> int:
    """Place with every strategy and keep the smallest arena (ties: the earlier strategy).
    The C planner runs exactly this."""
    best = None
    for _, key in STRATEGIES:
        order = sorted(range(len(buffers)), key=lambda i: key(buffers[i], i))
        arena = place_in_order(buffers, order)
        if best is None or arena < best[0]:
            best = (arena, [b.offset for b in buffers])
    for b, offset in zip(buffers, best[1]):
        b.offset = offset
    return best[0]


def lower_bound(buffers) -> int:
    """The largest total of buffers alive at one step: no plan can use less."""
    if not buffers:
        return 0
    last = max(b.last for b in buffers)
    return max(sum(b.size for b in buffers if b.first <= t <= b.last) for t in range(last + 1))
