"""Per-video report files: report.json, reps.csv, events.csv, frames.csv, report.html
(self-contained: plots as embedded PNGs). Every file is written to a temp name and
renamed, so an interrupted run leaves no half-written report."""

from __future__ import annotations

import base64
import csv
import html
import io
import json
from pathlib import Path

from ..engine.checker import FrameResult
from ..engine.spec import ExerciseSpec, for_view
from ..engine.verdicts import calibration_words, is_good, rep_verdict
from ..files import atomic_write
from ..pose.landmarks import Landmark


class FramesCsv:
    """frames.csv, streamed: time, state, the metrics the checks use, and every landmark."""

    def __init__(self, path: Path, metric_names: list[str]) -> None:
        self.metric_names = metric_names
        self._ctx = atomic_write(path)
        self._fh = self._ctx.__enter__()
        self._writer = csv.writer(self._fh)
        lm_cols = [f"{lm.name.lower()}_{k}" for lm in Landmark for k in ("x", "y", "vis")]
        self._writer.writerow(["t_s", "person", "view", "position", "phase", "judged", "rep_count",
                               "active_faults", *metric_names, *lm_cols])

    def write(self, result: FrameResult, pose) -> None:
        metrics = [("" if result.metrics.get(m) is None else f"{result.metrics[m]:.3f}") for m in self.metric_names]
        if pose is not None:
            lms = [f"{v:.5f}" for row in zip(pose.xyz_norm[:, 0], pose.xyz_norm[:, 1], pose.visibility) for v in row]
        else:
            lms = [""] * (len(Landmark) * 3)
        self._writer.writerow([f"{result.t_s:.3f}", int(result.has_pose), result.view, result.position, result.phase,
                               int(result.judged), result.rep_count, " ".join(result.active_faults), *metrics, *lms])

    def close(self, ok: bool = True) -> None:
        if ok:
            self._ctx.__exit__(None, None, None)
        else:
            self._ctx.__exit__(RuntimeError, RuntimeError("aborted"), None)


def spec_metric_names(spec: ExerciseSpec) -> list[str]:
    names: list[str] = []
    if spec.reps:
        metric = spec.reps.metric
        names += list(metric.values()) if isinstance(metric, dict) else [metric]
    if spec.hold:
        names.append(spec.hold.metric)
    names += [f.metric for f in spec.faults]
    return list(dict.fromkeys(names))


def write_json(path: Path, data: dict) -> None:
    with atomic_write(path) as fh:
        json.dump(data, fh, indent=1)


def write_reps_csv(path: Path, report: dict) -> None:
    metric_keys = sorted({k for rep in report["reps"] for k in rep["metrics"]})
    with atomic_write(path) as fh:
        w = csv.writer(fh)
        w.writerow(["index", "start_s", "end_s", "bottom_s", "side", "faults", *metric_keys])
        for rep in report["reps"]:
            w.writerow([rep["index"], rep["start_s"], rep["end_s"], rep["bottom_s"], rep["side"] or "",
                        " ".join(rep["faults"]), *[rep["metrics"].get(k, "") for k in metric_keys]])


def write_events_csv(path: Path, report: dict) -> None:
    with atomic_write(path) as fh:
        w = csv.writer(fh)
        w.writerow(["t_s", "kind", "code", "severity", "message"])
        for e in report["events"]:
            w.writerow([e["t_s"], e["kind"], e["code"], e["severity"], e["message"]])


# --- HTML ------------------------------------------------------------------------------------

