"""The compact FC kernel of the small profile (kernels/arm/nnom_fully_connected_affine_s8_compact.c,
NNOM_PATH_AFF_FC_COMPACT) on the emulated Cortex-M4 against the simulator
(nnom.affine.conv.fully_connected), byte for byte: random inputs of 1 to 70 values (odd counts:
the columns after the last group of four), row counts around the layout's blocks of three pairs
(the pairs after them, an odd last row), the weights in the mixed pair layout (the export's) and in
rows (Dense()), any input and output zero point, clamps, multipliers of 1/2 and more with shifts in
and outside the fast requantization's range (and a few of any sign), biases at the int32 sums'
limits, p->fast 1 where nnom_fc_affine_fast() holds and 0 anywhere, the input at each alignment.
Built as the small profile builds it (-Os), at -O2, and with the loops' C fallbacks; on the M33 too."""
import numpy as np
import pytest

import nnom
from nnom.affine import conv as affine_conv
from nnom.codegen.fc_layout import mixed_pairs

from ctools import cortex_m_or_skip

RUNTIME = __import__("pathlib").Path(nnom.__file__).parent / "runtime"
KERNELS = RUNTIME / "src" / "kernels"
HARNESS = __import__("pathlib").Path(__file__).parent / "c" / "fc_compact_harness.c"
SOURCES = [HARNESS, KERNELS / "arm" / "nnom_fully_connected_affine_s8_compact.c",
           KERNELS / "affine" / "nnom_fully_connected_affine_s8.c"]


def fast_holds(mult, shift, bias, n_in):
    """nnom_fc_affine_fast() (nnom_affine_kernels.h)."""
    room = (1 << 30) - n_in * 255 * 128
    return bool(np.all(mult >= 0) and np.all((shift >= -23) & (shift <= -1)) and np.all(np.abs(bias) < room))


def random_case(rng, i):
    n_in = int(rng.integers(1, 71))
    if i % 3 == 0:
        n_in |= 1                                   # odd: a tail after the groups of four
    n_out = int(rng.choice([1, 2, 3, 5, 6, 7, 8, 9, 12, 13, 14, 15, 19, 25, 31, 40]))
    in_zp, out_zp = int(rng.integers(-128, 128)), int(rng.choice([-128, int(rng.integers(-128, 128))]))
    lo, hi = sorted(int(v) for v in rng.integers(-128, 128, 2)) if i % 4 == 0 else (-128, 127)
    x = rng.integers(-128, 128, n_in).astype(np.int8)
    w = rng.integers(-128, 128, (n_out, n_in)).astype(np.int8)
    if i % 7 == 0:                                  # the sums' extremes: |x - zp| 255, |w| 128
        in_zp = int(rng.choice([-128, 127]))
        x[:] = 127 if in_zp == -128 else -128
        w[:] = int(rng.choice([-128, 127]))
    mult = rng.integers(1 << 30, (1 << 31) - 1, n_out, endpoint=True).astype(np.int64)
    kind = i % 5
    if kind == 0:                                   # the fast requantization's range
        shift = rng.integers(-23, 0, n_out)
    elif kind == 1:                                 # beyond it: right shifts up to 31, left ones
        shift = rng.integers(-31, 6, n_out)
    elif kind == 2:                                 # at its edges
        shift = rng.choice([-24, -23, -1, 0, 1], n_out)
    else:
        shift = rng.integers(-20, -5, n_out)
    if i % 11 == 5:                                 # any multiplier (the reference takes them)
        mult = rng.integers(-(1 << 31), (1 << 31) - 1, n_out, endpoint=True).astype(np.int64)
        mult[0] = -(1 << 31)
    room = (1 << 31) - 1 - n_in * 255 * 128         # no sum leaves int32 (the reference's C)
    if i % 6 == 1:                                  # sums of 2^30 and more: the general requantization
        bias = rng.choice([-1, 1], n_out) * rng.integers((1 << 30) - 4096, room, n_out)
    elif i % 6 == 2:
        bias = rng.integers(-room, room, n_out)
    else:
        bias = rng.integers(-(1 << 16), 1 << 16, n_out)
    if i % 8 == 6:                                  # small sums: the general requantization's rounding shows
        x = np.clip(in_zp + rng.integers(-2, 3, n_in), -128, 127).astype(np.int8)
        w = rng.integers(-3, 4, (n_out, n_in)).astype(np.int8)
        bias = rng.integers(-100, 101, n_out)
        shift = rng.integers(-4, 3, n_out)
    has_bias = i % 9 != 4
    if not has_bias:
        bias = np.zeros(n_out, np.int64)
    fast = int(fast_holds(mult, shift, bias, n_in) and i % 2 == 0)
    rows = i % 5 == 3
    return dict(n_in=n_in, n_out=n_out, in_zp=in_zp, out_zp=out_zp, lo=lo, hi=hi, x=x, w=w, bias=bias,
                has_bias=has_bias, mult=mult, shift=shift, fast=fast, rows=rows, offset=i % 4)


