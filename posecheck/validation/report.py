"""The agreement report of `posecheck validate`: one JSON document (schema
`posecheck.validation` v1), a text table for the terminal, and the goals check."""

from __future__ import annotations

import platform
from dataclasses import dataclass

from .. import __version__
from ..sinks.validation_html import pct
from .labels import LabelFile
from .perturb import flips_table
from .runner import ClipOutcome
from .scoring import ClipScore, Summary, score_clip, summarise

SCHEMA = "posecheck.validation"
VERSION = 1


@dataclass(frozen=True)
class Goal:
    name: str  # the summary field
    label: str
    minimum: float


def score_all(labels: LabelFile, outcomes: dict[str, ClipOutcome]) -> list[ClipScore]:
    from ..engine.spec import get_spec

    scores = []
    for name, outcome in outcomes.items():
        label = labels.clips[name]
        for run in outcome.runs:
            counts_reps = get_spec(run.checker).reps is not None
            scores.append(score_clip(name, label, run, counts_reps=counts_reps))
    order = list(labels.clips)
    scores.sort(key=lambda s: (order.index(s.clip), s.role != "own", s.checker))
    return scores


def build(labels_path: str, labels: LabelFile, outcomes: dict[str, ClipOutcome], *, model: str,
          goals: list[Goal], perturb: dict | None = None) -> dict:
    """The report; `perturb` (perturb.summarise_flips) when `--perturb` was given."""
    scores = score_all(labels, outcomes)
    summary = summarise(scores)
    report = {
        "schema": SCHEMA, "version": VERSION, "labels": labels_path, "model": model,
        "posecheck": __version__, "machine": f"{platform.machine()}, Python {platform.python_version()}",
        "summary": summary.to_dict(),
        "goals": [{**g.__dict__, "value": getattr(summary, g.name), "met": goal_met(summary, g)} for g in goals],
        "clips": [s.to_dict() for s in scores],
        "failed": [{"clip": o.name, "reason": o.reason} for o in outcomes.values() if o.status == "failed"],
    }
    if perturb is not None:
        report["perturb"] = perturb
    return report


def goal_met(summary: Summary, goal: Goal) -> bool:
    value = getattr(summary, goal.name)
    return value is None or value >= goal.minimum - 1e-9


def margins_table(margins: dict) -> list[str]:
    """Per fault code: the checks judged, the share within noise of the threshold, unsure."""
    if not margins:
        return ["margins: no fault checks recorded"]
    rows = ["margins (fault checks judged; within noise: |value - threshold| <= noise):",
            f"  {'code':<26} {'checks':>6} {'within noise':>12} {'unsure':>6} {'not judged':>10}"]
    rows += [f"  {code:<26} {m['checks']:>6} {pct(m['within_noise_share']):>12} {pct(m['unsure_share']):>6} "
             f"{m['not_judged']:>10}" for code, m in margins.items()]
    return rows


TABLE_KEY = ("reps: the labelled count (or the counts that are all acceptable, '9|10') -> the count found, x when "
             "it is none of them; holds: windows found of those labelled; sitting: share of the labelled sitting "
             "time given the labelled state; a negative (a clip checked with another exercise's checker) must "
             "count and cue nothing.")


def text_table(report: dict) -> str:
    rows = [TABLE_KEY, "",
            f"{'clip':<52} {'checker':<15} {'reps':>14} {'holds':>6} {'sitting':>7}  "
            f"{'faults expected':<24} {'faults reported':<30} note"]
    rows.append("-" * len(rows[-1]))
    for c in report["clips"]:
        reps = "-" if c["reps_expected"] is None else \
            f"{'|'.join(map(str, c['reps_expected']))} -> {c['reps_found']}{'' if c['rep_error'] == 0 else ' x'}"
        holds = f"{c['holds_found']}/{c['holds_labelled']}" if c["holds_labelled"] else "-"
        note = ""
        if c["role"] == "negative":
            reps, holds = f"0 -> {c.get('reps_found') or 0}", f"{c.get('holds_found') or 0}/0"
            note = "negative: " + ("silent" if c["negative_silent"] else "NOT SILENT")
        if c["silent_without_reason"]:
            note += " SILENT WITHOUT A REASON"
        elif c["judged_share"] < 0.5 and c["reasons"]:
            note += f" told: {c['reasons'][0]}"
        name = c["clip"] if len(c["clip"]) <= 52 else "..." + c["clip"][-49:]
        expected = ",".join(c["faults_expected"]) or ("-" if c["role"] == "negative" else "none")
        rows.append(f"{name:<52} {c['checker']:<15} {reps:>14} {holds:>6} {pct(c['sitting_agreement']):>7}  "
                    f"{expected:<24} {','.join(c['faults_reported']) or 'none':<30} {note.strip()}")
    s = report["summary"]
    rows += ["", f"clips: {s['clips']}, rep-labelled: {s['rep_clips']}, negatives (clip x checker): {s['negatives']}",
             f"reps exact {pct(s['reps_exact'])}, within one {pct(s['reps_within_one'])}, "
             f"mean abs error {s['rep_mae']:.2f}" if s["rep_mae"] is not None else "reps: none labelled",
             f"faults: precision {pct(s['fault_precision'])}, recall {pct(s['fault_recall'])}, "
             f"F1 {s['fault_f1']:.2f}" if s["fault_f1"] is not None else "faults: none"]
    for code, f in s["per_fault"].items():
        rows.append(f"  {code:<26} tp {f['tp']:>2} fp {f['fp']:>2} fn {f['fn']:>2}  F1 {f['f1']:.2f}")
    rows += margins_table(s.get("margins") or {})
    rows += [f"sitting agreement {pct(s['sitting_agreement'])}",
             f"holds found {pct(s['holds_found'])}" + (f", timing error {s['hold_timing_error_s']:.2f} s"
                                                     if s["hold_timing_error_s"] is not None else ""),
             f"negatives silent {pct(s['negatives_silent'])}",
             f"silent without a reason: {', '.join(s['silent_without_reason']) or 'none'}"]
    if s["unjudged"]:
        rows.append("mostly unjudged (what the user was told):")
        rows += [f"  {u['clip']} ({u['checker']}, {u['judged_share']:.0%} judged): "
                 f"{' / '.join(u['told']) or 'NOTHING'}" for u in s["unjudged"]]
    if "perturb" in report:
        rows += flips_table(report["perturb"])
    for f in report["failed"]:
        rows.append(f"failed: {f['clip']}: {f['reason']}")
    for g in report["goals"]:
        rows.append(f"{'PASS' if g['met'] else 'FAIL'}  {g['label']} >= {g['minimum']:.0%} "
                    f"(measured {pct(g['value'])})")
    return "\n".join(rows)
