"""Fault-injection benchmark on real recordings (issue 18, item 2).

For every clean clip of the shared development set (a checker's exercise, no fault a
careful viewer was sure of, not unusable), each fault its exercise judges in the clip's
labelled view (or in the view the checker saw the clip's reps from, when that differs) is
injected into the clip's raw landmark recording
(posecheck/validation/injection.py) at 0.5x and 1.5x its threshold, in every rep, hold or
sitting block the checker found on the clean clip. The injected recording is replayed as
the product does (One-Euro smoothing, then the checker) and each unit is scored: the fault
was reported if it is in that rep's, hold's or posture span's faults, is its fault check's
verdict, or was cued while it lasted. A unit is judged when the checker
has a measurement of the fault for the view it saw the unit from, a reference for it, the
metric in at least half its frames, the unit's end in the recording and time for the fault
to last; the checker's own verdicts (report["not_judged"], a fault check "not_judged" on
the injected clip: its noise gate) take units out too, and so does a unit where the
landmark move could not take the fault to the size asked for (it would test another
size). Per fault and clip it prints the detection rate at 1.5x and the false-alarm rate at 0.5x with notes (units no longer
counted after injection and the checker's reason, verdicts within the noise, "unsure"),
or why the fault is not judged there; then a summary per fault and the goal (>= 95%
detection, <= 2% false alarms on every judged fault and clip), exit code 1 when missed. Replay only: landmark recordings come from the test cache
(.cache/test-recordings, made by the tests or benchmarks/accuracy.py); no model runs.

Calibrated (the default): each clip is judged as a user who calibrated on it would be. For
an exercise with a [calibration] table (squat, sitting) the clip's profile is what
`posecheck calibrate <exercise>` computes from its own clean recording (the product's
calibration rules, analysis.calibration_values, via injection.calibrated_profile); the
clean run that finds the units and thresholds and every injected run are judged with that
profile, so a fault relative to the calibration (`reference = "profile:..."`) is injected
relative to the calibrated threshold. Where calibration finds nothing, the clip is judged
uncalibrated and its rows say "uncalibrated: <why>". `--uncalibrated`: every clip with
`Profile()` (default references and the lenient `uncalibrated_enter` thresholds), as a user
who never calibrated.

A fault the checker judges only while another is active (`requires_any`: squatting past
one's calibrated depth while the heels lift or the trunk leans) is injected on top of that
other one (injection.inject_enabled: at 1.5x its threshold from a tenth of the way into
each rep, the same at both sizes). It is judged in the units where that compensation,
injected alone, leaves the rep counted and is active at its deepest point (heels_lifting
must last 0.5 s first, excessive_forward_lean 0.25 s: a quick rep may reach its bottom
before either is), and not judged, with why, where neither does.

    python benchmarks/fault_injection.py [--uncalibrated] [--backend legacy|tasks] [--clip TEXT] [--fault CODE]
"""

from __future__ import annotations

import argparse
import re
import shlex
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from _common import REPO, machine_line, shared_dir

from posecheck.engine.profiles import Profile
from posecheck.engine.spec import ExerciseSpec, FaultSpec, get_spec
from posecheck.errors import PosecheckError
from posecheck.pose.pipeline import PoseStream
from posecheck.validation import clean_run as cr
from posecheck.validation import injection as inj
from posecheck.validation import sizing
from posecheck.validation.labels import ClipLabel, load_labels
from posecheck.validation.runner import recording_path

CACHE = REPO / ".cache" / "test-recordings"
SIZES = (1.5, 0.5)
MIN_DETECTION, MAX_FALSE_ALARMS = 0.95, 0.02
MIN_MEASURABLE = 0.5  # a unit whose fault metric is measurable in fewer of its frames is not judged
UNITS = {"rep": "reps", "hold": "holds", "posture": "sitting blocks"}


@dataclass
class Row:
    code: str
    view: str
    clip: str
    judged: int = 0  # units scored
    hits: dict[float, int] = field(default_factory=dict)  # size -> units where the fault was reported
    lost: dict[float, int] = field(default_factory=dict)  # size -> units no longer counted after injection
    unsure: dict[float, int] = field(default_factory=dict)
    not_judged: str | None = None
    notes: list[str] = field(default_factory=list)

    def rate(self, size: float) -> float:
        return self.hits.get(size, 0) / self.judged if self.judged else float("nan")

    @property
    def meets_goal(self) -> bool:
        return self.rate(1.5) >= MIN_DETECTION and self.rate(0.5) <= MAX_FALSE_ALARMS


