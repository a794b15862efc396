// posecheck guided session: the server holds the routine's plan and each set's outcome;
// this page walks through them (safety screen, each set with live counters and cues, a
// rest countdown, skip or repeat, the pain stop) and shows the summary in words.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { routines: {}, exercises: {}, run: null, index: 0, ws: null, stream: null, running: false,
  t0: 0, stopReason: null, restTimer: null, ended: false, preparing: false, holdMemo: {} };

function speak(text) {
  LiveCamera.speak($("speak").checked, text);
}

function show(section) {
  for (const id of ["safety", "set", "rest", "summary"]) $(id).hidden = id !== section;
}

function setCue(text, cls) {
  $("cue").textContent = text;
  $("cue").className = cls || "";
}

async function api(path, body) {
  const res = await fetch(path, { method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body || {}) });
  const data = await res.json();
  if (!res.ok) throw new Error(data.detail || res.statusText);
  return data;
}

async function loadRoutines() {
  for (const ex of await (await fetch("/api/exercises")).json()) state.exercises[ex.name] = ex;
  const routines = await (await fetch("/api/routines")).json();
  for (const r of routines) {
    state.routines[r.name] = r;
    const opt = document.createElement("option");
    opt.value = r.name;
    opt.textContent = r.title;
    $("routine").appendChild(opt);
  }
  const wanted = new URLSearchParams(location.search).get("routine");
  if (wanted && state.routines[wanted]) $("routine").value = wanted;
  showRoutine();
}

function showRoutine() {
  const r = state.routines[$("routine").value];
  if (!r) return;
  $("routine-summary").textContent = r.summary;
  $("red-flags").replaceChildren(...r.safety.map((line) => Object.assign(document.createElement("li"), { textContent: line })));
  $("advice").replaceChildren(...(r.advice || []).map((line) => Object.assign(document.createElement("li"), { textContent: line })));
  $("plan").replaceChildren(...r.sets.map((s) => Object.assign(document.createElement("li"), { textContent: s.description })));
}

async function begin() {
  try {
    state.run = await api("/api/guided", { routine: $("routine").value, user: $("user").value });
  } catch (err) {
    $("routine-summary").textContent = `Could not start: ${err.message}`;
    return;
  }
  $("stored").textContent = state.run.stored ? "Stored in your local history." : "Not stored (history is off for this user).";
  showSet(0);
}

function plan() { return state.run.sets[state.index]; }

function showSet(index) {
  state.index = index;
  const p = plan();
  const ex = state.exercises[p.exercise];
  $("set-title").textContent = p.title;
  $("set-target").textContent = p.description;
  $("set-note").textContent = p.note || "";
  $("camera-text").textContent = ex ? ex.camera : "";
  $("reps").textContent = "0";
  $("count-label").textContent = p.counts === "holds" ? `Holds${p.per_side ? " (fewest side)" : ""}` : "Reps";
  $("reps-target").textContent = p.target ? ` of ${p.target}` : "";
  $("hold-box").hidden = !p.hold_s;
  $("hold").textContent = LiveCamera.holdText(null, p.hold_s).text;
  $("hold-bar").style.width = "0%";
  $("status").textContent = "";
  state.holdMemo = {};
  $("start-set").disabled = false;
  $("finish-set").disabled = true;
  $("skip-set").disabled = false;
  setCue("Press Start set: the camera checks you are in view, then counts down", "");
  show("set");
  speak(`${p.title}. ${p.description}.`);
}

function drawOverlay(msg) {
  LiveCamera.drawSkeleton($("overlay"), $("video"), msg, true, state.running ? state.capture : null);
}

function showFrame(msg) {
  drawOverlay(msg);
  $("status").textContent = LiveCamera.statusText(msg, state.exercises[plan().exercise]);
  $("debug").textContent = LiveCamera.debugText(msg);
}

