"""make bench: nnom against TensorFlow Lite Micro on seven models (bench/models.py).

For every model: train it in Keras (seconds, generated data, fixed seeds), convert it to a full-int8
.tflite with TensorFlow's converter and run it with TFLM (bench/tflm.py), import it into nnom with
nnom.from_keras, quantize it with training data, run the int8 simulator on the test set and the
generated C on emulated Cortex-M4 and Cortex-M7 cores (QEMU, exact instruction counts) and, layer by
layer, on the M0, M3, M4, M7, M33 and M55 (bench/core_profile.py), then write bench/results.md,
bench/results.json and bench/results.png.

    python bench/run.py                       # everything (what `make bench` runs)
    python bench/run.py --models har_seq,kws_dscnn --qemu-inputs 4 --epochs 1 --out out/bench

Exit status 1 when a model failed a stage (training, conversion, import, quantization, a Cortex-M
run) or its C was not bit-exact with the simulator; the results are written either way.

The TFLM + CMSIS-NN Cortex-M4 figures (instructions per inference, flash, arena) are the fixed
references measured for this project (the team's anchor measurements), copied in ANCHORS below.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import traceback
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import core_profile  # noqa: E402
import models as M  # noqa: E402
import tflm  # noqa: E402

# TFLite Micro + CMSIS-NN on the emulated Cortex-M4 (QEMU 7.2 mps2-an386, arm-none-eabi-gcc 12.2),
# int8 models from TensorFlow's converter: the team's anchor measurements, first table, copied here.
# arena: arena_used_bytes() on the M4 (ad_autoencoder reports 15,956 B but needs 20,512 B).
ANCHORS = {
    "har_seq":        dict(macs=116_480, instr=322_617, arena=5_092, lower_bound=2_176, flash=151_817, tflite=42_936),
    "har_inception":  dict(macs=247_552, instr=653_572, arena=6_148, lower_bound=2_176, flash=227_161, tflite=113_880),
    "digits_cnn":     dict(macs=56_320, instr=341_619, arena=5_220, lower_bound=3_072, flash=138_409, tflite=13_472),
    "kws_dscnn":      dict(macs=2_656_768, instr=7_701_070, arena=23_204, lower_bound=16_000, flash=177_049, tflite=52_000),
    "ic_resnet8":     dict(macs=12_501_632, instr=29_858_034, arena=55_380, lower_bound=49_152, flash=221_357, tflite=99_232),
    "vww_mobilenet":  dict(macs=7_489_664, instr=24_104_026, arena=101_028, lower_bound=55_296, flash=474_369, tflite=322_168),
    "ad_autoencoder": dict(macs=264_192, instr=596_231, arena=15_956, lower_bound=768, flash=372_097, tflite=318_616,
                           arena_needed=20_512),
}

# the goals checked per model (the brief of the benchmark; anchors.md's stricter RAM goal beside it)
GOAL_RAM = 0.8            # our whole RAM on the M4 <= 0.8 x TFLM's arena on the M4
GOAL_RAM_ANCHORS = 0.6    # anchors.md: <= 0.6 x
GOAL_ARENA_LB = 1.05      # our activation arena within 5 % of the planner's lower bound
GOAL_INSTR = 0.85         # instructions per inference on the M4 <= 0.85 x TFLM + CMSIS-NN's
GOAL_ACC_POINTS = 0.5     # int8 loss vs float <= TFLM's loss + 0.5 point (anchors.md)
CORES = ("cortex-m4", "cortex-m7")


def log(msg=""):
    print(msg, flush=True)


def get_from_keras():
    """nnom.from_keras, or nnom.frontends.keras.from_keras; None (with the reason) when missing."""
    try:
        from nnom import from_keras
        return from_keras, None
    except ImportError:
        pass
    try:
        from nnom.frontends.keras import from_keras
        return from_keras, None
    except ImportError as e:
        return None, f"nnom has no Keras importer: {e}"


def _err(e: BaseException) -> str:
    text = f"{type(e).__name__}: {e}".strip()
    return text if len(text) < 2000 else text[:2000] + " ..."


def bench_model(name: str, *, epochs=None, qemu_inputs=None, cores=CORES, eval_limit=None,
                calib=300, seed=0, save_dir: Path | None = None, profile_cores=core_profile.PROFILE_CORES,
                profile_inputs=2, reference_cores=core_profile.REFERENCE_CORES) -> dict:
    """Train, convert, import, quantize, simulate and run one model; returns its result row.
    Each stage's failure is recorded in row['errors'] and the stages that do not need it go on."""
    spec = M.MODELS[name]
    row = {"model": name, "errors": {}, "seconds": {}}
    t = time.time()
    kmodel, data, info = M.train(spec, seed=seed, epochs=epochs)
    row["seconds"]["train"] = round(time.time() - t, 1)
    n_eval = len(data.x_test) if eval_limit is None else min(eval_limit, len(data.x_test))
    x_eval, y_eval = data.x_test[:n_eval], data.y_test[:n_eval]
    y_float = np.asarray(info["float_out"])[:n_eval]
    row.update(task=data.task, params=int(kmodel.count_params()), n_train=len(data.x_train), n_test=n_eval,
               epochs=epochs or spec.epochs, float_score=M.score(data.task, x_eval, y_eval, y_float))
    if save_dir is not None:
        save_dir.mkdir(parents=True, exist_ok=True)
        kmodel.save(save_dir / f"{name}.keras")

    # ---- TFLM
    t = time.time()
    tfl = None
    n_q = qemu_inputs if qemu_inputs is not None else spec.qemu_inputs
    try:
        tfl = tflm.convert(kmodel, data.x_train, n_rep=calib, seed=seed)
        if save_dir is not None:
            (save_dir / f"{name}.tflite").write_bytes(tfl)
        r = tflm.measure(tfl, x_eval)
        row["tflm"] = dict(tflite_bytes=r.tflite_bytes, weight_bytes=r.weight_bytes, arena_total=r.arena_total,
                           arena_head=r.arena_head, arena_tail=r.arena_tail, arena_min=r.arena_min, ops=r.ops,
                           score=M.score(data.task, x_eval, y_eval, r.outputs),
                           agreement=M.agreement(data.task, x_eval, y_float, r.outputs),
                           tflite_agree=r.tflite_agree, tflite_max_diff=r.tflite_max_diff,
                           tflite_checked=r.tflite_checked, probe_crashes=r.probe_crashes,
                           rmse=_rmse(r.outputs.reshape(y_float.shape), y_float))
    except Exception as e:
        row["errors"]["tflm"] = _err(e)
        traceback.print_exc()
    row["seconds"]["tflm"] = round(time.time() - t, 1)

    # ---- the .tflite route: TFLM's own file imported with nnom.from_tflite, against TFLM byte for byte
    if tfl is not None and row.get("tflm"):
        t = time.time()
        try:
            row["tflite_route"] = tflite_route(tfl, x_eval, r.outputs_int8, n_q, cores)
        except Exception as e:
            row["errors"]["tflite import"] = _err(e)
            traceback.print_exc()
        row["seconds"]["tflite import"] = round(time.time() - t, 1)

    # ---- nnom: import, quantize, simulate
    from_keras, why = get_from_keras()
    if from_keras is None:
        row["errors"]["import"] = why
        return row
    t = time.time()
    try:
        model = from_keras(kmodel)
    except Exception as e:
        row["errors"]["import"] = _err(e)
        traceback.print_exc()
        return row
    try:
        mem = model.memory
        yf = np.asarray(model.predict(x_eval)).reshape(y_float.shape)
        row["nnom"] = dict(arena=int(mem["arena_bytes"]), lower_bound=int(mem["lower_bound_bytes"]),
                           instance_bytes=int(mem["instance_bytes"]), weight_bytes=int(mem["weight_bytes"]),
                           macs=int(mem["macs"]), layers=int(mem["layers"]),
                           input_bytes=int(model.inputs[0].out_shape.size),
                           output_bytes=int(model.outputs[0].out_shape.size),
                           float_max_diff=float(np.max(np.abs(yf - y_float))),
                           float_agreement=M.agreement(data.task, x_eval, y_float, yf))
        # the samples TFLite's converter calibrated on (tflm.convert), in its order
        cal = data.x_train[np.random.default_rng(seed).permutation(len(data.x_train))[:calib]]
        by_scheme = {}
        for scheme in _schemes_default_last():          # the model is left in the default scheme
            model.quantize(cal, verbose=False, scheme=scheme)
            yq = np.asarray(model.predict(x_eval, quantized=True)).reshape(y_float.shape)
            by_scheme[scheme] = dict(score=M.score(data.task, x_eval, y_eval, yq),
                                     agreement=M.agreement(data.task, x_eval, y_float, yq), rmse=_rmse(yq, y_float))
        row["nnom"]["schemes"] = by_scheme
        row["nnom"]["scheme"] = model.scheme
        row["nnom"].update({k: by_scheme[model.scheme][k] for k in ("score", "agreement", "rmse")})
    except Exception as e:
        row["errors"]["nnom"] = _err(e)
        traceback.print_exc()
        return row
    row["seconds"]["nnom"] = round(time.time() - t, 1)

    # ---- nnom: the generated C on the Cortex-M cores
    xq = model.quantize_input(data.x_test[:n_q])[0]
    sim = np.asarray(model.run(xq)).reshape(n_q, -1)
    for core in cores:
        t = time.time()
        try:
            from nnom.targets.cortex_m import run_model
            y, rep = run_model(model, xq, core=core)
            row[core] = dict(instr=rep.instructions_per_inference, instr_min=rep.instructions_min,
                             instr_max=rep.instructions_max, inferences=rep.inferences, flash=rep.flash_bytes,
                             ram=rep.ram_bytes, stack=rep.stack_bytes, heap=rep.heap_bytes,
                             static_buf=rep.static_buf_bytes, arena=rep.arena_bytes,
                             mismatches=int(np.sum(y.reshape(sim.shape) != sim)), compared=int(sim.size),
                             qemu_seconds=round(rep.seconds, 1))
            row[core]["bit_exact"] = row[core]["mismatches"] == 0
        except Exception as e:
            row["errors"][core] = _err(e)
            traceback.print_exc()
        row["seconds"][core] = round(time.time() - t, 1)

    # ---- per core and per layer (bracketed builds, a couple of inputs)
    if profile_cores and profile_inputs:
        t = time.time()
        k = min(profile_inputs, n_q)
        row["profile"] = core_profile.profile_model(model, xq[:k], sim[:k], profile_cores, log=log,
                                                    reference_cores=reference_cores)
        row["seconds"]["profile"] = round(time.time() - t, 1)

    # ---- the other schemes on the M4 (instructions, flash and RAM per scheme)
    if "cortex-m4" in cores:
        per = row.setdefault("m4_by_scheme", {})
        if row.get("cortex-m4"):
            per[model.scheme] = {k: row["cortex-m4"][k] for k in ("instr", "flash", "ram", "mismatches")}
            # the same scheme on the portable reference loops: the firmware without the fast kernels
            _m4_variant(row, model, data.x_test[:min(2, n_q)], "reference_kernels", "reference kernels",
                        cflags=("-DNNOM_REFERENCE_KERNELS",))
            # the export's small kernel profile (one compact path per kernel, -Os)
            _m4_variant(row, model, data.x_test[:n_q], "small_kernels", "small kernels", kernels="small")
        for scheme in _schemes_default_last()[:-1]:
            t = time.time()
            try:
                from nnom.targets.cortex_m import run_model
                model.quantize(cal, verbose=False, scheme=scheme)
                xs = model.quantize_input(data.x_test[:n_q])[0]
                y, rep = run_model(model, xs, core="cortex-m4")
                ref = np.asarray(model.run(xs)).reshape(n_q, -1)
                per[scheme] = dict(instr=rep.instructions_per_inference, flash=rep.flash_bytes, ram=rep.ram_bytes,
                                   mismatches=int(np.sum(y.reshape(ref.shape) != ref)))
            except Exception as e:
                row["errors"][f"cortex-m4 {scheme}"] = _err(e)
                traceback.print_exc()
            row["seconds"][f"cortex-m4 {scheme}"] = round(time.time() - t, 1)
    return row