def view_family(text: str) -> str | None:
    """The labelled view's family: the first view word of the label's `view` text."""
    for word in re.split(r"[\s,;:()/]+", text.lower()):
        if "oblique" in word:
            return "oblique"
        for prefix, family in (("side", "side"), ("front", "front"), ("rear", "back"), ("back", "back")):
            if word.startswith(prefix):
                return family
    return None


def clean_clips(labels_path: Path) -> list[tuple[str, ClipLabel, str | None]]:
    labels = load_labels(labels_path)
    return [(name, clip, view_family((clip.model_extra or {}).get("view", "")))
            for name, clip in labels.clips.items()
            if clip.checker and not clip.unusable and not clip.expected_faults()]


def recording(video: Path, backend: str) -> Path | None:
    path = recording_path(CACHE, video, "full", backend)
    return path if path.is_file() else None


def fault_groups(spec, views: list[str | None]) -> dict[str, list[FaultSpec]]:
    """The faults judged in any of these views, each with all its specs (a unit the checker saw
    from another view is measured by the specs of that view)."""
    codes = dict.fromkeys(f.code for f in spec.faults if set(views) & set(f.views))
    return {code: [f for f in spec.faults if f.code == code] for code in codes}


def short(name: str) -> str:
    parts = name.split("/")
    return f"{parts[1][:24]}/{parts[-1]}" if name.startswith("corpus/") and len(parts) > 2 else name


def judge_units(run: cr.CleanRun, code: str, faults: list[FaultSpec]) -> tuple[list[cr.Unit], str | None, list[str]]:
    """The units of the clean run this fault can be judged in, notes on those it cannot, and
    why not at all when none is left."""
    said = [n for n in run.report.get("not_judged", []) if n.get("code") == code]
    if said:
        return [], "the checker: " + said[0].get("reason", "cannot judge it here"), []
    if all(f.profile_key and f.requires_reference and f.session_baseline_s is None
           and run.profile.get(f.profile_key) is None for f in faults):
        return [], (f"needs a calibrated {faults[0].profile_key} (judged uncalibrated)"
                    if run.spec.name not in run.profile.calibrated_at
                    else f"needs {faults[0].profile_key}, which calibrating on this clip did not give"), []
    if not run.units:
        kind = "sitting block" if run.spec.exercise.mode == "posture" else \
            ("hold" if any(f.phase == "hold" for f in faults) else "rep")
        return [], f"no {kind} on the clean clip", []
    why: Counter = Counter()
    judged = []
    for u in run.units:
        reason = unit_problem(run, u, [f for f in faults if u.view in f.views], faults)
        if reason:
            why[reason] += 1
        else:
            judged.append(u)
    kind = UNITS[run.units[0].kind]
    reasons = "; ".join(f"{n} {r}" for r, n in why.items())
    if not judged:
        return [], f"none of its {len(run.units)} {kind}: {reasons}", []
    return judged, None, [f"{sum(why.values())} of {len(run.units)} {kind} not judged ({reasons})"] if why else []


def unit_problem(run: cr.CleanRun, u: cr.Unit, specs: list[FaultSpec], faults: list[FaultSpec]) -> str | None:
    """Why a fault cannot be judged in one unit of the clean run, or None."""
    span = (run.times >= u.start_s) & (run.times <= u.end_s)
    if u.kind != "posture" and u.end_s >= run.times[-1] - 0.05:
        return "cut by the clip's end"
    if not specs:
        return f"seen from {u.view} ({'/'.join(sorted({v for f in faults for v in f.views}))} only)"
    if all(sizing.reference(f, run, u.start_s) is None for f in specs):
        return "with no resting baseline before" if specs[0].reference == "baseline" else "with no reference yet"
    measurable = max(float(np.isfinite(run.raw_metric(f.metric)[span]).mean()) for f in specs)
    if measurable < MIN_MEASURABLE:
        return f"with {specs[0].metric} measurable in under {MIN_MEASURABLE:.0%} of its frames"
    # A continuous fault is judged only while the checker is in the rep (or hold): from the
    # moment the rep is recognised (past `enter`), not from where it started at rest. A
    # unit whose judged stretch is shorter than the fault must last (in a quick rep, most
    # of its judged stretch: sizing.must_last) cannot show it at all.
    hold_s = max([sizing.must_last(run, u, f) for f in specs if f.during != "rep"], default=0.0)
    if hold_s and u.end_s - u.start_s < hold_s + inj.SMOOTHING_LAG_S:
        return f"shorter ({u.end_s - u.start_s:.2f} s) than the fault must last ({hold_s:.2f} s) and the smoothing lag"
    judged_s = sizing.phase_s(run, u)
    if hold_s and u.kind != "posture" and judged_s < hold_s:
        return f"in its rep for {judged_s:.2f} s, less than the fault must last ({hold_s:.2f} s)"
    return None