function onFrame(msg) {
  showFrame(msg);
  const p = plan();
  // Reps, or holds where the plan counts holds: the same number the set's summary gives.
  $("reps").textContent = p.counts === "holds" ? msg.hold_count : msg.rep_count;
  if (p.hold_s) {
    const shown = LiveCamera.holdText(msg.hold, p.hold_s);
    $("hold").textContent = shown.text;
    $("hold-bar").style.width = `${Math.round(100 * shown.share)}%`;
    const prompt = LiveCamera.holdPrompt(msg.hold, p.hold_s, state.holdMemo);
    if (prompt) { setCue(prompt, msg.hold.good_s >= p.hold_s[0] ? "good" : ""); speak(prompt); }
  }
  LiveCamera.updateBanner($("view-banner"), msg);
  for (const ev of msg.events) {
    if (ev.kind === "view") {
      speak(ev.message);
    } else if (ev.kind === "info") {
      if (LiveCamera.showNote($("notes"), ev)) speak(ev.message);
    } else if (ev.kind === "cue") {
      setCue(ev.message, "fault");
      speak(ev.message);
    } else if (ev.kind === "rep" && (ev.code === "good_rep" || ev.code === "rep_counted")) {
      setCue(ev.message, ev.code === "good_rep" ? "good" : "");  // never an earlier rep's praise over this one
    } else if (ev.kind === "rep" && (ev.code === "rep_hold_short" || ev.code === "rep_with_faults")) {
      setCue(ev.message, "fault");
      if (ev.code === "rep_hold_short") speak(ev.message.split(": ").pop());
    } else if (ev.kind === "hold" && ev.code === "hold_short") {
      setCue(ev.message, "fault");
      speak(ev.message.split("; ").pop());
    }
  }
}

function sendFrame(capture) {
  LiveCamera.sendFrame(state.ws, $("video"), capture, state.t0, () => state.running);
}

async function startSet() {
  if (state.starting || state.running || state.preparing) return;  // a double click starts one set
  state.starting = true;
  $("start-set").disabled = true;
  $("skip-set").disabled = true;
  try {
    await startSetOnce();
  } finally {
    state.starting = false;
  }
}