def _m4_variant(row, model, x, key, label, **build):
    """Another Cortex-M4 build of the model in its scheme (run_model's keywords `build`): its
    instructions, flash, RAM and bytes differing from the simulator in row["m4_by_scheme"]."""
    t = time.time()
    try:
        from nnom.targets.cortex_m import run_model
        xs = model.quantize_input(x)[0]
        y, rep = run_model(model, xs, core="cortex-m4", **build)
        ref = np.asarray(model.run(xs)).reshape(len(xs), -1)
        row["m4_by_scheme"][model.scheme][key] = dict(
            instr=rep.instructions_per_inference, flash=rep.flash_bytes, ram=rep.ram_bytes,
            mismatches=int(np.sum(y.reshape(ref.shape) != ref)))
    except Exception as e:
        row["errors"][f"cortex-m4 {model.scheme} {label}"] = _err(e)
        traceback.print_exc()
    row["seconds"][f"cortex-m4 {model.scheme} {label}"] = round(time.time() - t, 1)


def tflite_route(tfl: bytes, x_eval, tflm_int8, n_q: int, cores) -> dict:
    """nnom.from_tflite on the converter's file: int8 outputs against TFLM's on the whole test set
    (the same int8 inputs), the memory plan, and the C on the M4 against TFLM's anchors."""
    from nnom import from_tflite
    imp = from_tflite(tfl)
    din = tflm.interpreter(tfl).get_input_details(0)
    xq = tflm.quantize(np.asarray(x_eval).reshape((len(x_eval),) + tuple(din["shape"][1:])), din)
    y = np.asarray(imp.run(xq.reshape((len(xq),) + tuple(imp.inputs[0].out_shape)))).reshape(len(xq), -1)
    ref = np.asarray(tflm_int8).reshape(y.shape)
    out = dict(bytes_differing=int(np.sum(y != ref)), compared=int(ref.size), arena=int(imp.memory["arena_bytes"]),
               weight_bytes=int(imp.memory["weight_bytes"]))
    out["bit_exact"] = out["bytes_differing"] == 0
    if "cortex-m4" in cores:
        from nnom.targets.cortex_m import run_model
        x4 = xq[:n_q].reshape((n_q,) + tuple(imp.inputs[0].out_shape))
        y4, rep = run_model(imp, x4, core="cortex-m4")
        out.update(m4_instr=rep.instructions_per_inference, m4_flash=rep.flash_bytes, m4_ram=rep.ram_bytes,
                   m4_bytes_differing=int(np.sum(np.asarray(y4).reshape(n_q, -1) != ref[:n_q])))
    return out