def _plot_png(spec: ExerciseSpec, report: dict, results: list[FrameResult]) -> list[tuple[str, str]]:
    """One plot per key metric: the value over time, reps shaded, thresholds and cues marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    view = report["view"] if report["view"] in ("side", "front", "back") else "side"
    plots = []
    cue_events = [e for e in report["events"] if e["kind"] == "cue"]
    import numpy as np

    judged_here = {f.metric for f in spec.faults if view in f.views}
    if spec.reps:
        judged_here.add(for_view(spec.reps.metric, view))
    if spec.hold:
        judged_here.add(spec.hold.metric)
    ts = [r.t_s for r in results]
    for metric in spec_metric_names(spec):
        if metric not in judged_here:
            continue
        vs = np.array([r.metrics.get(metric, np.nan) for r in results], dtype=float)  # gaps stay gaps
        if np.count_nonzero(~np.isnan(vs)) < 2:
            continue
        fig, ax = plt.subplots(figsize=(9, 2.6), dpi=90)
        ax.plot(ts, vs, lw=1.2, color="#1f6fb2")
        for rep in report["reps"]:
            colour = "#d0453a" if rep["faults"] else ("#2f9d5f" if rep.get("judged", True) else "#888888")
            ax.axvspan(rep["start_s"], rep["end_s"], color=colour, alpha=0.12)
        for hold in report.get("holds", []):
            ax.axvspan(hold["start_s"], hold["end_s"], color="#f0b429", alpha=0.15)
        if spec.reps and metric == for_view(spec.reps.metric, view):
            for name, value in (("rep start", for_view(spec.reps.enter, view)), ("rep end", for_view(spec.reps.exit, view))):
                ax.axhline(value, ls=":", color="#555", lw=1)
                ax.text(0.01, value, f" {name}", fontsize=7, va="bottom", color="#555",
                        transform=ax.get_yaxis_transform())
        for f in spec.faults:
            if f.metric != metric or view not in f.views:
                continue
            if f.reference is None:
                ax.axhline(f.enter, ls="--", color="#d0453a", lw=1)
                ax.text(0.99, f.enter, f"{f.code} ", fontsize=7, ha="right", va="bottom", color="#d0453a",
                        transform=ax.get_yaxis_transform())
            for e in cue_events:
                if e["code"] == f.code:
                    ax.axvline(e["t_s"], color="#d0453a", lw=1.5, alpha=0.8)
        ax.set_xlim(ts[0], ts[-1])  # every plot on the whole clip's time axis
        ax.set_title(metric, fontsize=9, loc="left")
        ax.set_xlabel("time (s)", fontsize=8)
        ax.tick_params(labelsize=7)
        plots.append((metric, figure_png(fig)))
    return plots


def figure_png(fig) -> str:
    """A matplotlib figure as base64 PNG for an <img> data URL; the figure is closed."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def write_report_html(path: Path, spec: ExerciseSpec, report: dict, results: list[FrameResult]) -> None:
    e = html.escape

    def words(codes) -> str:  # a person reads this page: faults in words, never codes
        return ", ".join(spec.fault_label(c) for c in codes)

    rows = "".join(
        f"<tr class='{'bad' if r['faults'] or r.get('hold_short') else ('good' if is_good(r) else '')}'>"
        f"<td>{r['index']}</td><td>{r['start_s']:.1f}</td>"
        f"<td>{r['end_s']:.1f}</td><td>{r['bottom_s']:.1f}</td><td>{e(r['side'] or '')}</td>"
        f"<td>{e(rep_verdict(r, spec.fault_label))}</td></tr>"
        for r in report["reps"])
    holds = "".join(f"<tr><td>{h['start_s']:.1f}-{h['end_s']:.1f} s</td><td>{e(h['side'] or '')}</td>"
                    f"<td>{h['duration_s']:.1f} s</td><td>{h['good_s']:.1f} s</td>"
                    f"<td>{h['target_s'][0]:.0f}-{h['target_s'][1]:.0f} s</td></tr>" for h in report["holds"])
    posture = "".join(f"<tr><td>{p['start_s']:.1f}-{p['end_s']:.1f} s</td><td>{e(p['state'])}</td>"
                      f"<td>{e(words(p['faults']))}</td></tr>" for p in report.get("posture", []))
    events = "".join(f"<li>{ev['t_s']:.1f} s [{e(ev['kind'])}] {e(ev['message'])}</li>"
                     for ev in report["events"] if ev["kind"] in ("cue", "view", "info"))
    plots = "".join(f"<figure><img alt='{e(name)} over time' src='data:image/png;base64,{png}'></figure>"
                    for name, png in _plot_png(spec, report, results))
    faults = ", ".join(f"{spec.fault_label(k).lower()} x{v}" for k, v in report["summary"]["fault_counts"].items()) or "none"
    doc = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{e(report['source']['name'])}: {e(spec.exercise.title)}</title>
<style>body{{font-family:system-ui,sans-serif;margin:1.5rem;max-width:60rem}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:.2rem .5rem}}tr.bad td{{background:#fde8e6}}tr.good td{{background:#e6f6ec}}
figure{{margin:.5rem 0}}img{{max-width:100%}}</style></head><body>
<h1>{e(spec.exercise.title)}: {e(report['source']['name'])}</h1>
<p>{report['duration_s']:.1f} s, view: {e(report['view'])}, {report['summary']['rep_count']} reps,
{report['summary']['hold_count']} holds; faults: {e(faults)};
{calibration_words(report)}.</p>
{"<h2>Not judged in this clip</h2><ul>" + "".join(f"<li>{e(n['title'])}: {e(n['reason'])}</li>" for n in report['not_judged']) + "</ul>" if report.get('not_judged') else ""}
{"<h2>Reps</h2><table><tr><th>#</th><th>start s</th><th>end s</th><th>bottom s</th><th>side</th><th>verdict</th></tr>" + rows + "</table>" if report['reps'] else ""}
{"<h2>Holds</h2><table><tr><th>when</th><th>side</th><th>held</th><th>good form</th><th>target</th></tr>" + holds + "</table>" if report['holds'] else ""}
{"<h2>Posture</h2><table><tr><th>when</th><th>state</th><th>faults</th></tr>" + posture + "</table>" if posture else ""}
<h2>Angles over time</h2><p>Shaded: reps (green good, red with faults, grey form not judged), holds (yellow). Red lines: cues given.
Dashed: fixed fault thresholds; dotted: where a rep starts and ends.</p>{plots}
<h2>Feedback</h2><ol>{events}</ol>
<p><small>posecheck report schema {report['schema']} v{report['version']}</small></p></body></html>"""
    with atomic_write(path) as fh:
        fh.write(doc)
