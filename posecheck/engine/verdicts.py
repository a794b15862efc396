"""A rep's verdict, decided once and worded once: what the live list, the set summary, the
analyze text, report.html, the guided outcome and the history all say of it.

A rep is good only when every check was measured and passed (none past its limit but too
close to it to call) and, for an exercise held at the top, the hold reached the low end of
its target: a bridge held 2 s of a 3-5 s target is a rep done short, never "well done"."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .profiles import Profile
    from .spec import ExerciseSpec


def is_good(rep: dict) -> bool:
    return (rep.get("judged", True) and not rep["faults"] and not rep.get("not_judged")
            and not rep.get("unsure") and not rep.get("hold_short", False))


def hold_words(rep: dict) -> str:
    lo, hi = rep["hold_target_s"]
    return f"held {rep.get('hold_s') or 0.0:.1f} s of a {lo:g}-{hi:g} s target"


def rep_verdict(rep: dict, label: Callable[[str], str]) -> str:
    """'good', 'knees caving in; held 2.0 s of a 3-5 s target', 'no fault seen (heels
    lifting: not judged)', 'at the limit, too close to call (leaning the trunk too far
    forward)' or 'form not judged' (`label` names a fault in words)."""
    parts = [", ".join(label(c) for c in rep["faults"])] if rep["faults"] else []
    if not rep.get("judged", True):
        parts.append("form not judged")
    else:
        if rep.get("not_judged"):
            unseen = ", ".join(label(c).lower() for c in rep["not_judged"]) + ": not judged"
            # "no fault seen" only where it is the whole verdict: beside a fault or a check
            # too close to call it would read as a pass.
            parts.append(unseen if rep["faults"] or rep.get("unsure") else f"no fault seen ({unseen})")
        if rep.get("unsure"):
            parts.append("at the limit, too close to call (" + ", ".join(label(c).lower() for c in rep["unsure"])
                         + ")")
    if rep.get("hold_short"):
        parts.append(hold_words(rep))
    return "; ".join(p.strip() for p in parts) or "good"


def rep_said(rep: dict, name: str, label: Callable[[str], str], good_cue: str, *,
             checks_here: bool) -> tuple[str, str]:
    """What the live list says as a rep ends, as (event code, message): its faults, a hold
    done short, counted with its form not judged (from this view, `checks_here` False, or
    by this camera), praised (`good_cue`) only when `is_good`, else counted with why not."""
    short = ""
    if rep.get("hold_short"):  # the hold is the exercise: a short one is never "well done"
        lo, hi = rep["hold_target_s"]
        short = f"held {rep.get('hold_s') or 0.0:.1f} s, hold {lo:g}-{hi:g} s next time"
    if rep["faults"]:
        names = ", ".join(label(c).lower() for c in rep["faults"])
        return "rep_with_faults", f"{name}: {names}" + (f"; {short}" if short else "")
    if short:  # ...and what else the summary will say of it (a check too close to call, not judged)
        rest = rep_verdict(rep | {"hold_short": False}, label)
        return "rep_hold_short", f"{name}: {short}" + (f"; {rest}" if rest != "good" else "")
    if not rep.get("judged", True):
        why = "this time: the camera could not measure it" if checks_here else "from here"
        return "rep_counted", f"{name} counted (form not judged {why})"
    if is_good(rep):
        return "good_rep", f"{name}: {good_cue}"
    return "rep_counted", f"{name} counted: {rep_verdict(rep, label)}"


def not_calibrated_note(spec: ExerciseSpec, profile: Profile) -> str | None:
    """What a run against default targets says first, or None when calibrated for all that
    calibrating sets (a reference with no [calibration] rule stays at its default however
    often the person calibrates, and is not mentioned)."""
    keys = sorted({f.profile_key for f in spec.faults if f.profile_key} & set(spec.calibration))
    missing = [k for k in keys if profile.get(k) is None]
    if not missing:
        return None
    lenient = sorted({f.label.lower() for f in spec.faults if f.uncalibrated_enter is not None and f.profile_key in missing})
    only_clear = f"; until then only a clear case is called ({', '.join(lenient)})" if lenient else ""
    if len(missing) == len(keys):
        return (f"Not calibrated for {spec.name}: using default targets{only_clear} "
                f"(run `posecheck calibrate {spec.name}` for a verdict against your own)")
    by_view: dict[str, set[str]] = {}  # e.g. sitting calibrated side-on: the front view is not
    for f in spec.faults:
        if f.profile_key in missing:
            for view in f.views:
                by_view.setdefault(view, set()).add(f.label.lower())
    what = " and ".join(f"the {view} view ({', '.join(sorted(labels))})" for view, labels in sorted(by_view.items()))
    return (f"Partly calibrated for {spec.name}: default targets in {what}{only_clear} "
            f"(run `posecheck calibrate {spec.name}` in that view for a verdict against your own)")


def calibration_words(report: dict) -> str:
    """Whose targets a report was judged against: a calibration that left some checks on
    their defaults (sitting calibrated side-on only) is 'partly calibrated', never plain
    'calibrated' above a note saying it is not."""
    if not report["calibrated"]:
        return "default targets (not calibrated)"
    partly = any(e.get("code") == "not_calibrated" for e in report.get("events", []))
    return "partly calibrated" if partly else "calibrated"


def told(report: dict) -> dict:
    """What a person is told of a set, without timings: the counts, each rep's side, faults,
    good or not and short hold, each hold's side and faults, the faults of the set. Two runs
    of one set (in the browser, on the server, by analyze) agree when these are equal."""
    return {
        "reps": report["summary"]["rep_count"],
        "holds": report["summary"]["hold_count"],
        "rep_verdicts": [[r.get("side"), sorted(r["faults"]), r["good"], r.get("hold_short", False)]
                         for r in report["reps"]],
        "hold_verdicts": [[h.get("side"), sorted(h["faults"])] for h in report["holds"]],
        "faults": sorted(report["summary"]["fault_counts"]),
    }