def _schemes_default_last():
    from nnom.quant.schemes import DEFAULT_SCHEME, SCHEMES
    return [s for s in SCHEMES if s != DEFAULT_SCHEME] + [DEFAULT_SCHEME]


def _rmse(y, ref) -> float:
    return float(np.sqrt(np.mean((np.asarray(y, np.float64) - np.asarray(ref, np.float64)) ** 2)))


# --------------------------------------------------------------------------------- report
def _b(n):
    return "-" if n is None else f"{int(round(n)):,}"


def _r(a, b):
    return None if a is None or not b else a / b


def _x(ratio):
    return "-" if ratio is None else f"{ratio:.2f}x"


def _p(v):
    return "-" if v is None else f"{v:.1f}"


def _g(ok):
    return "-" if ok is None else ("pass" if ok else "**FAIL**")


def derive(row: dict) -> dict:
    """Ratios and goal verdicts of one row."""
    a = ANCHORS.get(row["model"], {})
    n, t = row.get("nnom"), row.get("tflm")
    m4, m7 = row.get("cortex-m4"), row.get("cortex-m7")
    d = {}
    d["ram_vs_tflm_m4"] = _r(m4 and m4["ram"], a.get("arena"))
    d["ram_vs_tflm_host"] = _r(m4 and m4["ram"], t and t["arena_min"])
    if m4:
        d["other_ram"] = m4["ram"] - m4["static_buf"] - m4["stack"] - m4["heap"]
    if m4 and n and "input_bytes" in n:
        d["ram_wo_input_vs_tflm_m4"] = _r(m4["ram"] - n["input_bytes"], a.get("arena"))
    d["arena_vs_lb"] = _r(n and n["arena"], n and n["lower_bound"])
    d["arena_vs_tflm_head"] = _r(n and n["arena"], t and t["arena_head"])
    d["instr_vs_anchor"] = _r(m4 and m4["instr"], a.get("instr"))
    d["flash_vs_anchor"] = _r(m4 and m4["flash"], a.get("flash"))
    d["weights_vs_tflite"] = _r(n and n["weight_bytes"], t and t["tflite_bytes"])
    if m4 and n:
        d["flash_beyond_weights"] = m4["flash"] - n["weight_bytes"]
    if t and a.get("flash"):
        d["tflm_flash_beyond_weights"] = a["flash"] - t["weight_bytes"]   # anchor flash - this run's weights
    d["beyond_weights_ratio"] = _r(d.get("flash_beyond_weights"), d.get("tflm_flash_beyond_weights"))
    if n and t and "score" in n:
        d["nnom_loss"] = row["float_score"] - n["score"]
        d["tflm_loss"] = row["float_score"] - t["score"]
    d["rmse_vs_tflm"] = _r(n and n.get("rmse"), t and t.get("rmse"))
    per = row.get("m4_by_scheme") or {}
    d["affine_vs_qformat_instr"] = _r((per.get("affine") or {}).get("instr"), (per.get("qformat") or {}).get("instr"))
    goals = {}
    goals["rmse"] = None if d["rmse_vs_tflm"] is None else d["rmse_vs_tflm"] <= 1.0
    goals["ram"] = None if d["ram_vs_tflm_m4"] is None else d["ram_vs_tflm_m4"] <= GOAL_RAM
    goals["ram_anchors"] = None if d["ram_vs_tflm_m4"] is None else d["ram_vs_tflm_m4"] <= GOAL_RAM_ANCHORS
    goals["arena"] = None if d["arena_vs_lb"] is None else d["arena_vs_lb"] <= GOAL_ARENA_LB
    goals["instr"] = None if d["instr_vs_anchor"] is None else d["instr_vs_anchor"] <= GOAL_INSTR
    goals["accuracy"] = (None if "nnom_loss" not in d
                         else d["nnom_loss"] <= d["tflm_loss"] + GOAL_ACC_POINTS)
    exact = [row[c]["bit_exact"] for c in CORES if row.get(c)]
    goals["bit_exact"] = None if not exact else (all(exact) and not any(c in row["errors"] for c in CORES))
    goals["runs"] = not row["errors"]
    d["goals"] = goals
    return d


