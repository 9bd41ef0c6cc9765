"""Per-core and per-layer instruction profiles for bench/run.py (issue 14, goal 6).

Each model's generated C runs once more per core (Cortex-M0, M3, M4, M7, M33, M55), in a build whose
layers are bracketed (run_model(per_layer=True)) on a couple of test inputs: instructions per
inference per core, per layer, and from them instructions per MAC per layer type and core. A model
whose firmware does not fit a board (the M0's micro:bit: 256 KB of flash, 16 KB of RAM) is
skipped there, with the linker's reason.
"""
from __future__ import annotations

import re
import time
import traceback
from collections import defaultdict

import numpy as np

PROFILE_CORES = ("cortex-m0", "cortex-m3", "cortex-m4", "cortex-m7", "cortex-m33", "cortex-m55")
# cores also run with the reference kernels (-DNNOM_REFERENCE_KERNELS): the no-DSP kernels' speed-up
REFERENCE_CORES = ("cortex-m0", "cortex-m3")
SHORT = {c: c.replace("cortex-", "").upper() for c in PROFILE_CORES}

# TFLite Micro + CMSIS-NN's Helium (MVE) build of the same seven models on the emulated Cortex-M55
# (QEMU 7.2 mps3-an547, -mcpu=cortex-m55): instructions per Invoke, the team's anchor measurements
# ("TFLite Micro + CMSIS-NN on the Cortex-M55" table), copied here (issue 14, goal 2).
TFLM_M55_ANCHORS = {"har_seq": 76_114, "har_inception": 147_513, "digits_cnn": 121_824, "kws_dscnn": 1_818_560,
                    "ic_resnet8": 4_915_591, "vww_mobilenet": 6_560_422, "ad_autoencoder": 156_142}


def _does_not_fit(text: str) -> str | None:
    """The linker's 'region X overflowed by N bytes', or the target's 'does not fit the X of
    ...: N B too many', as a short reason, or None."""
    found = re.findall(r"region `(\w+)' overflowed by (\d+) bytes", text)
    found += [(region, n.replace(",", "")) for region, n in
              re.findall(r"does not fit the (\w+) of .*?: ([\d,]+) B too many", text)]
    if not found:
        return None
    return ", ".join(f"{region} short by {int(n):,} B" for region, n in dict(found).items())


def _run(model, xq, sim, core, cflags=()) -> dict:
    from nnom.targets.cortex_m import run_model
    y, rep = run_model(model, xq, core=core, per_layer=True, cflags=cflags)
    return dict(instr=rep.instructions_per_inference, macs=rep.macs, flash=rep.flash_bytes, ram=rep.ram_bytes,
                inferences=rep.inferences, mismatches=int(np.sum(np.asarray(y).reshape(sim.shape) != sim)),
                layers=[[lc.name, lc.type, int(lc.macs), float(lc.instructions), lc.stack] for lc in rep.layers])


def profile_model(model, xq, sim, cores=PROFILE_CORES, log=print, reference_cores=REFERENCE_CORES) -> dict:
    """{core: {instr, macs, flash, ram, mismatches, seconds, layers: [[name, type, macs, instr, stack]],
    reference: the same with the reference kernels (reference_cores)} or {skipped: reason} or
    {error: text}} for the quantized model on inputs xq (simulator: sim)."""
    out = {}
    for core in cores:
        t = time.time()
        try:
            out[core] = _run(model, xq, sim, core)
            if core in reference_cores:
                out[core]["reference"] = _run(model, xq, sim, core, ("-DNNOM_REFERENCE_KERNELS",))
        except Exception as e:  # noqa: BLE001 - recorded, the other cores go on
            text = f"{type(e).__name__}: {e}"
            reason = _does_not_fit(text)
            if reason:
                out[core] = dict(skipped=reason)
            else:
                traceback.print_exc()
                out[core] = dict(error=text[:2000])
        out[core]["seconds"] = round(time.time() - t, 1)
        log(f"    profile {core}: " + (f"{out[core]['instr']:,.0f} instructions" if out[core].get("instr")
                                       else out[core].get("skipped") or "error"))
    return out


