"""`posecheck validate --perturb`: how many verdicts hang on the exact thresholds.

After the normal run, every clip's checkers are replayed over the same landmark
recordings (the model never runs again) twice more: once with every fault threshold
moved 10% toward the good value ("-10%") and once 10% away from it ("+10%"). Each
clip-level verdict (a fault code reported or not, per clip and checker, as the scoring
counts it) is compared with the normal run's. A fault whose verdicts flip under a 10%
nudge rests on a threshold the data does not pin down, and that shows without any
held-out data.

The rule (`perturb_fault`): a threshold says how far from the good value a reading may
go before it is a fault, so -10% and +10% scale that distance by 0.9 and 1.1, for
`enter` and `exit` alike (the hysteresis band stays on its side and scales with it).
The good value is the fault's reference when it has one (a profile value or the
person's resting baseline): the spec's thresholds are already offsets from it, so the
offsets are scaled (the uncalibrated offset too). An absolute threshold is measured from
the fault's `neutral` when its spec declares one, else from its metric's neutral reading
(`NEUTRAL`: 180 deg for a straight shoulder-hip-knee line, 90 deg for a horizontal limb,
0 deg for a trunk parallel to the shins). Either way the fault's size, the distance
from good form at which it is called, becomes 90% and 110% of itself. So -10% is stricter for every fault (more
faults reported) and +10% more lenient. An absolute threshold on a metric with no
declared neutral is left as it is and listed as not perturbed: scaling the raw number
(160 deg by 10% is 16 deg) would measure the metric's zero point, not the threshold.
Rep and hold thresholds are not moved: only the fault checks are under test.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..engine.spec import ExerciseSpec, FaultSpec
from .runner import ClipJob, ClipOutcome, load_saved, recording_path

FACTORS = {"-10%": 0.9, "+10%": 1.1}

# The good reading of each metric an absolute fault threshold is set on (engine/metrics/).
NEUTRAL = {
    "hip_extension_deg": 180.0,  # shoulder, hip and knee in a straight line
    "leg_lift_deg": 90.0,  # thigh horizontal
    "arm_lift_deg": 90.0,  # arm horizontal
    "trunk_shin_gap_deg": 0.0,  # trunk parallel to the shins
}

RULE = ("every fault's enter/exit distance from the good value (its reference, or for an absolute "
        "threshold the neutral reading) x0.9 (-10%, stricter) and x1.1 (+10%, more lenient)")


def perturb_fault(fault: FaultSpec, factor: float) -> FaultSpec | None:
    """The fault with its thresholds' distance from the good value scaled by `factor`;
    None for an absolute threshold on a metric without a declared neutral."""
    # 0 for offsets from a reference, the spec's neutral, else the metric's usual good reading
    origin = fault.good_value if fault.good_value is not None else NEUTRAL.get(fault.metric)
    if origin is None:
        return None

    def moved(value: float | None) -> float | None:
        return None if value is None else origin + (value - origin) * factor

    return fault.model_copy(update={"enter": moved(fault.enter), "exit": moved(fault.exit),
                                    "uncalibrated_enter": moved(fault.uncalibrated_enter)})


def perturb_spec(spec: ExerciseSpec, factor: float) -> tuple[ExerciseSpec, list[FaultSpec]]:
    """The spec with every fault perturbed, and the faults left unmoved (no neutral)."""
    faults, unmoved = [], []
    for fault in spec.faults:
        moved = perturb_fault(fault, factor)
        if moved is None:
            unmoved.append(fault)
        faults.append(moved or fault)
    return spec.model_copy(update={"faults": faults}), unmoved


@dataclass
class PerturbOutcome:
    name: str
    status: str  # done | reused | failed
    reason: str = ""
    reported: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # factor label -> checker -> codes


def perturb_clip(job: ClipJob) -> PerturbOutcome:
    """One clip's checkers replayed under each factor, from its landmark recording only
    (never the model). Reuses a result saved for the same recording, code and checkers.
    Never raises: a failure comes back with its reason."""
    from ..engine.analysis import analyze
    from ..engine.profiles import Profile
    from ..engine.spec import get_spec
    from ..errors import PosecheckError
    from ..sinks.report import write_json
    from .scoring import CheckerRun

    try:
        recording = recording_path(Path(job.cache_dir), Path(job.path), job.model)
        if not recording.is_file():
            raise PosecheckError(f"{recording}: no landmark recording (the normal run makes it)")
        result_path = Path(job.result_path).with_suffix(".perturb.json")
        fingerprint = {"recording": recording.name, "code": job.code_digest, "checkers": list(job.checkers),
                       "factors": FACTORS}
        previous = load_saved(result_path)
        if previous is not None and previous.get("fingerprint") == fingerprint:
            return PerturbOutcome(job.name, "reused", reported=previous["reported"])
        reported: dict[str, dict[str, list[str]]] = {}
        for label, factor in FACTORS.items():
            for checker in job.checkers:
                spec, _ = perturb_spec(get_spec(checker), factor)
                report, results = analyze(recording, spec, profile=Profile(user="validate"))
                run = CheckerRun.from_report(checker, report, results)
                reported.setdefault(label, {})[checker] = sorted(run.reported_faults())
        write_json(result_path, {"clip": job.name, "fingerprint": fingerprint, "reported": reported})
        return PerturbOutcome(job.name, "done", reported=reported)
    except PosecheckError as exc:
        return PerturbOutcome(job.name, "failed", reason=str(exc))
    except Exception as exc:  # noqa: BLE001 - one bad clip must not stop the others
        return PerturbOutcome(job.name, "failed", reason=f"internal error: {type(exc).__name__}: {exc}")


def summarise_flips(outcomes: dict[str, ClipOutcome], perturbed: dict[str, PerturbOutcome],
                    order: list[str]) -> dict:
    """The `perturb` section of validation.json: per fault code, the clip x checker
    verdicts it has, how many report it in the normal run, and which flip under each factor
    (`reported`: whether the perturbed run reports it)."""
    from ..engine.spec import get_spec

    specs: dict[str, ExerciseSpec] = {}
    per_fault: dict[str, dict] = {}
    for clip in sorted(perturbed, key=order.index):
        p = perturbed[clip]
        if p.status == "failed":
            continue
        for run in outcomes[clip].runs:
            spec = specs.setdefault(run.checker, get_spec(run.checker))
            base = run.reported_faults()
            for code in spec.fault_codes():
                entry = per_fault.setdefault(code, {"verdicts": 0, "reported": 0, "flips": dict.fromkeys(FACTORS, 0),
                                                    "flipped": {label: [] for label in FACTORS}})
                entry["verdicts"] += 1
                entry["reported"] += code in base
                for label in FACTORS:
                    now = code in p.reported[label][run.checker]
                    if now != (code in base):
                        entry["flips"][label] += 1
                        entry["flipped"][label].append({"clip": clip, "checker": run.checker, "reported": now})
    thresholds, unmoved = [], []
    for name, spec in sorted(specs.items()):
        moved = {label: perturb_spec(spec, factor)[0].faults for label, factor in FACTORS.items()}
        for i, f in enumerate(spec.faults):
            if perturb_fault(f, 1.0) is None:
                unmoved.append({"checker": name, "code": f.code, "metric": f.metric,
                                "reason": f"absolute threshold and no neutral declared for {f.metric}"})
                continue
            entry = {"checker": name, "code": f.code, "metric": f.metric, "reference": f.reference}
            for key in ("enter", "exit_threshold", "uncalibrated_enter"):  # the last: uncalibrated, if given
                if getattr(f, key, None) is not None:
                    entry[key.removesuffix("_threshold")] = {
                        "base": getattr(f, key), **{k: round(getattr(v[i], key), 4) for k, v in moved.items()}}
            thresholds.append(entry)
    return {"rule": RULE, "factors": FACTORS, "per_fault": dict(sorted(per_fault.items())),
            "thresholds": thresholds, "not_perturbed": unmoved,
            "failed": [{"clip": p.name, "reason": p.reason} for p in perturbed.values() if p.status == "failed"]}


def flips_table(perturb: dict) -> list[str]:
    """The perturbation section of the text table."""
    labels = list(perturb["factors"])
    rows = ["threshold perturbation: clip x checker verdicts (fault reported or not) that flip with",
            f"  {perturb['rule']}",
            f"  {'code':<26} {'verdicts':>8} {'reported':>8} " + " ".join(f"{label:>5}" for label in labels)]
    for code, f in perturb["per_fault"].items():
        rows.append(f"  {code:<26} {f['verdicts']:>8} {f['reported']:>8} "
                    + " ".join(f"{f['flips'][label]:>5}" for label in labels))
        for label in labels:
            if f["flipped"][label]:
                rows.append(f"      {label}: " + ", ".join(
                    f"{'+' if x['reported'] else '-'}{x['clip']} ({x['checker']})" for x in f["flipped"][label]))
    if not perturb["per_fault"]:
        rows.append("  no verdicts to perturb")
    rows.append("  (+clip: reported only when perturbed, -clip: no longer reported)")
    for u in perturb["not_perturbed"]:
        rows.append(f"  not perturbed: {u['code']} ({u['checker']}): {u['reason']}")
    for fail in perturb["failed"]:
        rows.append(f"perturb failed: {fail['clip']}: {fail['reason']}")
    return rows
