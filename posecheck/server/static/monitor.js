// The posture monitor's page: today from the history, and the running monitor's state,
// live preview and alerts pushed by the server (server-sent events), with snooze buttons.
"use strict";
const $ = (id) => document.getElementById(id);
const STATES = ["upright", "slouched", "not_sitting", "not_visible", "away", "paused", "stale"];
const WORDS = { upright: "Upright", slouched: "Slouched", not_sitting: "Not sitting", not_visible: "Not visible",
  away: "Away", paused: "Paused", stale: "Calibration stale", starting: "Starting" };
const fmt = (ts) => new Date(ts * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });

function toast(text) {
  const div = document.createElement("div");
  div.className = "toast";
  div.textContent = text;
  $("toasts").appendChild(div);
  setTimeout(() => div.remove(), 12000); // gentle: it goes by itself
}

function addAlert(a, first) {
  const li = document.createElement("li");
  li.textContent = `${fmt(a.ts)} ${a.message}`;
  if (first) $("alerts").prepend(li); else $("alerts").appendChild(li);
}

function showStatus(s) {
  if (!s.running) {
    $("state").textContent = "monitor not running";
    $("setup").textContent = "(start it with `posecheck monitor`)";
    $("preview").querySelector("tbody").replaceChildren();
    return;
  }
  const latest = s.latest || {};
  const state = s.paused ? "paused" : (latest.state || "starting");
  $("state").textContent = WORDS[state] || state;
  $("state").className = state;
  $("setup").textContent = `setup ${s.setup}` + (s.paused ? ` | ${s.paused}` +
    (s.paused_until ? ` until ${fmt(s.paused_until)}` : " until resumed") : "");
  $("stale").hidden = !latest.stale;
  $("stale").textContent = latest.stale ? `Calibration looks stale: ${latest.stale}. Run posecheck monitor calibrate --setup ${s.setup}.` : "";
  const rows = (latest.preview || []).map((item) => {
    const tr = document.createElement("tr");
    const over = item.value !== null && (item.fault_if === "above" ? item.value > item.limit : item.value < item.limit);
    const share = item.value === null ? 0 : Math.max(0.02, Math.min(1, item.fault_if === "above"
      ? item.value / (item.limit * 1.25) : item.limit / Math.max(item.value, 1e-6) * 0.8));
    tr.innerHTML = `<td></td><td>${item.value === null ? "-" : item.value.toFixed(2)}</td>` +
      `<td>${item.fault_if === "above" ? "below" : "above"} ${item.limit.toFixed(2)}</td>` +
      `<td class="meter"><div class="${over ? "over" : ""}" style="width:${Math.round(share * 100)}%"></div></td>`;
    tr.firstChild.textContent = item.title;
    return tr;
  });
  $("preview").querySelector("tbody").replaceChildren(...rows);
}

async function refresh() {
  const day = await (await fetch("/api/monitor/day")).json();
  if (!day.has_history || !day.summary) {
    $("summary").textContent = "No history yet: run `posecheck monitor`.";
    return;
  }
  const s = day.summary, sec = s.seconds;
  $("score").textContent = (s.score !== null ? `Posture score today: ${s.score}` : "Posture score today: not yet (under 10 min judged)") +
    ` | streak: ${day.streak} day${day.streak === 1 ? "" : "s"} at 75 or more`;
  $("days").replaceChildren(...day.days.map((d) => {
    const bar = document.createElement("div");
    if (d.score === null) bar.className = "none"; else bar.style.height = `${Math.max(4, d.score / 2)}px`;
    bar.title = `${d.date}: ${d.score === null ? "no score" : d.score}`;
    return bar;
  }));
  $("summary").textContent = `${day.date}: upright ${(sec.upright / 60).toFixed(0)} min, slouched ${(sec.slouched / 60).toFixed(0)} min` +
    (s.upright_share !== null ? ` (${Math.round(s.upright_share * 100)}% upright)` : "") +
    `; paused ${(sec.paused / 60).toFixed(0)} min; longest sitting streak ${(s.longest_sitting_streak_s / 60).toFixed(0)} min; ` +
    `${s.posture_alerts} posture alerts, ${s.break_reminders} break reminders, ${s.breaks_taken} breaks.`;
  $("timeline").replaceChildren(...day.timeline.map((m) => {
    const d = document.createElement("div");
    d.className = m.state;
    d.title = `${fmt(m.minute_ts)} ${m.state}`;
    return d;
  }));
  $("hours").replaceChildren(...day.hourly.map((h) => {
    const bar = document.createElement("div");
    bar.className = "bar";
    const label = document.createElement("div");
    label.className = "lbl";
    label.textContent = new Date(h.hour_ts * 1000).getHours() + "h";
    bar.appendChild(label);
    for (const st of STATES) {
      const span = document.createElement("span");
      span.className = st;
      span.style.height = `${((h[st + "_s"] || 0) / 3600) * 150}px`;
      span.title = `${st}: ${((h[st + "_s"] || 0) / 60).toFixed(1)} min`;
      bar.appendChild(span);
    }
    return bar;
  }));
  $("alerts").replaceChildren();
  for (const a of day.alerts.slice(-20)) addAlert(a, true);
}

async function control(path, body) {
  const res = await fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body || {}) });
  const data = await res.json();
  if (!res.ok) toast(data.detail || "the monitor did not answer");
}

for (const button of document.querySelectorAll("[data-pause]")) {
  button.addEventListener("click", () => control("/api/monitor/pause", { duration: button.dataset.pause }));
}
$("resume").addEventListener("click", () => control("/api/monitor/resume"));

const events = new EventSource("/api/monitor/events");
events.addEventListener("status", (e) => showStatus(JSON.parse(e.data)));
events.addEventListener("alert", (e) => {
  const a = JSON.parse(e.data);
  toast(a.message);
  addAlert(a, true);
});
refresh();
setInterval(refresh, 60000);