async function startSetOnce() {
  if (!state.stream) {
    try {
      state.stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: false });
    } catch (err) {
      setCue(`Camera unavailable: ${err.message}`, "fault");
      $("start-set").disabled = false;
      $("skip-set").disabled = false;
      return;
    }
    $("video").srcObject = state.stream;
  }
  state.config = state.config || await (await fetch("/api/config")).json();
  await LiveCamera.choosePoseSite(state.config, $("video"), setCue);
  $("pose-site").textContent = LiveCamera.poseWords();
  const p = plan();
  $("notes").innerHTML = "";
  $("notes").hidden = true;
  $("start-set").disabled = true;
  $("skip-set").disabled = true;
  $("finish-set").disabled = false;
  state.preparing = true;
  const ready = await LiveCamera.prepare({ ex: state.exercises[p.exercise], user: state.run.user, video: $("video"),
    onMessage: showFrame, say: speak, show: setCue, cancelled: () => !state.preparing });
  if (!state.preparing || !ready) {  // Finish, Stop: pain or a lost connection while framing
    state.preparing = false;
    $("start-set").disabled = false;
    $("skip-set").disabled = false;
    $("finish-set").disabled = true;
    return;
  }
  state.preparing = false;
  const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws/live`);
  ws.binaryType = "arraybuffer";
  state.ws = ws;
  state.running = true;
  state.stopReason = null;
  const capture = document.createElement("canvas");
  state.capture = capture;
  ws.onopen = () => ws.send(JSON.stringify({ type: "start", exercise: p.exercise, user: state.run.user,
    mode: "check", guided: { run: state.run.run_id, set: state.index }, ...LiveCamera.startFields() }));
  ws.onmessage = (event) => {
    const msg = JSON.parse(event.data);
    if (msg.type === "ready") {
      state.t0 = performance.now();
      setCue("Go", "");
      sendFrame(capture);
    } else if (msg.type === "frame") {
      onFrame(msg);
      sendFrame(capture);
    } else if (msg.type === "dropped") {
      sendFrame(capture);
    } else if (msg.type === "summary") {
      setDone(msg);
    } else if (msg.type === "error") {
      $("status").textContent = msg.message;
      if (msg.code === "busy" || msg.code === "bad_start" || msg.code === "model_error") setCue(msg.message, "fault");
      else if (msg.code !== "not_recorded") sendFrame(capture);
    }
  };
  ws.onclose = () => { state.running = false; };
  $("start-set").disabled = true;
  $("finish-set").disabled = false;
  $("skip-set").disabled = true;
}

function stopSet(reason) {
  state.stopReason = reason;
  if (state.preparing) { state.preparing = false; return false; }
  if (state.ws && state.ws.readyState === WebSocket.OPEN) {
    state.running = false;
    state.ws.send(JSON.stringify({ type: "stop", reason }));
    return true;
  }
  return false;
}

function setDone(msg) {
  if (state.ws) state.ws.close();
  $("overlay").getContext("2d").clearRect(0, 0, $("overlay").width, $("overlay").height);
  if (msg.outcome) $("reps").textContent = msg.outcome.done;  // the record every screen reads
  const words = msg.words || "Set finished.";
  $("last-set").textContent = words;
  if (state.stopReason === "pain") { endSession(true); return; }
  afterSet();
}

function afterSet() {
  const p = plan();
  if (state.index + 1 >= state.run.sets.length) { endSession(false); return; }
  startRest(p.rest_s);
}

function startRest(seconds) {
  const next = state.run.sets[state.index + 1];
  $("next-up").textContent = `${next.title}, ${next.description}`;
  let left = Math.round(seconds);
  $("rest-left").textContent = left;
  show("rest");
  speak(`Rest for ${left} seconds. ${$("last-set").textContent}`);
  clearInterval(state.restTimer);
  state.restTimer = setInterval(() => {
    left -= 1;
    $("rest-left").textContent = Math.max(0, left);
    if (left === 3) speak("Get ready");
    if (left <= 0) endRest(state.index + 1);
  }, 1000);
}

function endRest(index) {
  clearInterval(state.restTimer);
  showSet(index);
}

async function skipSet() {
  const outcome = await api(`/api/guided/${state.run.run_id}/sets/${state.index}/skip`);
  $("last-set").textContent = outcome.words;
  // Nothing was done: no rest, straight on to the next set (or the summary).
  if (state.index + 1 >= state.run.sets.length) { endSession(false); return; }
  showSet(state.index + 1);
}

async function endSession(pain) {
  if (state.ended) return;
  state.ended = true;
  clearInterval(state.restTimer);
  if (state.stream) state.stream.getTracks().forEach((t) => t.stop());
  state.stream = null;
  const summary = await api(`/api/guided/${state.run.run_id}/finish`, { pain });
  // The pain advice has its own banner above the list.
  const lines = summary.pain_stop ? summary.lines.filter((line) => !line.startsWith("You stopped for pain")) : summary.lines;
  $("summary-lines").replaceChildren(...lines.map((line) =>
    Object.assign(document.createElement("li"), { textContent: line })));
  $("pain-advice").hidden = !summary.pain_stop;
  $("progress-link").href = `/progress?user=${encodeURIComponent(state.run.user)}`;
  show("summary");
  speak(summary.lines[0]);
}

function painStop() {
  if (!state.run) { // before the session: the advice is the whole answer
    $("none-apply").checked = false;
    $("begin").disabled = true;
    show("safety");
    $("red-flags").scrollIntoView();
    speak("Do not start today. If the pain is sharp or shoots down your leg, seek care.");
    return;
  }
  if (state.ended) return;
  if (!stopSet("pain")) endSession(true); // otherwise the set's summary arrives first
}

$("routine").addEventListener("change", showRoutine);
$("none-apply").addEventListener("change", () => { $("begin").disabled = !$("none-apply").checked; });
$("begin").addEventListener("click", begin);
$("start-set").addEventListener("click", startSet);
$("finish-set").addEventListener("click", () => stopSet("done"));
$("skip-set").addEventListener("click", skipSet);
$("end-rest").addEventListener("click", () => endRest(state.index + 1));
$("repeat-set").addEventListener("click", () => endRest(state.index));
$("pain").addEventListener("click", painStop);
$("speak").addEventListener("change", () => { if (!$("speak").checked) window.speechSynthesis.cancel(); });
$("dev").addEventListener("change", () => { $("debug").hidden = !$("dev").checked; });
$("again").addEventListener("click", () => { location.href = `/session?routine=${encodeURIComponent(state.run.name)}`; });
loadRoutines();

// Leaving the page mid-session: ask first (a finished set is already stored).
window.addEventListener("beforeunload", (event) => {
  if (state.run && !state.ended && (state.running || state.preparing)) { event.preventDefault(); event.returnValue = ""; }
});
