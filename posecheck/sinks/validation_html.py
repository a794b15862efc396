"""validation.html: the agreement report as one self-contained page (plots embedded)."""

from __future__ import annotations

import html
from pathlib import Path

from ..files import atomic_write
from .report import figure_png


def pct(v: float | None) -> str:
    """A share as a whole percentage, "-" for none (also the terminal table's format)."""
    return "-" if v is None else f"{v:.0%}"


def _plots(report: dict) -> list[tuple[str, str]]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plots = []
    reps = [c for c in report["clips"] if c["reps_expected"] is not None]
    if reps:
        fig, ax = plt.subplots(figsize=(5, 4), dpi=90)
        expected = [min(c["reps_expected"], key=lambda n: abs(n - c["reps_found"])) for c in reps]
        found = [c["reps_found"] for c in reps]
        top = max(expected + found + [1]) + 1
        ax.plot([0, top], [0, top], color="#999", lw=1)
        ax.fill_between([0, top], [-1, top - 1], [1, top + 1], color="#2f9d5f", alpha=0.1, label="within one")
        ax.scatter(expected, found, c=["#2f9d5f" if c["rep_error"] == 0 else "#d0453a" for c in reps], s=18)
        ax.set_xlabel("reps labelled (nearest acceptable)")
        ax.set_ylabel("reps counted")
        ax.set_title("Reps per clip", fontsize=10, loc="left")
        ax.legend(fontsize=8)
        plots.append(("reps labelled vs counted", figure_png(fig)))
    per_fault = report["summary"]["per_fault"]
    if per_fault:
        fig, ax = plt.subplots(figsize=(7, 0.5 + 0.45 * len(per_fault)), dpi=90)
        codes = list(per_fault)
        for i, key in enumerate(("precision", "recall", "f1")):
            vals = [per_fault[c][key] or 0.0 for c in codes]
            ax.barh([y + (i - 1) * 0.27 for y in range(len(codes))], vals, height=0.25, label=key)
        ax.set_yticks(range(len(codes)), codes, fontsize=8)
        ax.set_xlim(0, 1)
        ax.set_title("Faults: precision, recall, F1", fontsize=10, loc="left")
        ax.legend(fontsize=8, loc="lower right")
        plots.append(("fault scores", figure_png(fig)))
    sitting = [c for c in report["clips"] if c["sitting_agreement"] is not None]
    if sitting:
        fig, ax = plt.subplots(figsize=(7, 0.5 + 0.35 * len(sitting)), dpi=90)
        ax.barh(range(len(sitting)), [c["sitting_agreement"] for c in sitting], color="#1f6fb2")
        ax.set_yticks(range(len(sitting)), [Path(c["clip"]).name for c in sitting], fontsize=8)
        ax.axvline(0.9, ls="--", color="#555", lw=1)
        ax.set_xlim(0, 1)
        ax.set_title("Sitting: share of labelled time in the right state", fontsize=10, loc="left")
        plots.append(("sitting agreement", figure_png(fig)))
    return plots


def _perturb_html(perturb: dict | None) -> str:
    if perturb is None:
        return ""
    e = html.escape
    labels = list(perturb["factors"])

    def flipped(items: list[dict]) -> str:
        return "<br>".join(f"{'+' if x['reported'] else '&minus;'} {e(x['clip'])} ({e(x['checker'])})" for x in items)

    rows = "".join(f"<tr><td>{e(code)}</td><td>{f['verdicts']}</td><td>{f['reported']}</td>"
                   + "".join(f"<td>{f['flips'][label]}</td><td>{flipped(f['flipped'][label])}</td>" for label in labels)
                   + "</tr>" for code, f in perturb["per_fault"].items())
    head = "".join(f"<th>flips {e(label)}</th><th>clips {e(label)}</th>" for label in labels)
    notes = "".join(f"<li>not perturbed: {e(u['code'])} ({e(u['checker'])}): {e(u['reason'])}</li>"
                    for u in perturb["not_perturbed"])
    notes += "".join(f"<li>failed: {e(f['clip'])}: {e(f['reason'])}</li>" for f in perturb["failed"])
    return (f"<h2>Threshold perturbation</h2><p>Every clip replayed with {e(perturb['rule'])}. Clip &times; checker "
            f"verdicts (fault reported or not) that flip; + reported only when perturbed, &minus; no longer "
            f"reported.</p><table><tr><th>code</th><th>verdicts</th><th>reported</th>{head}</tr>{rows}</table>"
            + (f"<ul>{notes}</ul>" if notes else ""))