def _cell(p: dict | None, macs: int) -> str:
    if not p:
        return "not run"
    if "skipped" in p:
        return "n/f"
    if "error" in p or not p.get("instr"):
        return "error"
    per = f" ({p['instr'] / macs:.2f})" if macs else ""
    return f"{p['instr']:,.0f}{per}"


def by_type(rows: list[dict], reference=False) -> dict:
    """{(core, layer type): [instructions, MACs, models]} over every model's layers with MACs (with
    the reference kernels: reference=True)."""
    agg = defaultdict(lambda: [0.0, 0, set()])
    for r in rows:
        for core, p in (r.get("profile") or {}).items():
            p = p.get("reference") or {} if reference else p
            for _name, typ, macs, instr, *_stack in p.get("layers") or []:
                if macs:
                    a = agg[core, typ]
                    a[0] += instr
                    a[1] += macs
                    a[2].add(r["model"])
    return agg


def write_markdown(rows: list[dict], w, cores=PROFILE_CORES):
    """The per-core tables and the per-layer profiles, through w (one line per call)."""
    rows = [r for r in rows if r.get("profile")]
    if not rows:
        return
    inputs = sorted({p.get("inferences") for r in rows for p in r["profile"].values() if p.get("inferences")})
    w("## Instructions per inference per core\n")
    rcores = [c for c in cores if any((r["profile"].get(c) or {}).get("reference") for r in rows)]
    w("| model | MACs | " + " | ".join(SHORT[c] for c in cores) + " | bit-exact on every core run | "
      + " | ".join(f"{SHORT[c]} references / no-DSP" for c in rcores) + " |")
    w("|---|---:|" + "---:|" * len(cores) + "---|" + "---:|" * len(rcores))
    skipped = []
    for r in rows:
        macs = (r.get("nnom") or {}).get("macs") or next((p["macs"] for p in r["profile"].values() if p.get("macs")), 0)
        ran = [q for p in r["profile"].values() for q in (p, p.get("reference") or {}) if q.get("instr") is not None]
        exact = "pass" if ran and all(p["mismatches"] == 0 for p in ran) else ("**FAIL**" if ran else "-")
        ratios = []
        for c in rcores:
            p = r["profile"].get(c) or {}
            ref = p.get("reference") or {}
            ratios.append(f"{ref['instr'] / p['instr']:.2f}x" if ref.get("instr") and p.get("instr") else "-")
        w(f"| {r['model']} | {macs:,} | " + " | ".join(_cell(r["profile"].get(c), macs) for c in cores)
          + f" | {exact} | " + " | ".join(ratios) + " |")
        skipped += [f"{r['model']} on the {SHORT[c]}, {p['skipped']}" for c, p in r["profile"].items() if "skipped" in p]
    w("")
    w(f"Instructions per inference of `model_run()` (instructions per MAC in brackets), the mean over {', '.join(map(str, inputs))} "
      "test input(s), in the build with per-layer brackets (`run_model(..., per_layer=True)`: about 40 more "
      "instructions per layer than the figures above), arm-none-eabi-gcc -O2. Kernels per core: M0 and M3 the "
      "no-DSP ones (`kernels/nodsp/`), M4, M7 and M33 the DSP ones (`kernels/arm/`), M55 the Helium ones "
      "(`kernels/mve/`) where they exist, the references elsewhere. n/f: the firmware does not fit the board"
      + (" (" + "; ".join(skipped) + ")" if skipped else "") + ". Bit-exact: the C's outputs equal the simulator's (the reference builds' too). References / no-DSP: "
      "the whole inference built with `-DNNOM_REFERENCE_KERNELS` over the default build (the layers without a "
      "no-DSP kernel are the same code in both).\n")

    helium = [r for r in rows if (r["profile"].get("cortex-m55") or {}).get("instr") and r["model"] in TFLM_M55_ANCHORS]
    if helium:
        w("## Cortex-M55 (Helium) against TFLite Micro + CMSIS-NN's Helium build\n")
        w("| model | nnom M55 | TFLM+CMSIS-NN M55 *anchor* | nnom / anchor | nnom M4 / nnom M55 |")
        w("|---|---:|---:|---:|---:|")
        for r in helium:
            m55, m4 = r["profile"]["cortex-m55"]["instr"], (r["profile"].get("cortex-m4") or {}).get("instr")
            anchor = TFLM_M55_ANCHORS[r["model"]]
            w(f"| {r['model']} | {m55:,.0f} | {anchor:,} | {m55 / anchor:.2f}x | "
              + (f"{m4 / m55:.2f}x" if m4 else "-") + " |")
        w("")
        w("nnom: the per-core runs above (their per-layer brackets add about 40 instructions per layer). Anchor: "
          "TFLite Micro + CMSIS-NN built for the M55 with CMSIS-NN's MVE paths, instructions per Invoke on the same "
          "emulated board, measured for this project (`TFLM_M55_ANCHORS` in bench/core_profile.py). Issue 14 asks "
          "for fewer instructions than the anchor and at least 3x fewer than the M4 build on KWS, ResNet-8 and VWW.\n")

    agg, ref = by_type(rows), by_type(rows, reference=True)
    ref_cores = [c for c in cores if any((c, t) in ref for _c, t in agg)]
    types = sorted({t for _c, t in agg}, key=lambda t: -sum(agg[c, t][1] for c in cores if (c, t) in agg))
    w("## Instructions per MAC per layer type and core\n")
    w("| layer type | MACs (all models) | " + " | ".join(SHORT[c] for c in cores) + " | "
      + " | ".join(f"{SHORT[c]} references | {SHORT[c]} speed-up" for c in ref_cores) + " |")
    w("|---|---:|" + "---:|" * (len(cores) + 2 * len(ref_cores)))
    for t in types:
        macs = max(agg[c, t][1] for c in cores if (c, t) in agg)
        cells = []
        for c in cores:
            a = agg.get((c, t))
            cells.append("-" if a is None else f"{a[0] / a[1]:.2f}" + ("" if a[1] == macs else "*"))
        for c in ref_cores:
            a, b = agg.get((c, t)), ref.get((c, t))
            cells += ["-", "-"] if a is None or b is None else [f"{b[0] / b[1]:.2f}", f"{b[0] / a[0]:.2f}x"]
        w(f"| {t} | {macs:,} | " + " | ".join(cells) + " |")
    w("")
    w("Sum of the layers' instructions / sum of their MACs over every model run on the core (layers without "
      "MACs left out). *: fewer models on that core (the ones that fit the board), so fewer MACs. "
      f"{' and '.join(SHORT[c] for c in ref_cores)} references: the same runs built with "
      "`-DNNOM_REFERENCE_KERNELS` (the portable reference loops); speed-up: their instructions over the "
      "no-DSP kernels' (issue 14, goal 3: at least 2.5x).\n")

    w("## Per-layer profile\n")
    w("Instructions per inference of each layer (instructions per MAC in brackets) on each core, in the same "
      "runs. Layers without MACs (pooling, activations, element-wise merges, reshapes) show their instructions "
      "alone. Stack: the layer's stack peak on the M4 (bytes from the stack's top, the frames of main() and "
      "model_run() included; the stack is painted again before each layer).\n")
    for r in rows:
        prof = r["profile"]
        ran = [c for c in cores if (prof.get(c) or {}).get("layers")]
        if not ran:
            continue
        w(f"<details><summary>{r['model']}</summary>\n")
        m4 = (prof.get("cortex-m4") or {}).get("layers") or []
        w("| # | layer | type | MACs | " + " | ".join(SHORT[c] for c in ran) + " | stack M4 |")
        w("|---:|---|---|---:|" + "---:|" * (len(ran) + 1))
        base = prof[ran[0]]["layers"]
        for i, (name, typ, macs, *_rest) in enumerate(base):
            stack = m4[i][4] if i < len(m4) and len(m4[i]) > 4 else None     # older results: no stack
            cells = []
            for c in ran:
                lay = prof[c]["layers"]
                instr = lay[i][3] if i < len(lay) else None
                cells.append("-" if instr is None else f"{instr:,.0f}" + (f" ({instr / macs:.2f})" if macs else ""))
            w(f"| {i} | {name} | {typ} | {macs:,} | " + " | ".join(cells) + f" | {'-' if stack is None else f'{stack:,}'} |")
        w("\n</details>\n")