def expected(c):
    p = affine_conv.FullyConnectedParams(c["in_zp"], c["out_zp"], c["lo"], c["hi"], c["mult"], c["shift"])
    return np.asarray(affine_conv.fully_connected(c["x"], c["w"], c["bias"] if c["has_bias"] else None, p), np.int8)


def stdin_of(cases) -> bytes:
    out = bytearray()
    for c in cases:
        out += np.array([c["n_in"], c["n_out"], c["in_zp"], c["out_zp"], c["lo"], c["hi"], c["fast"], c["rows"],
                         c["has_bias"], c["offset"]], "<i4").tobytes()
        out += c["x"].tobytes()
        out += (c["w"] if c["rows"] else mixed_pairs(c["w"])).tobytes()
        out += c["bias"].astype("<i4").tobytes() + c["mult"].astype("<i4").tobytes()
        out += c["shift"].astype(np.int8).tobytes()
    return bytes(out) + np.zeros(1, "<i4").tobytes()


def saturating_case():
    """a = m = INT32_MIN (a bias of -2^30 shifted left by 1, inputs at the zero point): the
    reference's doubling high multiply saturates to INT32_MAX."""
    c = random_case(np.random.default_rng(7), 1)
    n_in, n_out = c["n_in"], c["n_out"]
    c.update(x=np.full(n_in, c["in_zp"], np.int8), bias=np.full(n_out, -(1 << 30), np.int64), has_bias=True,
             mult=np.full(n_out, -(1 << 31), np.int64), shift=np.ones(n_out, np.int64), fast=0, lo=-128, hi=127,
             out_zp=0)  # (INT32_MAX + out_zp: no overflow in C; INT32_MIN would give -128)
    return c


CASES = [random_case(np.random.default_rng(1000 + i), i) for i in range(240)] + [saturating_case()]


@pytest.mark.parametrize("core, opt, defines", [("cortex-m4", "-Os", ()), ("cortex-m4", "-O2", ()),
                                               ("cortex-m4", "-O2", ("NNOM_ARM_NO_ASM",)), ("cortex-m33", "-Os", ())],
                         ids=["m4-Os", "m4-O2", "m4-O2-no-asm", "m33-Os"])
def test_the_compact_fc_is_the_simulators_bytes_on_the_m4(core, opt, defines):
    cm = cortex_m_or_skip()
    assert sum(c["fast"] for c in CASES) > 20 and sum(c["rows"] for c in CASES) > 20
    elf = cm.build_firmware(SOURCES, include_dirs=[RUNTIME / "include", KERNELS], core=core,
                            defines=defines, opt=opt)
    res = cm.run_firmware(elf, core=core, stdin=stdin_of(CASES), count=False)
    lines = res.stdout.decode(errors="replace").split()
    assert res.exit_code == 0 and lines[-1:] == ["done"], (res.exit_code, res.stdout[-500:], res.stderr[-1000:])
    for c, line in zip(CASES, lines, strict=False):
        want = expected(c)
        got = np.frombuffer(bytes.fromhex(line), np.int8)
        assert np.array_equal(got, want), {k: v for k, v in c.items() if k not in ("x", "w")} | {"got": got, "want": want}
    assert len(lines) == len(CASES) + 1