def write_validation_html(path: Path, report: dict) -> None:
    e = html.escape
    s = report["summary"]
    rows = []
    for c in report["clips"]:
        bad = (c["rep_error"] not in (None, 0) or c["negative_silent"] is False or c["silent_without_reason"]
               or set(c["faults_expected"]) != set(c["faults_reported"]) - set(c["faults_unsure"]))
        reps = "-" if c["reps_expected"] is None else f"{'/'.join(map(str, c['reps_expected']))} / {c['reps_found']}"
        holds = f"{c['holds_found']}/{c['holds_labelled']}" if c["holds_labelled"] else "-"
        told = "; ".join(c["reasons"][:3])
        rows.append(
            f"<tr class='{'bad' if bad else 'good'}'><td>{e(c['clip'])}</td><td>{e(c['checker'])}</td>"
            f"<td>{e(c['role'])}</td><td>{reps}</td><td>{holds}</td><td>{pct(c['sitting_agreement'])}</td>"
            f"<td>{e(', '.join(c['faults_expected']) or '-')}</td><td>{e(', '.join(c['faults_reported']) or '-')}</td>"
            f"<td>{pct(c['judged_share'])}</td><td>{e(told)}</td></tr>")
    faults = "".join(f"<tr><td>{e(code)}</td><td>{f['tp']}</td><td>{f['fp']}</td><td>{f['fn']}</td>"
                     f"<td>{pct(f['precision'])}</td><td>{pct(f['recall'])}</td><td>{f['f1']:.2f}</td></tr>"
                     for code, f in s["per_fault"].items())
    goals = "".join(f"<li class='{'pass' if g['met'] else 'fail'}'>{'PASS' if g['met'] else 'FAIL'}: "
                    f"{e(g['label'])} &ge; {g['minimum']:.0%} (measured {pct(g['value'])})</li>" for g in report["goals"])
    failed = "".join(f"<li>{e(f['clip'])}: {e(f['reason'])}</li>" for f in report["failed"])
    plots = "".join(f"<figure><img alt='{e(name)}' src='data:image/png;base64,{png}'></figure>"
                    for name, png in _plots(report))
    f1 = f"{s['fault_f1']:.2f}" if s["fault_f1"] is not None else "-"
    margins = s.get("margins") or {}
    margins_html = ("<table><tr><th>code</th><th>checks</th><th>within noise</th><th>unsure</th>"
                    "<th>not judged</th></tr>"
                    + "".join(f"<tr><td>{e(code)}</td><td>{m['checks']}</td><td>{pct(m['within_noise_share'])}</td>"
                              f"<td>{pct(m['unsure_share'])}</td><td>{m['not_judged']}</td></tr>"
                              for code, m in margins.items()) + "</table>") if margins else \
        "<p>No fault checks recorded.</p>"
    doc = f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>posecheck validation</title>
<style>body{{font-family:system-ui,sans-serif;margin:1.5rem}}table{{border-collapse:collapse;font-size:.85rem}}
td,th{{border:1px solid #ccc;padding:.2rem .4rem}}tr.bad td{{background:#fde8e6}}tr.good td{{background:#eef8f1}}
li.fail{{color:#b02a1e}}figure{{display:inline-block;margin:.5rem}}img{{max-width:100%}}</style></head><body>
<h1>posecheck validation</h1>
<p>{s['clips']} clips from <code>{e(report['labels'])}</code>, model {e(report['model'])}, posecheck {e(report['posecheck'])}
({e(report['machine'])}).</p>
<ul>
<li>Reps: exact on {pct(s['reps_exact'])} of {s['rep_clips']} rep-labelled clips, within one on {pct(s['reps_within_one'])}.</li>
<li>Faults: precision {pct(s['fault_precision'])}, recall {pct(s['fault_recall'])}, F1 {f1}.</li>
<li>Sitting: {pct(s['sitting_agreement'])} of labelled time in the right state.</li>
<li>Holds: {pct(s['holds_found'])} of labelled windows found.</li>
<li>Negatives: {pct(s['negatives_silent'])} of {s['negatives']} kept silent.</li>
<li>Silent without a reason: {e(', '.join(s['silent_without_reason']) or 'none')}.</li>
</ul>
<ul>{goals}</ul>{"<h2>Failed</h2><ul>" + failed + "</ul>" if failed else ""}
{plots}
<h2>Faults</h2><table><tr><th>code</th><th>tp</th><th>fp</th><th>fn</th><th>precision</th><th>recall</th><th>F1</th></tr>{faults}</table>
<h2>Margins</h2><p>Per fault, the checks judged (one per fault per rep, hold or posture span) and the share
whose value sat within the measurement noise of the threshold (|value &minus; threshold| &le; noise): verdicts the
noise could have turned.</p>{margins_html}
{_perturb_html(report.get("perturb"))}
<h2>Clips</h2><table><tr><th>clip</th><th>checker</th><th>role</th><th>reps labelled / counted</th><th>holds found</th>
<th>sitting</th><th>faults labelled</th><th>faults reported</th><th>judged</th><th>what the user was told</th></tr>
{''.join(rows)}</table>
<p><small>Unsure labels are not scored. Schema {e(report['schema'])} v{report['version']}.</small></p></body></html>"""
    with atomic_write(path) as fh:
        fh.write(doc)
