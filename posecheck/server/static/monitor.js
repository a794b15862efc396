// The posture monitor's page: today from the history, and the running monitor's state,
// live preview and alerts pushed by the server (server-sent events), with snooze buttons.
"use strict";
const $ = (id) => document.getElementById(id);
const STATES = ["upright", "slouched", "not_sitting", "not_visible", "away", "paused", "stale"];
const WORDS = { upright: "Upright", slouched: "Slouched", not_sitting: "Not sitting", not_visible: "Not visible",
  away: "Away", paused: "Paused", stale: "Camera moved", starting: "Starting" };
// Times and dates in the reader's own locale.
const fmt = (ts) => new Date(ts * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
const dayOf = (iso) => { const [y, m, d] = iso.split("-").map(Number); return new Date(y, m - 1, d); };
const fmtDay = (iso) => dayOf(iso).toLocaleDateString([], { weekday: "short", day: "numeric", month: "short" });
const isToday = (iso) => dayOf(iso).toDateString() === new Date().toDateString();
const minutes = (s) => `${Math.round(s / 60)} min`;
const PAUSES = { snooze: "on snooze", locked: "paused while the screen is locked", idle: "paused while you are away from the keyboard",
  battery: "paused to save battery" };

// Each live check in words, with its unit. Angles are degrees; lengths and sizes read as a
// share of the same length when you sat upright (the baseline), when there is one.
const CHECKS = {
  head_forward_deg: { hint: "neck leaning ahead of vertical" },
  shoulder_ahead_deg: { hint: "shoulders leaning ahead of the hips" },
  trunk_length_ratio: { hint: "back length against your upright one", of: "of your upright length" },
  neck_drop_ratio: { hint: "neck height against your upright one", of: "of your upright height" },
  head_size_ratio: { hint: "head size against your shoulders", of: "of your upright size" },
  head_pitch_ratio: { hint: "nose below the ears, as a share of a head width" },
};

function amount(metric, value, reference) {
  const check = CHECKS[metric] || {};
  if (metric.endsWith("_deg")) return `${Math.round(value)}°`;
  if (metric.endsWith("_s")) return `${Math.round(value)} s`;
  if (check.of && reference > 0) return `${Math.round((value / reference) * 100)}%`;
  return `${Math.round(value * 100)}%`; // a share (of a body length, or of a head width)
}

function limitWords(item) {
  const side = item.fault_if === "above" ? "stay below" : "stay above";
  const check = CHECKS[item.metric] || {};
  const base = item.metric.endsWith("_deg") ? ` (upright: ${amount(item.metric, item.reference, item.reference)})`
    : check.of && item.reference > 0 ? ` ${check.of}` : "";
  return `${side} ${amount(item.metric, item.limit, item.reference)}${base}`;
}

// A named desk setup (`--setup laptop`) is shown by its name; the unnamed one needs no words.
function setupWords(setup) {
  return !setup || setup === "default" ? "" : `using your desk setup \u201c${setup}\u201d`;
}

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
    $("state").textContent = "Not running";
    $("state").className = "";
    $("setup").textContent = "Start the monitor on this computer with: posecheck monitor";
    $("stale").hidden = true;
    $("preview").querySelector("tbody").replaceChildren();
    return;
  }
  const latest = s.latest || {};
  const state = s.paused ? "paused" : (latest.state || "starting");
  $("state").textContent = WORDS[state] || state;
  $("state").className = state;
  let pause = "";
  if (s.paused) {
    pause = PAUSES[s.paused] || "paused";
    if (s.paused === "snooze") pause = s.paused_until ? `snooze until ${fmt(s.paused_until)}` : "snooze until you resume";
  }
  $("setup").textContent = [setupWords(s.setup), pause].filter(Boolean).join(" · ");
  $("stale").hidden = !latest.stale;
  $("stale").textContent = latest.stale ? `The camera seems to have moved since it was calibrated: ${latest.stale}. ` +
    "Posture is not judged until you calibrate again: posecheck monitor calibrate" +
    (s.setup && s.setup !== "default" ? ` --setup ${s.setup}` : "") : "";
  const rows = (latest.preview || []).map((item) => {
    const tr = document.createElement("tr");
    const over = item.value !== null && (item.fault_if === "above" ? item.value > item.limit : item.value < item.limit);
    const share = item.value === null ? 0 : Math.max(0.02, Math.min(1, item.fault_if === "above"
      ? item.value / (item.limit * 1.25) : item.limit / Math.max(item.value, 1e-6) * 0.8));
    const check = CHECKS[item.metric] || {};
    tr.innerHTML = `<td><span class="title"></span><span class="hint muted small"></span></td><td class="value"></td>` +
      `<td class="limit"></td><td class="meter"><div class="${over ? "over" : ""}" style="width:${Math.round(share * 100)}%"></div></td>`;
    tr.querySelector(".title").textContent = item.title;
    tr.querySelector(".hint").textContent = check.hint || "";
    tr.querySelector(".value").textContent = item.value === null ? "not seen" : amount(item.metric, item.value, item.reference);
    tr.querySelector(".limit").textContent = limitWords(item);
    return tr;
  });
  $("preview").querySelector("tbody").replaceChildren(...rows);
}