def lost_because(report: dict, unit: cr.Unit) -> str:
    """Why the checker did not count a unit of the clean run after injection, in its words."""
    said = [e["message"] for e in report.get("events", []) if e["code"] in ("not_counted", "nothing_counted")
            and unit.start_s <= e["t_s"] <= unit.end_s + 1.0]
    if said:
        return said[0].split(": ", 1)[-1].split(" (")[0][:70]
    return {"rep": "no rep started", "hold": "no hold started"}.get(unit.kind, "no sitting judged")


def told_by_requirement(run: cr.CleanRun, report: dict, faults: list[FaultSpec], unit: cr.Unit) -> bool:
    """Was the unit not counted because a requirement of the movement on this fault's own
    metric, in the fault's direction, failed? (A bird-dog arm below 45 deg at the leg's
    peak is no bird-dog, and the user hears "reach it forward": the arm_too_low correction
    itself, so the fault was told, as a reason the rep did not count.) Or a requirement that
    `tells` this fault (a squat refused as a hinge hears "chest up")? Or was it a lift too
    small to be a rep (`[reps.too_small]`), told as this fault's correction?"""
    reason = lost_because(report, unit)
    if run.spec.reps is None:
        return False
    small = run.spec.reps.too_small  # a lift too small to be a rep, told this fault's correction
    if small is not None and small.tells == faults[0].code and reason.startswith(small.otherwise.split("{")[0]):
        return True
    return any((req.tells == f.code or req.metric == f.metric and (req.above is not None) == (f.fault_if == "below"))
               and req.otherwise.startswith(reason)
               for req in run.spec.reps.requires for f in faults)


def active_at(results: list, code: str, t_s: float) -> bool:
    """Is `code` active in the frame nearest `t_s`?"""
    r = min(results, key=lambda r: abs(r.t_s - t_s))
    return code in r.active_faults


def enabler(run: cr.CleanRun, faults: list[FaultSpec], units: list[cr.Unit]
            ) -> tuple[str | None, list[FaultSpec], list[cr.Unit], list[str]]:
    """A fault judged only while another is active (`requires_any`: past one's calibrated depth
    while the heels lift or the trunk leans) is judged where that other one, injected alone as
    it will be under it (inj.inject_enabled), leaves the unit counted and is active at its
    deepest point. Returns the one active in most units (ties: the one that must last least
    before it is active), its specs, those units, and per candidate where it falls short."""
    best: tuple[tuple, str | None, list[FaultSpec], list[cr.Unit]] = ((0, 0.0), None, [], [])
    why = []
    kind = UNITS[units[0].kind]
    for code in faults[0].requires_any:
        specs = [f for f in run.spec.faults if f.code == code]
        theirs, reason, _ = judge_units(run, code, specs)
        both = [u for u in units if u in theirs]
        if not both:
            why.append(f"{code}: {reason or 'judged in none of them'}")
            continue
        injected = inj.inject(run, specs, inj.ENABLER_SIZE, both, full_from=inj.ENABLER_FROM)
        report, results = cr.check(injected.frames, run.spec, run.profile)
        lost = [u for u in both if not cr.unit_seen(report, u)]
        off = [u for u in both if u not in lost and not active_at(results, code, u.peak_s)]
        on = [u for u in both if u not in lost and u not in off]
        key = (len(on), -max(f.min_duration_s for f in specs))
        if on and key > best[0]:
            best = (key, code, specs, on)
        short_of = []
        if len(both) < len(units):
            short_of.append(f"not judged in {len(units) - len(both)}")
        if lost:
            short_of.append(f"{len(lost)} no longer counted ({lost_because(report, lost[0])})")
        if off:
            lasts = max(f.min_duration_s for f in specs)
            short_of.append(f"not yet active at the deepest point of {len(off)} (it must last {lasts} s first)")
        if short_of:
            why.append(f"{code} at {inj.ENABLER_SIZE}x: " + ", ".join(short_of) + f" of {len(units)} {kind}")
    return best[1], best[2], best[3], why


