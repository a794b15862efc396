"""Agreement between what the checkers said and what the labels say. Pure functions over
a clip's label and the runs of its checkers (`CheckerRun`), so the scores can be tested
without a model and recomputed from saved runs.

Definitions (also in the README):
- reps: a clip is exact when the count is one of the acceptable counts (`reps_ok`, else
  `reps`); the error is the distance to the nearest acceptable count.
- faults: per code, a labelled fault that was reported (cued, or attached to a rep, hold
  or posture span) is a true positive, one not reported a false negative; a reported
  fault the label does not list is a false positive, unless the label lists it as unsure.
  Negatives (`check_as`) count every reported fault as a false positive.
- sitting: the share of labelled time (upright / slouched / not_sitting segments) in
  which the timeline showed the labelled state; in a not_sitting segment any state that
  gives no posture verdict (not_sitting, not_visible) is right.
- holds: a labelled window is found when a found hold of the same side (if labelled)
  covers at least `HOLD_MIN_OVERLAP` of it, one found hold per window; the timing error
  is the mean of |start| and |end| differences of the found ones.
- negatives: a (clip, checker) pair in `check_as` is silent when that checker counted no
  rep or hold and reported no fault.
- silence: a run that counted nothing, gave no posture verdict and told the user nothing
  about why (no `view` event and no `info` event saying what was missing) is silent
  without a reason.
- margins: per fault code, over every check the checkers made (one per fault per judged
  rep, hold or posture span, on every clip and checker run, negatives included): how
  many were judged (verdict fault, clear or unsure), the share of those whose value sat
  within the measurement noise of the threshold (|value - threshold| <= noise, over the
  checks that give all three numbers), the share judged "unsure", and how many could
  not be judged. A check near its threshold is a verdict the noise could have turned.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from .labels import ClipLabel

HOLD_MIN_OVERLAP = 0.3  # labels are +-0.3-0.5 s and top holds can be 0.6 s long
NO_VERDICT = {"not_sitting", "not_visible"}
# Events that tell the user why nothing (or less) could be judged.
REASON_KINDS = {"view"}
REASON_CODES = {"nothing_counted"}


@dataclass
class CheckerRun:
    """What one checker reported on one clip (a subset of the analyze report)."""

    checker: str
    reps: list[dict]
    holds: list[dict]
    events: list[dict]
    posture: list[dict]
    frames_total: int
    frames_judged: int
    # (t_s, posture_state) per frame, sitting only
    posture_frames: list[tuple[float, str | None]] = field(default_factory=list)
    # [{code, t_s, value, threshold, noise, verdict: fault|clear|unsure|not_judged, reason}]
    fault_checks: list[dict] = field(default_factory=list)

    @classmethod
    def from_report(cls, checker: str, report: dict, results=()) -> CheckerRun:
        posture_frames = [(round(r.t_s, 3), r.posture_state) for r in results] \
            if report.get("posture") is not None else []
        return cls(checker=checker, reps=report["reps"], holds=report["holds"], events=report["events"],
                   posture=report.get("posture") or [], frames_total=report["frames"]["total"],
                   frames_judged=report["frames"]["judged"], posture_frames=posture_frames,
                   fault_checks=report.get("fault_checks", []))

    def to_dict(self) -> dict:
        return dict(self.__dict__)

    def reported_faults(self) -> set[str]:
        codes = {e["code"] for e in self.events if e["kind"] == "cue"}
        for item in (*self.reps, *self.holds, *self.posture):
            codes |= set(item.get("faults", []))
        return codes

    def reasons(self) -> list[str]:
        """Distinct messages that told the user what could not be judged, first first."""
        seen: dict[str, None] = {}
        for e in self.events:
            if e["kind"] in REASON_KINDS or e["code"] in REASON_CODES:
                seen.setdefault(e["message"], None)
        return list(seen)

    def counted_anything(self) -> bool:
        verdicts = any(p["state"] in ("upright", "slouched") for p in self.posture)
        return bool(self.reps or self.holds or verdicts)


@dataclass
class ClipScore:
    clip: str
    checker: str
    role: str  # "own" (the clip's exercise) or "negative"
    reps_expected: list[int] | None = None
    reps_found: int | None = None
    rep_error: int | None = None
    faults_expected: list[str] = field(default_factory=list)
    faults_unsure: list[str] = field(default_factory=list)
    faults_reported: list[str] = field(default_factory=list)
    holds_labelled: int = 0
    holds_found: int = 0
    hold_timing_error_s: float | None = None
    sitting_right_s: float = 0.0
    sitting_labelled_s: float = 0.0
    negative_silent: bool | None = None
    judged_share: float = 0.0
    silent_without_reason: bool = False
    reasons: list[str] = field(default_factory=list)
    margins: dict[str, dict[str, int]] = field(default_factory=dict)  # margin_counts of the run

    @property
    def sitting_agreement(self) -> float | None:
        return self.sitting_right_s / self.sitting_labelled_s if self.sitting_labelled_s else None

    def to_dict(self) -> dict:
        return {**self.__dict__, "sitting_agreement": self.sitting_agreement}


def score_clip(clip: str, label: ClipLabel, run: CheckerRun, *, counts_reps: bool) -> ClipScore:
    role = "own" if run.checker == label.checker else "negative"
    reported = run.reported_faults()
    score = ClipScore(clip=clip, checker=run.checker, role=role, faults_reported=sorted(reported),
                      judged_share=run.frames_judged / run.frames_total if run.frames_total else 0.0,
                      reasons=run.reasons(), margins=margin_counts(run.fault_checks))
    if role == "negative":
        score.negative_silent = not run.reps and not run.holds and not reported
        score.reps_found, score.holds_found = len(run.reps), len(run.holds)  # what broke the silence
    else:
        score.faults_expected = sorted(label.expected_faults())
        score.faults_unsure = sorted(label.unsure_faults())
        acceptable = label.acceptable_reps()
        if counts_reps and acceptable is not None:
            score.reps_expected = acceptable
            score.reps_found = len(run.reps)
            score.rep_error = min(abs(len(run.reps) - n) for n in acceptable)
        windows = label.hold_windows()
        if windows:
            found, errors = match_holds(windows, run.holds)
            score.holds_labelled, score.holds_found = len(windows), found
            score.hold_timing_error_s = sum(errors) / len(errors) if errors else None
    # Sitting segments are scored for the sitting checker, negatives included (walk: not_sitting).
    segments = label.sitting_segments()
    if segments and run.posture_frames:
        score.sitting_right_s, score.sitting_labelled_s = sitting_time(segments, run.posture_frames)
    score.silent_without_reason = not run.counted_anything() and not score.reasons and role == "own"
    return score


MARGIN_COUNTS = ("checks", "measured", "within_noise", "unsure", "not_judged")


def _number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def margin_counts(checks: list[dict]) -> dict[str, dict[str, int]]:
    """Per fault code: checks judged (fault, clear or unsure), those giving a value, a
    threshold and a noise (measured), those of them within the noise of the threshold,
    those judged unsure, and those not judged."""
    counts: dict[str, dict[str, int]] = {}
    for check in checks:
        n = counts.setdefault(check["code"], dict.fromkeys(MARGIN_COUNTS, 0))
        if check.get("verdict") == "not_judged":
            n["not_judged"] += 1
            continue
        n["checks"] += 1
        n["unsure"] += check.get("verdict") == "unsure"
        value, threshold, noise = check.get("value"), check.get("threshold"), check.get("noise")
        if _number(value) and _number(threshold) and _number(noise):
            n["measured"] += 1
            n["within_noise"] += abs(value - threshold) <= noise
    return counts


def match_holds(windows, holds: list[dict]) -> tuple[int, list[float]]:
    """How many labelled windows a found hold covers (one hold per window), and the mean
    start/end error of each match."""
    used: set[int] = set()
    found, errors = 0, []
    for w in windows:
        best, best_overlap = None, 0.0
        for i, h in enumerate(holds):
            if i in used or (w.side is not None and h.get("side") != w.side):
                continue
            overlap = max(0.0, min(w.end, h["end_s"]) - max(w.start, h["start_s"]))
            if overlap > best_overlap:
                best, best_overlap = i, overlap
        if best is not None and best_overlap >= HOLD_MIN_OVERLAP * (w.end - w.start):
            used.add(best)
            found += 1
            h = holds[best]
            errors.append((abs(h["start_s"] - w.start) + abs(h["end_s"] - w.end)) / 2)
    return found, errors


def sitting_time(segments, frames: list[tuple[float, str | None]]) -> tuple[float, float]:
    """Seconds right and seconds labelled, each frame weighted by the time to the next."""
    right = total = 0.0
    for (t, state), (t_next, _) in zip(frames, [*frames[1:], (None, None)]):
        dt = (t_next - t) if t_next is not None else (frames[-1][0] - frames[-2][0] if len(frames) > 1 else 0.0)
        seg = next((s for s in segments if s.start <= t <= s.end), None)
        if seg is None or dt <= 0:
            continue
        total += dt
        right += dt if ((state in NO_VERDICT) if seg.state == "not_sitting" else state == seg.state) else 0.0
    return right, total


@dataclass
class Summary:
    clips: int
    rep_clips: int
    reps_exact: float | None
    reps_within_one: float | None
    rep_mae: float | None
    fault_precision: float | None
    fault_recall: float | None
    fault_f1: float | None
    per_fault: dict[str, dict]
    sitting_agreement: float | None
    holds_found: float | None
    hold_timing_error_s: float | None
    negatives_silent: float | None
    negatives: int
    unjudged: list[dict]
    silent_without_reason: list[str]
    # per fault code: checks, not_judged, within_noise and unsure (shares), see margins_of
    margins: dict[str, dict] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def _share(values: list[bool]) -> float | None:
    return sum(values) / len(values) if values else None


def _prf(tp: int, fp: int, fn: int) -> dict:
    p = tp / (tp + fp) if tp + fp else None
    r = tp / (tp + fn) if tp + fn else None
    f1 = (2 * p * r / (p + r) if p is not None and r is not None and p + r else
          (1.0 if tp + fp + fn == 0 else 0.0))
    return {"tp": tp, "fp": fp, "fn": fn, "precision": p, "recall": r, "f1": f1}


def summarise(scores: list[ClipScore]) -> Summary:
    own = [s for s in scores if s.role == "own"]
    rep_scores = [s for s in own if s.rep_error is not None]
    counts: dict[str, list[int]] = {}
    for s in scores:
        expected, reported, unsure = set(s.faults_expected), set(s.faults_reported), set(s.faults_unsure)
        for code in expected | (reported - unsure):
            c = counts.setdefault(code, [0, 0, 0])
            c[0] += code in expected and code in reported
            c[1] += code in reported and code not in expected
            c[2] += code in expected and code not in reported
    per_fault = {code: _prf(*c) for code, c in sorted(counts.items())}
    total = [sum(c[i] for c in counts.values()) for i in range(3)]
    overall = _prf(*total)
    sit_labelled = sum(s.sitting_labelled_s for s in scores)
    hold_labelled = sum(s.holds_labelled for s in own)
    timing = [s.hold_timing_error_s for s in own if s.hold_timing_error_s is not None]
    negatives = [s for s in scores if s.role == "negative"]
    unjudged = [{"clip": s.clip, "checker": s.checker, "judged_share": s.judged_share, "told": s.reasons}
                for s in own if s.judged_share < 0.5]
    return Summary(
        clips=len({s.clip for s in scores}), rep_clips=len(rep_scores),
        reps_exact=_share([s.rep_error == 0 for s in rep_scores]),
        reps_within_one=_share([s.rep_error <= 1 for s in rep_scores]),
        rep_mae=sum(s.rep_error for s in rep_scores) / len(rep_scores) if rep_scores else None,
        fault_precision=overall["precision"], fault_recall=overall["recall"], fault_f1=overall["f1"],
        per_fault=per_fault,
        sitting_agreement=sum(s.sitting_right_s for s in scores) / sit_labelled if sit_labelled else None,
        holds_found=sum(s.holds_found for s in own) / hold_labelled if hold_labelled else None,
        hold_timing_error_s=sum(timing) / len(timing) if timing else None,
        negatives_silent=_share([bool(s.negative_silent) for s in negatives]), negatives=len(negatives),
        unjudged=unjudged, silent_without_reason=[f"{s.clip} ({s.checker})" for s in scores if s.silent_without_reason],
        margins=margins_of(scores),
    )


def margins_of(scores: list[ClipScore]) -> dict[str, dict]:
    """The runs' margin counts added up per fault code, with the shares: within noise of
    the measured checks, unsure of the judged ones (None when there are none)."""
    totals: dict[str, dict[str, int]] = {}
    for s in scores:
        for code, n in s.margins.items():
            t = totals.setdefault(code, dict.fromkeys(MARGIN_COUNTS, 0))
            for key in MARGIN_COUNTS:
                t[key] += n.get(key, 0)
    return {code: {**t, "within_noise_share": t["within_noise"] / t["measured"] if t["measured"] else None,
                   "unsure_share": t["unsure"] / t["checks"] if t["checks"] else None}
            for code, t in sorted(totals.items())}