async function refresh() {
  const day = await (await fetch("/api/monitor/day")).json();
  if (!day.has_history || !day.summary) {
    $("summary").textContent = "Nothing recorded yet: start the monitor on this computer with: posecheck monitor";
    return;
  }
  const s = day.summary, sec = s.seconds;
  $("score").textContent = (s.score !== null ? `Posture score today: ${s.score} of 100`
    : "Posture score today: not yet (it needs 10 min of sitting seen)") +
    (day.streak ? ` · ${day.streak} day${day.streak === 1 ? "" : "s"} in a row at 75 or more` : "");
  $("days").replaceChildren(...day.days.map((d) => {
    const bar = document.createElement("div");
    if (d.score === null) bar.className = "none"; else bar.style.height = `${Math.max(4, d.score / 2)}px`;
    bar.title = `${fmtDay(d.date)}: ${d.score === null ? "no score" : `score ${d.score} of 100`}`;
    return bar;
  }));
  const count = (n, one, many) => `${n} ${n === 1 ? one : many}`;
  $("summary").textContent = `${isToday(day.date) ? "Today" : fmtDay(day.date)}: upright ${minutes(sec.upright)}, ` +
    `slouched ${minutes(sec.slouched)}` +
    (s.upright_share !== null ? ` (${Math.round(s.upright_share * 100)}% upright)` : "") +
    `; paused ${minutes(sec.paused)}; longest time sitting without a break ${minutes(s.longest_sitting_streak_s)}; ` +
    `${count(s.posture_alerts, "posture alert", "posture alerts")}, ` +
    `${count(s.break_reminders, "break reminder", "break reminders")}, ${count(s.breaks_taken, "break", "breaks")} taken.`;
  $("timeline").replaceChildren(...day.timeline.map((m) => {
    const d = document.createElement("div");
    d.className = m.state;
    d.title = `${fmt(m.minute_ts)} ${(WORDS[m.state] || m.state).toLowerCase()}`;
    return d;
  }));
  $("hours").replaceChildren(...day.hourly.map((h) => {
    const bar = document.createElement("div");
    bar.className = "bar";
    const label = document.createElement("div");
    label.className = "lbl";
    label.textContent = new Date(h.hour_ts * 1000).toLocaleTimeString([], { hour: "numeric" });
    bar.appendChild(label);
    for (const st of STATES) {
      const span = document.createElement("span");
      span.className = st;
      span.style.height = `${((h[st + "_s"] || 0) / 3600) * 150}px`;
      span.title = `${WORDS[st]}: ${minutes(h[st + "_s"] || 0)}`;
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