def score(run: cr.CleanRun, clip: str, code: str, view: str, faults: list[FaultSpec]) -> Row:
    row = Row(code, view, clip)
    units, row.not_judged, row.notes = judge_units(run, code, faults)
    if row.not_judged:
        return row
    needs, needs_specs = None, []
    if faults[0].requires_any:  # judged only while one of these is active: inject it too
        needs, needs_specs, both, why = enabler(run, faults, units)
        if needs is None:
            row.not_judged = (f"judged only while {' or '.join(faults[0].requires_any)} is active, and neither "
                              f"injected is active at the bottom of a counted {units[0].kind}: " + "; ".join(why))
            return row
        row.notes.insert(0, f"with {needs} at {inj.ENABLER_SIZE}x from {inj.ENABLER_FROM:.0%} into each "
                            f"{units[0].kind} (it is judged only then)")
        if len(both) < len(units):
            row.notes.append(f"{len(units) - len(both)} of {len(units)} {UNITS[units[0].kind]} not judged ("
                             + "; ".join(w for w in why if w.startswith(needs)) + ")")
        units = both
    kept = list(units)
    verdicts = {}
    for size in SIZES:
        if needs:
            injected, _ = inj.inject_enabled(run, faults, size, units, needs_specs)
        else:
            injected = inj.inject(run, faults, size, units)
        report, _ = cr.check(injected.frames, run.spec, run.profile)
        verdicts[size] = report
        if injected.unreached:
            row.notes.append(f"{size}x: {injected.unreached} {UNITS[units[0].kind]} short of the size asked for")
        # A unit the move could not take to the size asked for holds a smaller (1.5x) or
        # larger (0.5x) fault than the one scored: it tests another size, so it is not scored.
        short = [u for k, u in enumerate(units) if k in injected.short_units and u in kept]
        for u in short:
            kept.remove(u)
        if short:
            row.notes.append(f"{size}x: {len(short)} {UNITS[units[0].kind]} not scored (the move could not reach "
                             f"{size}x there)")
        for u in units:  # the noise gate (when the checker has one) may decline to judge a unit
            checks = [c for c in report.get("fault_checks", [])
                      if c.get("code") == code and u.start_s <= c.get("t_s", -1) <= u.end_s]
            if checks and all(c.get("verdict") == "not_judged" for c in checks) and u in kept:
                kept.remove(u)
                row.notes.append(f"{size}x unit at {u.start_s:.1f} s: {checks[0].get('reason', 'not judged')}")
    if not kept:
        row.not_judged = "the checker judged none of its units: " + "; ".join(row.notes[-2:])
        return row
    row.judged = len(kept)
    for size, report in verdicts.items():
        told = [u for u in kept if not cr.reported(report, code, u) and told_by_requirement(run, report, faults, u)]
        row.hits[size] = sum(cr.reported(report, code, u) for u in kept) + len(told)
        if told:
            row.notes.append(f"{size}x: {len(told)} not counted, the user told this fault's correction as the "
                             f"reason ('{lost_because(report, told[0])}')")
        lost = [u for u in kept if not cr.unit_seen(report, u)]
        row.lost[size] = len(lost)
        row.unsure[size] = sum(any(c.get("code") == code and c.get("verdict") == "unsure"
                                   and u.start_s <= c.get("t_s", -1) <= u.end_s for c in report.get("fault_checks", []))
                               for u in kept)
        if lost:
            why = Counter(lost_because(report, u) for u in lost)
            row.notes.append(f"{size}x: {len(lost)} of {len(kept)} {UNITS[kept[0].kind]} no longer counted ("
                             + "; ".join(f"{n}: {r}" for r, n in why.items()) + ")")
        if row.unsure[size]:
            row.notes.append(f"{size}x: {row.unsure[size]} unsure")
        if needs and size < 1:  # was what it needs there? (reported unless this fault superseded it)
            row.notes.append(f"{size}x: {needs} reported in {sum(cr.reported(report, needs, u) for u in kept)} "
                             f"of {len(kept)}")
    row.notes = list(dict.fromkeys(row.notes))
    return row