def write_markdown(rows: list[dict], path: Path, meta: dict):
    L = []
    w = L.append
    w("# nnom vs TensorFlow Lite Micro\n")
    w(f"Generated by `bench/run.py` on {meta['date']} ({meta['host']}; {meta['versions']}); "
      f"the whole run took {meta['seconds'] / 60:.1f} min. Every figure in these tables is measured in this run, "
      "except the columns marked *anchor*: those are the TFLite Micro + CMSIS-NN figures measured on the "
      "emulated Cortex-M4 for this project (copied in `ANCHORS` of `bench/run.py`: QEMU 7.2 mps2-an386, "
      "arm-none-eabi-gcc 12.2, the same seven architectures, MAC for MAC) and are fixed references.\n")
    w("How the models are made: `bench/models.py` builds each in Keras 3 (MLPerf Tiny reference "
      "architectures for the last four), trains it for a few epochs on generated, learnable data (digits: "
      "scikit-learn's), with fixed seeds. TFLM: TensorFlow's converter, full int8 (representative dataset: 300 "
      "training samples, batch-1 signature), run with the `tflite-micro` Python package on the host "
      "(`bench/tflm.py`). nnom: `nnom.from_keras`, `quantize()` on the same 300 training samples (each "
      "scheme's default method: mse for affine, max for qformat; per-channel weights), the int8 simulator on the test set, and the generated C built with "
      "arm-none-eabi-gcc -O2 and run in QEMU on a few test inputs (`nnom.targets.cortex_m.run_model`).\n")

    errs = [(r["model"], k, v) for r in rows for k, v in r["errors"].items()]
    if errs:
        w("## Problems in this run\n")
        for model, stage, text in errs:
            first = text.strip().splitlines()
            w(f"- **{model}**, {stage}: `{first[0] if first else text}`"
              + (f" (+{len(first) - 1} more lines in results.json)" if len(first) > 1 else ""))
        w("")

    # goals
    w("## Goals, per model\n")
    w(f"| model | every stage ran | RAM <= {GOAL_RAM}x TFLM arena (M4) | (anchors.md: <= {GOAL_RAM_ANCHORS}x) | arena <= "
      f"{GOAL_ARENA_LB:.2f}x lower bound | instructions <= {GOAL_INSTR}x TFLM+CMSIS-NN (M4) | int8 loss <= "
      f"TFLM's + {GOAL_ACC_POINTS} pt | int8 RMSE vs float <= TFLM's | bit-exact sim = M4 = M7 |")
    w("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        d = r["derived"]
        g = d["goals"]
        loss = ("-" if "nnom_loss" not in d else f"{d['nnom_loss']:+.2f} vs {d['tflm_loss']:+.2f}")
        ran = "pass" if g["runs"] else "**FAIL**: " + ", ".join(r["errors"])
        w(f"| {r['model']} | {ran} | {_g(g['ram'])} ({_x(d['ram_vs_tflm_m4'])}) | {_g(g['ram_anchors'])} | "
          f"{_g(g['arena'])} ({_x(d['arena_vs_lb'])}) | {_g(g['instr'])} ({_x(d['instr_vs_anchor'])}) | "
          f"{_g(g['accuracy'])} ({loss}) | {_g(g['rmse'])} ({_x(d['rmse_vs_tflm'])}) | {_g(g['bit_exact'])} |")
    w("")
    w("RAM is nnom's whole RAM on the Cortex-M4 (data + bss + measured stack peak + heap: the static buffer "
      "with the activation arena and the layer instances, the input and output buffers, the startup's data) "
      "against TFLM's tensor arena alone on the M4 (*anchor*; it excludes TFLM's stack and its interpreter "
      "objects). The arena goal compares nnom's activation arena with the lower bound nnom's own planner "
      "reports (the largest set of buffers alive at once, scratch included). Losses are in points of "
      "accuracy (AUC for the autoencoder): float minus int8.\n")

    # memory
    w("## RAM\n")
    w("| model | nnom arena | nnom lower bound | nnom instances | static buffer | stack M4 | other data+bss | "
      "nnom RAM M4 | nnom RAM M7 | "
      "TFLM head (host) | TFLM arena used (host) | TFLM arena needed (host) | TFLM arena M4 *anchor* | "
      "RAM M4 / TFLM arena M4 | static buffer / TFLM arena M4 | RAM M4 / TFLM needed (host) | arena / TFLM head |")
    w("|---|" + "---:|" * 16)
    for r in rows:
        n, t, m4, m7, d = r.get("nnom") or {}, r.get("tflm") or {}, r.get("cortex-m4") or {}, r.get("cortex-m7") or {}, r["derived"]
        a = ANCHORS.get(r["model"], {})
        anchor_arena = _b(a.get("arena")) + (f" (needs {_b(a['arena_needed'])})" if a.get("arena_needed") else "")
        w(f"| {r['model']} | {_b(n.get('arena'))} | {_b(n.get('lower_bound'))} | {_b(n.get('instance_bytes'))} | "
          f"{_b(m4.get('static_buf'))} | {_b(m4.get('stack'))} | {_b(d.get('other_ram'))} | "
          f"{_b(m4.get('ram'))} | {_b(m7.get('ram'))} | {_b(t.get('arena_head'))} | "
          f"{_b(t.get('arena_total'))} | {_b(t.get('arena_min'))} | {anchor_arena} | "
          f"{_x(d['ram_vs_tflm_m4'])} | {_x(_r(m4.get('static_buf'), a.get('arena')))} | "
          f"{_x(d['ram_vs_tflm_host'])} | "
          f"{_x(d['arena_vs_tflm_head'])} |")
    w("")
    w("Bytes. nnom arena / lower bound / instances: `model.memory` (arena_bytes, lower_bound_bytes, "
      "instance_bytes). Static buffer: the firmware's NNOM_STATIC_MEMORY buffer (instances + arena), stack: the "
      "measured stack peak, other data+bss: the rest of the firmware's RAM (start-up and C library data; the "
      "model's input and output live in the arena). 'static buffer / TFLM arena M4' compares like with like: "
      "nnom's activations plus every runtime structure against TFLM's arena, both without the stack. "
      "nnom RAM: `run_model(...).ram_bytes` on each core (all of the above). TFLM head / used: its "
      "RecordingMicroAllocator after one inference on the 64-bit host (`print_allocations()`: head = "
      "activation plan, used = head + tail); TFLM needed: the smallest `arena_size` with which the host "
      "interpreter allocates and runs (bisection to 16 B). Host figures hold 64-bit pointers, so they are "
      "larger than TFLM's on the 32-bit M4 (*anchor* column).\n")

    # speed
    w("## Instructions per inference\n")
    w("| model | MACs | nnom M4 | per MAC | nnom M7 | per MAC | TFLM+CMSIS-NN M4 *anchor* | per MAC | "
      "nnom M4 / anchor | inputs run |")
    w("|---|" + "---:|" * 9)
    for r in rows:
        n, m4, m7, d = r.get("nnom") or {}, r.get("cortex-m4") or {}, r.get("cortex-m7") or {}, r["derived"]
        a = ANCHORS.get(r["model"], {})
        macs = n.get("macs") or a.get("macs")
        per = lambda v: "-" if not v or not macs else f"{v / macs:.2f}"  # noqa: E731
        w(f"| {r['model']} | {_b(macs)} | {_b(m4.get('instr'))} | {per(m4.get('instr'))} | {_b(m7.get('instr'))} | "
          f"{per(m7.get('instr'))} | {_b(a.get('instr'))} | {per(a.get('instr'))} | {_x(d['instr_vs_anchor'])} | "
          f"{m4.get('inferences', '-')} |")
    w("")
    diff = [r["model"] for r in rows if (r.get("nnom") or {}).get("macs") not in (None, ANCHORS.get(r["model"], {}).get("macs"))]
    w("Mean instructions of `model_run()` over the inputs run, counted exactly by the QEMU plugin "
      "(`CortexMReport.instructions_per_inference`); QEMU models no timing, so these are instructions, "
      "not cycles. MACs: `model.memory['macs']`; "
      + (f"they differ from the anchors' on {', '.join(diff)}." if diff else
         "they equal the anchors' MACs on every model, so the architectures are the same.") + "\n")

    # flash
    w("## Flash\n")
    w("| model | nnom weights | .tflite (this run) | .tflite weights | nnom flash M4 | TFLM+CMSIS-NN flash M4 "
      "*anchor* | nnom / anchor | nnom flash beyond weights | TFLM beyond weights | ratio |")
    w("|---|" + "---:|" * 9)
    for r in rows:
        n, t, m4, d = r.get("nnom") or {}, r.get("tflm") or {}, r.get("cortex-m4") or {}, r["derived"]
        a = ANCHORS.get(r["model"], {})
        w(f"| {r['model']} | {_b(n.get('weight_bytes'))} | {_b(t.get('tflite_bytes'))} | {_b(t.get('weight_bytes'))} | "
          f"{_b(m4.get('flash'))} | {_b(a.get('flash'))} | {_x(d['flash_vs_anchor'])} | "
          f"{_b(d.get('flash_beyond_weights'))} | {_b(d.get('tflm_flash_beyond_weights'))} | "
          f"{_x(d['beyond_weights_ratio'])} |")
    w("")
    w("Bytes. nnom weights: `model.memory['weight_bytes']` (int8 weights, int32 biases, shifts, tables). "
      ".tflite weights: the flatbuffer's constant buffers. nnom flash: the whole M4 firmware (text + data: "
      "weights, runtime, startup, newlib). TFLM beyond weights = the anchor's firmware flash minus this "
      "run's .tflite constant buffers (an estimate: the anchor's flatbuffer came from its own conversion).\n")

    # accuracy
    w("## Accuracy\n")
    w("| model | metric | test samples | float (Keras) | nnom int8 | TFLM int8 | nnom agreement | TFLM agreement | "
      "nnom float = Keras (max abs diff) | TFLM = TFLite interpreter |")
    w("|---|---|" + "---:|" * 7 + "---|")
    for r in rows:
        n, t = r.get("nnom") or {}, r.get("tflm") or {}
        metric = "ROC AUC x100" if r["task"] == "anomaly" else "top-1 %"
        agree_kind = "" if r["task"] != "anomaly" else " (score corr.)"
        fdiff = "-" if "float_max_diff" not in n else f"{n['float_max_diff']:.1e}"
        cross = "-"
        if t.get("tflite_agree") is not None:
            cross = (f"{100 * t['tflite_agree']:.1f}% of bytes equal, max {t['tflite_max_diff']} LSB "
                     f"({t['tflite_checked']} inputs)")
        w(f"| {r['model']} | {metric} | {r['n_test']:,} | {_p(r['float_score'])} | {_p(n.get('score'))} | "
          f"{_p(t.get('score'))} | {_p(n.get('agreement'))}{agree_kind} | {_p(t.get('agreement'))} | "
          f"{fdiff} | {cross} |")
    w("")
    w("Scores on the whole generated test set: top-1 accuracy, or for the autoencoder the ROC AUC of the "
      "reconstruction error (normal vs anomalous) x 100. Agreement with the float Keras model: top-1 "
      "agreement, or for the autoencoder the correlation of the per-sample anomaly scores x 100. nnom int8 = "
      "the simulator, which equals the C on the cores (bit-exact column above); TFLM int8 = TFLM on the host, "
      "which anchors.md found equal to TFLM on the M4 byte for byte. The last column cross-checks TFLM against "
      "TensorFlow Lite's own interpreter (reference kernels) on the first inputs.\n")

    # the two quantization schemes
    w("## Quantization schemes: error against the float model\n")
    w("| model | TFLM RMSE | affine RMSE | qformat RMSE | affine / TFLM | qformat / TFLM | float score | TFLM | "
      "affine | qformat | TFLM agreement | affine agreement | qformat agreement |")
    w("|---|" + "---:|" * 12)
    for r in rows:
        n, t = r.get("nnom") or {}, r.get("tflm") or {}
        sc = n.get("schemes") or {}
        a_, q_ = sc.get("affine") or {}, sc.get("qformat") or {}
        g = lambda v: "-" if v is None else f"{v:.4g}"  # noqa: E731
        w(f"| {r['model']} | {g(t.get('rmse'))} | {g(a_.get('rmse'))} | {g(q_.get('rmse'))} | "
          f"{_x(_r(a_.get('rmse'), t.get('rmse')))} | {_x(_r(q_.get('rmse'), t.get('rmse')))} | "
          f"{_p(r.get('float_score'))} | {_p(t.get('score'))} | {_p(a_.get('score'))} | {_p(q_.get('score'))} | "
          f"{_p(t.get('agreement'))} | {_p(a_.get('agreement'))} | {_p(q_.get('agreement'))} |")
    w("")
    w("RMSE of the int8 model's dequantized outputs against the float Keras model's on the whole test set; "
      "scores and top-1 agreement with the float model as in the accuracy table. nnom quantizes on the same "
      "calibration samples as TFLite's converter, with each scheme's default method (`quantize(scheme=...)`: mse for affine, max for qformat): affine is TFLite's "
      "arithmetic (scale and zero point per tensor, per-channel weights), qformat the seed's power-of-two "
      "formats.\n")
    w("## Cortex-M4 per scheme\n")
    w("| model | qformat instructions | affine instructions | affine / qformat | qformat flash | affine flash | "
      "qformat RAM | affine RAM | bytes differing from the simulator (q / a) | affine small profile: "
      "instructions, flash, RAM | small / qformat: instructions, flash, RAM | affine on the reference kernels: "
      "instructions, flash |")
    w("|---|" + "---:|" * 11)
    for r in rows:
        per = r.get("m4_by_scheme") or {}
        a_, q_ = per.get("affine") or {}, per.get("qformat") or {}
        ar, sm = a_.get("reference_kernels") or {}, a_.get("small_kernels") or {}
        small_bad = "" if sm.get("mismatches", 0) == 0 else f" ({sm['mismatches']} bytes differ)"
        w(f"| {r['model']} | {_b(q_.get('instr'))} | {_b(a_.get('instr'))} | {_x(r['derived'].get('affine_vs_qformat_instr'))} | "
          f"{_b(q_.get('flash'))} | {_b(a_.get('flash'))} | {_b(q_.get('ram'))} | {_b(a_.get('ram'))} | "
          f"{q_.get('mismatches', '-')} / {a_.get('mismatches', '-')} | {_b(sm.get('instr'))}, {_b(sm.get('flash'))}, "
          f"{_b(sm.get('ram'))}{small_bad} | {_x(_r(sm.get('instr'), q_.get('instr')))}, "
          f"{_x(_r(sm.get('flash'), q_.get('flash')))}, {_x(_r(sm.get('ram'), q_.get('ram')))} | "
          f"{_b(ar.get('instr'))}, {_b(ar.get('flash'))} |")
    w("")
    w("Both schemes' default builds (-O2, the fast kernels the export's layers reach). Small profile: the affine "
      "export with `kernels=\"small\"` (`nnom convert --kernels small`: one compact path per kernel, no "
      "reference linked, built with -Os), bit-exact too. Last column: the affine "
      "firmware built with `-DNNOM_REFERENCE_KERNELS` (the portable loops alone, bit-exact too, several times "
      "slower): its difference to the affine flash is what the fast kernels take; what it still has above "
      "qformat's flash is the affine scheme's per-channel int32 multipliers and biases.\n")
    w("## The .tflite route: TFLM's own file through `nnom.from_tflite`\n")
    w("| model | bit-exact with TFLM | bytes differing | nnom arena | TFLM arena needed (host) | TFLM arena M4 *anchor* | "
      "nnom M4 instructions | TFLM+CMSIS-NN M4 *anchor* | nnom M4 flash | TFLM flash M4 *anchor* | M4 bytes differing |")
    w("|---|---|" + "---:|" * 9)
    for r in rows:
        tr, t, a = r.get("tflite_route") or {}, r.get("tflm") or {}, ANCHORS.get(r["model"], {})
        ok = "-" if "bit_exact" not in tr else ("yes" if tr["bit_exact"] else "**no**")
        diff = "-" if "bytes_differing" not in tr else f"{tr['bytes_differing']:,} of {tr['compared']:,}"
        w(f"| {r['model']} | {ok} | {diff} | {_b(tr.get('arena'))} | {_b(t.get('arena_min'))} | {_b(a.get('arena'))} | "
          f"{_b(tr.get('m4_instr'))} | {_b(a.get('instr'))} | {_b(tr.get('m4_flash'))} | {_b(a.get('flash'))} | "
          f"{tr.get('m4_bytes_differing', '-')} |")
    w("")
    w("The converter's full-int8 .tflite (the one TFLM runs above) imported with `nnom.from_tflite`: every "
      "scale, zero point and weight kept; its int8 outputs on the whole test set against TFLM's for the same "
      "int8 inputs, and the generated C on the emulated Cortex-M4 on the first inputs.\n")

    # bit-exactness and runtime
    w("## Bit-exactness and run time\n")
    w("| model | M4: int8 bytes differing from the simulator | M7 | train s | TFLM s | nnom import+quantize+sim s | "
      "M4 s | M7 s | Keras params | TFLM ops |")
    w("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in rows:
        m4, m7, s, t = r.get("cortex-m4") or {}, r.get("cortex-m7") or {}, r["seconds"], r.get("tflm") or {}
        mis = lambda c: "-" if not c else f"{c['mismatches']} of {c['compared']:,}"  # noqa: E731
        ops = ", ".join(f"{op} x{t['ops'].count(op)}" if t["ops"].count(op) > 1 else op
                        for op in dict.fromkeys(t.get("ops", [])))
        w(f"| {r['model']} | {mis(m4)} | {mis(m7)} | {s.get('train', '-')} | {s.get('tflm', '-')} | "
          f"{s.get('nnom', '-')} | {s.get('cortex-m4', '-')} | {s.get('cortex-m7', '-')} | {r['params']:,} | {ops or '-'} |")
    w("")
    crashes = [(r["model"], (r.get("tflm") or {}).get("probe_crashes")) for r in rows]
    crashes = [(m, c) for m, c in crashes if c]
    if crashes:
        w("TFLM's host interpreter crashed (SIGSEGV) instead of reporting a too-small arena at these sizes "
          "during the arena bisection (the probe runs in a child process, so the benchmark goes on): "
          + "; ".join(f"{m}: {', '.join(str(s) for s, _ in c)} B" for m, c in crashes) + ".\n")
    w("Files: `results.json` holds every figure above and the full error texts; `results.png` draws RAM, flash "
      "and instructions per model.")
    core_profile.write_markdown(rows, w)
    path.write_text("\n".join(L) + "\n")


def write_chart(rows: list[dict], path: Path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    names = [r["model"] for r in rows]
    x = np.arange(len(names))
    get = lambda r, k, f: ((r.get(k) or {}).get(f) or 0)  # noqa: E731
    fig, axes = plt.subplots(3, 1, figsize=(14, 12))
    series = [
        ("RAM (bytes)", [("nnom RAM on M4 (whole firmware)", [get(r, "cortex-m4", "ram") for r in rows], "#1f77b4"),
                         ("nnom activation arena", [get(r, "nnom", "arena") for r in rows], "#aec7e8"),
                         ("TFLM arena on M4 (anchor)", [ANCHORS.get(r["model"], {}).get("arena", 0) for r in rows], "#d62728"),
                         ("TFLM arena needed, host (this run)", [get(r, "tflm", "arena_min") for r in rows], "#ff9896")]),
        ("Flash (bytes)", [("nnom firmware on M4", [get(r, "cortex-m4", "flash") for r in rows], "#1f77b4"),
                           ("nnom weights", [get(r, "nnom", "weight_bytes") for r in rows], "#aec7e8"),
                           ("TFLM+CMSIS-NN firmware on M4 (anchor)", [ANCHORS.get(r["model"], {}).get("flash", 0) for r in rows], "#d62728"),
                           (".tflite flatbuffer (this run)", [get(r, "tflm", "tflite_bytes") for r in rows], "#ff9896")]),
        ("Instructions per inference, Cortex-M4", [
            ("nnom (this run)", [get(r, "cortex-m4", "instr") for r in rows], "#1f77b4"),
            ("TFLM+CMSIS-NN (anchor)", [ANCHORS.get(r["model"], {}).get("instr", 0) for r in rows], "#d62728")]),
    ]
    for ax, (title, ss) in zip(axes, series):
        wdt = 0.8 / len(ss)
        for i, (label, vals, color) in enumerate(ss):
            vals = np.asarray(vals, float)
            bars = ax.bar(x + (i - (len(ss) - 1) / 2) * wdt, np.where(vals > 0, vals, np.nan), wdt, label=label, color=color)
            for b, v in zip(bars, vals):
                if v > 0:
                    ax.annotate(f"{v / 1e6:.1f}M" if v >= 1e6 else f"{v / 1000:.0f}k" if v >= 10_000 else f"{v / 1000:.1f}k",
                                (b.get_x() + b.get_width() / 2, v), ha="center", va="bottom", fontsize=6)
        ax.set_yscale("log")
        ax.set_xticks(x, names)
        ax.set_title(title + " (log scale)")
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
        ax.grid(axis="y", alpha=0.3)
    fig.suptitle("nnom vs TensorFlow Lite Micro: RAM, flash and instructions per model")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def versions() -> str:
    out = []
    for mod in ("tensorflow", "keras", "tflite_micro", "numpy"):
        try:
            m = __import__(mod)
            out.append(f"{mod} {getattr(m, '__version__', '?')}")
        except Exception:
            pass
    try:
        from importlib.metadata import version
        out = [o if not o.startswith("tflite_micro") else f"tflite-micro {version('tflite-micro')}" for o in out]
    except Exception:
        pass
    try:
        from nnom.targets.cortex_m import qemu_version
        out.append("QEMU " + ".".join(map(str, qemu_version())))
    except Exception:
        pass
    return ", ".join(out)


def main(argv=None):
    global CORES
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default=",".join(M.MODELS), help="comma-separated names (default: all seven)")
    ap.add_argument("--epochs", type=int, default=None, help="training epochs for every model (default: each model's own)")
    ap.add_argument("--qemu-inputs", type=int, default=None, help="inputs run on each core (default: each model's own, 10-16)")
    ap.add_argument("--eval-limit", type=int, default=None, help="test samples for accuracy (default: all)")
    ap.add_argument("--cores", default="cortex-m4,cortex-m7")
    ap.add_argument("--profile-cores", default=",".join(core_profile.PROFILE_CORES),
                    help="cores of the per-core and per-layer tables ('' for none)")
    ap.add_argument("--profile-inputs", type=int, default=2, help="inputs run per core for those tables")
    ap.add_argument("--reference-cores", default=",".join(core_profile.REFERENCE_CORES),
                    help="profile cores also run with the reference kernels (the no-DSP kernels' speed-up)")
    ap.add_argument("--out", default=str(HERE), help="where results.md/.json/.png go (default: bench/)")
    ap.add_argument("--save-models", default=None, help="directory to keep the .keras and .tflite files in")
    args = ap.parse_args(argv)

    names = [n.strip() for n in args.models.split(",") if n.strip()]
    unknown = [n for n in names if n not in M.MODELS]
    if unknown:
        ap.error(f"unknown model(s) {unknown}; choose from {', '.join(M.MODELS)}")
    CORES = tuple(c.strip() for c in args.cores.split(",") if c.strip())
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    try:
        import tensorflow as tf
        tf.get_logger().setLevel("ERROR")
        tf.config.experimental.enable_op_determinism()
    except Exception:
        pass

    t0 = time.time()
    rows = []
    for name in names:
        log(f"=== {name}")
        t = time.time()
        try:
            row = bench_model(name, epochs=args.epochs, qemu_inputs=args.qemu_inputs, cores=CORES,
                              eval_limit=args.eval_limit,
                              profile_cores=tuple(c.strip() for c in args.profile_cores.split(",") if c.strip()),
                              profile_inputs=args.profile_inputs,
                              reference_cores=tuple(c.strip() for c in args.reference_cores.split(",") if c.strip()),
                              save_dir=Path(args.save_models) if args.save_models else None)
        except Exception as e:                              # training itself failed
            traceback.print_exc()
            row = {"model": name, "errors": {"train": _err(e)}, "seconds": {}, "task": "?", "params": 0,
                   "n_test": 0, "float_score": None}
        row["derived"] = derive(row)
        rows.append(row)
        n, m4, t_ = row.get("nnom") or {}, row.get("cortex-m4") or {}, row.get("tflm") or {}
        log(f"    {time.time() - t:.0f} s; float {_p(row.get('float_score'))}  nnom int8 {_p(n.get('score'))}  "
            f"TFLM {_p(t_.get('score'))};  nnom arena {_b(n.get('arena'))} (lower bound {_b(n.get('lower_bound'))}), "
            f"RAM M4 {_b(m4.get('ram'))}, flash M4 {_b(m4.get('flash'))}, instr M4 {_b(m4.get('instr'))};  "
            f"TFLM arena needed {_b(t_.get('arena_min'))}, .tflite {_b(t_.get('tflite_bytes'))}"
            + (f";  ERRORS: {', '.join(row['errors'])}" if row["errors"] else ""))
    meta = {"date": time.strftime("%Y-%m-%d %H:%M"), "host": f"{platform.machine()}, {os.cpu_count()} CPUs",
            "versions": versions(), "seconds": time.time() - t0}
    (out / "results.json").write_text(json.dumps({"meta": meta, "anchors": ANCHORS, "rows": rows}, indent=1, default=float))
    write_markdown(rows, out / "results.md", meta)
    try:
        write_chart(rows, out / "results.png")
    except Exception as e:
        log(f"chart not written: {_err(e)}")
    log(f"\nwrote {out / 'results.md'}, results.json, results.png in {(time.time() - t0) / 60:.1f} min")
    failed = [r["model"] for r in rows if r["errors"]]
    inexact = [r["model"] for r in rows if any((r.get(c) or {}).get("bit_exact") is False for c in CORES)]
    if failed:
        log(f"errors in: {', '.join(failed)} (see results.md)")
    if inexact:
        log(f"NOT bit-exact with the simulator: {', '.join(inexact)}")
    return 1 if failed or inexact else 0     # the goals' verdicts are in results.md, not the exit status


if __name__ == "__main__":
    sys.exit(main())
