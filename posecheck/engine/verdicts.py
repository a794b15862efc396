"""A rep's verdict, decided once and worded once: what the live list, the set summary, the
analyze text, report.html, the guided outcome and the history all say of it.

A rep is good only when every check was measured and passed and, for an exercise held at
the top, the hold reached the low end of its target: a bridge held 2 s of a 3-5 s target
is a rep done short, never "well done"."""

from __future__ import annotations

from collections.abc import Callable


def is_good(rep: dict) -> bool:
    return (rep.get("judged", True) and not rep["faults"] and not rep.get("not_judged")
            and not rep.get("hold_short", False))


def hold_words(rep: dict) -> str:
    lo, hi = rep["hold_target_s"]
    return f"held {rep.get('hold_s') or 0.0:.1f} s of a {lo:g}-{hi:g} s target"


def rep_verdict(rep: dict, label: Callable[[str], str]) -> str:
    """'good', 'knees caving in; held 2.0 s of a 3-5 s target', 'no fault seen (heels
    lifting: not judged)' or 'form not judged' (`label` names a fault in words)."""
    parts = [", ".join(label(c) for c in rep["faults"])] if rep["faults"] else []
    if not rep.get("judged", True):
        parts.append("form not judged")
    elif rep.get("not_judged"):
        unseen = ", ".join(label(c).lower() for c in rep["not_judged"])
        parts.append(("" if rep["faults"] else "no fault seen ") + f"({unseen}: not judged)")
    if rep.get("hold_short"):
        parts.append(hold_words(rep))
    return "; ".join(p.strip() for p in parts) or "good"


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