def clip_profile(frames: list, spec: ExerciseSpec, clip: str, calibrated: bool) -> tuple[Profile, str | None]:
    """The profile a clip is judged with, and "uncalibrated: <why>" when calibration was asked
    for and found nothing (that clip is then judged uncalibrated)."""
    if not calibrated or not spec.calibration:
        return Profile(), None
    try:
        return cr.calibrated_profile(frames, spec, source_name=clip), None
    except PosecheckError as exc:
        return Profile(), "uncalibrated: " + str(exc).split("; check the camera")[0]


def profile_notes(run: cr.CleanRun, faults: list[FaultSpec]) -> list[str]:
    """A calibrated clip's fault measured against a profile value its calibration has none of
    (no rule for it, or too little of the clip in that view): what it is judged against."""
    if run.spec.name not in run.profile.calibrated_at:
        return []
    notes = []
    for key in dict.fromkeys(f.profile_key for f in faults if f.profile_key and run.profile.get(f.profile_key) is None):
        specs = [f for f in faults if f.profile_key == key]
        against = ("this session's baseline" if any(f.session_baseline_s for f in specs) else
                   "no reference" if all(f.requires_reference for f in specs) else "the default reference")
        why = "not calibrated by this clip" if key in run.spec.calibration else "has no calibration rule"
        notes.append(f"{key} {why}: {against}")
    return notes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--labels", type=Path, default=shared_dir() / "videos" / "labels.json")
    parser.add_argument("--clip", default="", help="only clips whose name contains this")
    parser.add_argument("--fault", default="", help="only this fault code")
    parser.add_argument("--backend", choices=["legacy", "tasks"], default="legacy",
                        help="whose landmark recordings: mediapipe 0.10 (legacy, Python <= 3.12) or the Tasks API "
                             "(what Python 3.13 users get)")
    parser.add_argument("--uncalibrated", action="store_true",
                        help="judge every clip uncalibrated (Profile()), as a user who never calibrated")
    args = parser.parse_args()
    calibrated = not args.uncalibrated
    print(machine_line())
    print("command: python " + shlex.join(["benchmarks/fault_injection.py", *sys.argv[1:]]))
    print(f"landmarks: {args.backend} backend recordings")
    if calibrated:
        print("mode: CALIBRATED: for an exercise with a [calibration] table each clip is judged with the profile "
              "`posecheck calibrate` computes from its own clean recording (analysis.calibration_values); clean and "
              "injected runs use it, faults relative to it are injected against the calibrated threshold; "
              "--uncalibrated for Profile()")
    else:
        print("mode: UNCALIBRATED (--uncalibrated): every clip judged with Profile(): default references and the "
              "lenient uncalibrated_enter thresholds, as a user who never calibrated")
    print(f"sizes: 1.5x and 0.5x the threshold; goal: detection >= {MIN_DETECTION:.0%} at 1.5x, "
          f"false alarms <= {MAX_FALSE_ALARMS:.0%} at 0.5x on every judged fault and clip\n")
    start = time.perf_counter()
    rows: list[Row] = []
    calibrations: list[tuple[str, str]] = []  # (clip, the values or why none)
    print("units: the clean clip's reps, holds or sitting block the fault is judged in; det@1.5x / FA@0.5x: the "
          "share of them with the fault reported (in the unit's faults, its fault check, or a cue in it) "
          "at 1.5x / 0.5x its threshold; unsure: within the noise of the threshold (not reported)\n")
    print(f"{'fault':<26} {'view':<7} {'clip':<60} {'units':>5} {'det@1.5x':>9} {'FA@0.5x':>8}  note")
    for name, clip, view in clean_clips(args.labels):
        if args.clip not in name:
            continue
        spec = get_spec(clip.checker)
        path = recording(args.labels.parent / name, args.backend)
        if path is None:
            print(f"{'-':<26} {view or '-':<7} {short(name):<60} no cached recording (run the tests first)")
            continue
        with PoseStream(path) as stream:
            frames = list(stream.raw())
        profile, uncalibrated = clip_profile(frames, spec, short(name), calibrated)
        if calibrated and spec.calibration:
            calibrations.append((short(name), uncalibrated or ", ".join(
                f"{k} = {v:.3f}" for k, v in sorted(profile.values.items()))))
        run = cr.prepare(frames, spec, profile)
        # The labelled view's faults, and those of the view the checker saw the units from
        # (a clip labelled three-quarter on that the checker judges side-on is judged side-on).
        seen = [v for v, _ in Counter(u.view for u in run.units).most_common() if v != view]
        groups = {c: fs for c, fs in fault_groups(spec, [view] + seen).items() if args.fault in ("", c)}
        if not groups:
            if not args.fault:
                print(f"{'-':<26} {view or '-':<7} {short(name):<60} {'-':>5} {'-':>9} {'-':>8}  no {clip.checker} "
                      f"fault is judged from {'/'.join([view or 'this view'] + seen)}")
            continue
        for code, faults in groups.items():
            judged_in = view if any(view in f.views for f in faults) else \
                next(v for v in seen if any(v in f.views for f in faults))
            row = score(run, short(name), code, judged_in, faults)
            if judged_in != view:
                row.notes.insert(0, f"labelled {view}, seen {judged_in} by the checker")
                row.not_judged = row.not_judged and f"{row.not_judged} (labelled {view})"
            # The clip judged uncalibrated (calibration found nothing), or a fault relative to a
            # profile value the clip's calibration did not give.
            said = ([uncalibrated] if uncalibrated else []) + \
                [n for n in profile_notes(run, [f for f in faults if judged_in in f.views])
                 if n.split()[0] not in (row.not_judged or "")]
            row.notes[:0] = said
            row.not_judged = row.not_judged and "; ".join([row.not_judged] + said)
            rows.append(row)
            if row.not_judged:
                print(f"{code:<26} {row.view:<7} {row.clip:<60} {'-':>5} {'-':>9} {'-':>8}  not judged: {row.not_judged}")
            else:
                mark = "" if row.meets_goal else "  << goal missed"
                print(f"{code:<26} {row.view:<7} {row.clip:<60} {row.judged:>5} {row.rate(1.5):>9.0%} "
                      f"{row.rate(0.5):>8.0%}  {'; '.join(row.notes)}{mark}")
    if calibrations:
        fell_back = sum(v.startswith("uncalibrated:") for _, v in calibrations)
        print(f"\ncalibrations (each clip's own clean recording, analysis.calibration_values): "
              f"{len(calibrations) - fell_back} of {len(calibrations)} clips calibrated, {fell_back} judged uncalibrated")
        for clip_name, values in calibrations:
            print(f"  {clip_name:<60} {values}")
    print("\nper fault (pooled over the clips where it is judged):")
    print(f"  {'fault':<26} {'view':<7} {'clips':>5} {'not judged':>10} {'units':>6} {'det@1.5x':>9} {'FA@0.5x':>8}")
    for key in dict.fromkeys((r.code, r.view) for r in rows):
        group = [r for r in rows if (r.code, r.view) == key]
        judged = [r for r in group if not r.not_judged]
        units = sum(r.judged for r in judged)
        det = f"{sum(r.hits[1.5] for r in judged) / units:.0%}" if units else "-"
        fa = f"{sum(r.hits[0.5] for r in judged) / units:.0%}" if units else "-"
        print(f"  {key[0]:<26} {key[1]:<7} {len(judged):>5} {len(group) - len(judged):>10} {units:>6} "
              f"{det:>9} {fa:>8}")
    missed = [r for r in rows if not r.not_judged and not r.meets_goal]
    judged = [r for r in rows if not r.not_judged]
    print(f"\ngoal: {len(judged) - len(missed)} of {len(judged)} judged fault/clip pairs meet it "
          f"({len(rows) - len(judged)} not judged, each with its reason above): "
          + ("MET" if not missed and judged else "MISSED"))
    for r in missed:
        print(f"  missed: {r.code} ({r.view}) on {r.clip}: detection {r.rate(1.5):.0%}, false alarms {r.rate(0.5):.0%}")
    print(f"\n{time.perf_counter() - start:.0f} s wall")
    return 0 if judged and not missed else 1


if __name__ == "__main__":
    sys.exit(main())
