// posecheck live coach: captures the camera, sends JPEG frames over a WebSocket, and draws
// the landmarks and feedback the server sends back over the local video (so the picture
// itself has no lag). One frame in flight at a time keeps the latency low.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { ws: null, stream: null, exercises: {}, running: false, t0: 0, report: null,
  config: null, preparing: false, holdMemo: {}, holdPromptUp: false };

function speak(text) {
  LiveCamera.speak($("speak").checked, text);
}

function escapeHtml(text) {
  const div = document.createElement("div");
  div.textContent = text;
  return div.innerHTML;
}

function setCue(text, cls, holdPrompt = false) {
  const cue = $("cue");
  cue.textContent = text;
  cue.className = cls || "";
  state.holdPromptUp = holdPrompt;  // "Hold", "2 more seconds": true only while a hold runs
}

async function loadExercises() {
  state.config = await (await fetch("/api/config")).json();
  const list = await (await fetch("/api/exercises")).json();
  const select = $("exercise");
  for (const ex of list) {
    state.exercises[ex.name] = ex;
    const opt = document.createElement("option");
    opt.value = ex.name;
    opt.textContent = ex.title;
    select.appendChild(opt);
  }
  if (state.config.source) {
    $("source-label").hidden = false;
    $("source").value = "server";
  }
  const wanted = new URLSearchParams(location.search).get("exercise");
  if (wanted && state.exercises[wanted]) select.value = wanted;
  showExercise();
}

async function showExercise() {
  const ex = state.exercises[$("exercise").value];
  $("summary-text").textContent = ex.summary;
  $("camera-text").textContent = ex.camera;
  $("count-label").textContent = ex.counts === "holds" ? `Holds${ex.per_side ? " (fewest side)" : ""}` : "Reps";
  $("hold-box").hidden = !ex.hold_target_s;
  $("hold").textContent = LiveCamera.holdText(null, ex.hold_target_s).text;
  $("hold-bar").style.width = "0%";  // the bar says what the text says
  // Sitting is watched, not counted: its state stands where the counters would.
  document.querySelector(".counters").hidden = ex.mode === "posture";
  $("calibrate").hidden = !ex.calibratable;
  $("calibration-help").textContent = ex.calibration_help;
  const profile = await (await fetch(`/api/profiles/${encodeURIComponent($("user").value)}`)).json();
  const when = profile.calibrated_at ? profile.calibrated_at[ex.name] : null;
  $("calibration-text").textContent = !ex.calibratable ? "" : when
    ? `Calibrated on ${LiveCamera.localTime(when)}: your own targets are used.`
    : "Not calibrated yet: default targets are used. Calibrate for targets that fit you.";
}

function drawOverlay(msg) {
  const media = state.serverMode ? $("server-frame") : $("video");
  LiveCamera.drawSkeleton($("overlay"), media, msg, !state.serverMode, state.running ? state.capture : null);
}

const POSTURE_WORDS = { upright: "Sitting upright", slouched: "Slouched", not_sitting: "Not sitting",
  not_visible: "Not in view" };

function showFrame(msg) {
  drawOverlay(msg);
  const ex = state.exercises[$("exercise").value];
  const posture = ex.mode === "posture" && POSTURE_WORDS[msg.posture_state];
  $("status").textContent = LiveCamera.statusText(msg, ex) + (posture ? ` · ${posture}` : "");
  $("debug").textContent = LiveCamera.debugText(msg);
}

function onFrameMessage(msg) {
  showFrame(msg);
  const ex = state.exercises[$("exercise").value];
  $("reps").textContent = ex.counts === "holds" ? msg.hold_count : msg.rep_count;
  if (ex.hold_target_s) {
    const shown = LiveCamera.holdText(msg.hold, ex.hold_target_s);
    $("hold").textContent = shown.text;
    $("hold-bar").style.width = `${Math.round(100 * shown.share)}%`;
    const prompt = LiveCamera.holdPrompt(msg.hold, ex.hold_target_s, state.holdMemo);
    if (prompt) { setCue(prompt, msg.hold.good_s >= ex.hold_target_s[0] ? "good" : "", true); speak(prompt); }
    // A hold dropped with nothing to say of it (the movement was no rep: the notes say why)
    // leaves no "Hold" up over a hold box that reads 0 s.
    else if (!msg.hold && state.holdPromptUp) setCue("", "");
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
    } else if (ev.kind === "rep") {
      const li = document.createElement("li");
      li.textContent = ev.message;
      li.className = ev.code === "good_rep" ? "good" : (ev.code === "rep_counted" ? "" : "fault");
      $("rep-list").prepend(li);
      // Praise of an earlier rep never stays up over a newer one; a corrective cue showing
      // ("Chest up...") stays over the rep's own list line, as it says what to do.
      if (ev.code === "good_rep") { setCue(ev.message, "good"); speak("Good"); }
      else if (ev.code === "rep_counted") setCue(ev.message, "");
      else if (ev.code === "rep_hold_short") { setCue(ev.message, "fault"); speak(ev.message.split(": ").pop()); }
      else if ($("cue").className === "good") setCue(ev.message, "fault");
    } else if (ev.kind === "hold" && ev.code === "hold_short") {
      setCue(ev.message, "fault");
    }
  }
}

function showSummary(msg) {
  state.report = msg.report;
  const r = msg.report;
  const lines = [];
  // One record: the counter shows what the summary counts (a rep finished at Stop included).
  if (msg.outcome) $("reps").textContent = msg.outcome.done;
  $("set-summary-title").textContent = msg.calibration_saved ? "Calibration done" : "Set summary";
  $("keep").hidden = msg.calibration_saved;
  if (msg.calibration_saved) {
    lines.push(...msg.calibration_words.map((w) => `<p class="good-text">${escapeHtml(w)}</p>`));
  } else {
    lines.push(`<p>${escapeHtml(msg.words || "Set finished.")} (${r.duration_s.toFixed(0)} s)</p>`);
    lines.push("<ol>" + r.reps.map((rep) => `<li class="${rep.good ? "good" : (rep.faults.length || rep.hold_short ? "fault" : "")}">` +
      `${escapeHtml((rep.side ? rep.side + ": " : "") + rep.verdict)}</li>`).join("") + "</ol>");
  }
  // What was said only as the set ended (a hold cut by Stop, why nothing counted) joins
  // the notes kept on screen, each sentence once.
  (r.events || []).forEach((ev) => { if (ev.kind === "info") LiveCamera.showNote($("notes"), ev); });
  if (r.not_judged && r.not_judged.length) {
    lines.push("<p>Not judged in this set:</p><ul>" + r.not_judged
      .map((n) => `<li>${escapeHtml(n.title)}: ${escapeHtml(n.reason)}</li>`).join("") + "</ul>");
  }
  $("set-summary-body").innerHTML = lines.join("");
  $("set-summary").hidden = false;
  $("download").href = URL.createObjectURL(new Blob([JSON.stringify(r, null, 2)], { type: "application/json" }));
  $("keep").dataset.session = msg.session_id;
  showExercise();
}

function sendFrame(capture) {
  LiveCamera.sendFrame(state.ws, $("video"), capture, state.t0, () => state.running);
}

async function start(mode) {
  if (state.starting || state.running || state.preparing) return;  // a double click starts one set
  state.starting = true;
  try {
    await startOnce(mode);
  } finally {
    state.starting = false;
  }
}

async function startOnce(mode) {
  $("start").disabled = true;
  $("calibrate").disabled = true;
  $("exercise").disabled = true;  // one exercise per set
  $("set-summary").hidden = true;
  $("rep-list").innerHTML = "";
  $("notes").innerHTML = "";
  $("notes").hidden = true;
  $("reps").textContent = "0";
  $("camera-off").hidden = true;
  $("calibration-panel").hidden = mode !== "calibrate";
  state.holdMemo = {};
  state.serverMode = $("source").value === "server" && state.config.source;
  const exercise = $("exercise").value;
  const ex = state.exercises[exercise];
  setCue("Get in position", "");
  if (!state.serverMode) {
    try {
      state.stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: false });
    } catch (err) {
      setCue(`Camera unavailable: ${err.message}`, "fault");
      stopLocal(true);
      return;
    }
    $("video").hidden = false;
    $("server-frame").hidden = true;
    $("video").srcObject = state.stream;
    state.preparing = true;
    $("stop").disabled = false;
    await LiveCamera.choosePoseSite(state.config, $("video"), setCue);
    $("pose-site").textContent = LiveCamera.poseWords();
    if (!state.preparing) { stopLocal(true); return; }  // Stop while measuring
    $("start").disabled = true;
    $("calibrate").disabled = true;
    $("stop").disabled = false;
    const ready = await LiveCamera.prepare({ ex, user: $("user").value, video: $("video"), onMessage: showFrame,
      say: speak, show: setCue, cancelled: () => !state.preparing });
    state.preparing = false;
    if (!ready) { stopLocal(true); return; }
    setCue(mode === "calibrate" ? "Calibrating: move as you normally would" : "Go", "");
    speak(mode === "calibrate" ? "Calibrating" : "Go");
  } else {
    $("video").hidden = true;
    $("server-frame").hidden = false;
  }
  const path = state.serverMode ? "/ws/source" : "/ws/live";
  const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}${path}`);
  ws.binaryType = "arraybuffer";
  state.ws = ws;
  state.running = true;
  const capture = document.createElement("canvas");
  state.capture = capture;
  ws.onopen = () => ws.send(JSON.stringify({ type: "start", exercise, user: $("user").value, mode,
    ...(state.serverMode ? {} : LiveCamera.startFields()) }));
  ws.onmessage = (event) => {
    if (typeof event.data !== "string") { // server source: the annotated picture
      const img = $("server-frame");
      if (img.src) URL.revokeObjectURL(img.src);
      img.src = URL.createObjectURL(new Blob([event.data], { type: "image/jpeg" }));
      return;
    }
    const msg = JSON.parse(event.data);
    if (msg.type === "ready") {
      state.t0 = performance.now();
      if (!state.serverMode) sendFrame(capture);
    } else if (msg.type === "frame") {
      onFrameMessage(msg);
      if (!state.serverMode) sendFrame(capture);
    } else if (msg.type === "dropped") { // a newer frame replaced it: keep the loop going
      if (!state.serverMode) sendFrame(capture);
    } else if (msg.type === "summary") {
      showSummary(msg);
    } else if (msg.type === "error") {
      setCue(msg.message, "fault");
      if (msg.code !== "bad_frame" && msg.code !== "frame_too_large" && !state.serverMode) sendFrame(capture);
    }
  };
  ws.onclose = () => stopLocal();
  $("start").disabled = true;
  $("calibrate").disabled = true;
  $("stop").disabled = false;
}

// `keepCue`: the cue says why the set could not start (a refused user name, no camera): keep it.
function stopLocal(keepCue = false) {
  state.running = false;
  state.preparing = false;
  $("camera-off").hidden = false;
  $("calibration-panel").hidden = true;
  $("exercise").disabled = false;
  $("status").textContent = "";
  if (!(keepCue && $("cue").className === "fault")) {
    setCue($("set-summary").hidden ? "Stopped. Press Start for another set"
      : "Set finished: the summary is below. Press Start for another set", "");
  }
  $("overlay").getContext("2d").clearRect(0, 0, $("overlay").width, $("overlay").height);
  if (state.stream) state.stream.getTracks().forEach((t) => t.stop());
  state.stream = null;
  $("start").disabled = false;
  $("calibrate").disabled = false;
  $("stop").disabled = true;
}

function stop() {
  if (state.ws && state.ws.readyState === WebSocket.OPEN) {
    state.running = false;
    state.ws.send(JSON.stringify({ type: "stop" }));
  } else {
    stopLocal();
  }
}

$("exercise").addEventListener("change", showExercise);
$("user").addEventListener("change", showExercise);
$("start").addEventListener("click", () => start("check"));
$("calibrate").addEventListener("click", () => start("calibrate"));
$("stop").addEventListener("click", stop);
$("speak").addEventListener("change", () => { if (!$("speak").checked) window.speechSynthesis.cancel(); });
$("dev").addEventListener("change", () => { $("debug").hidden = !$("dev").checked; });
$("keep").addEventListener("click", async () => {
  const res = await fetch(`/api/sessions/${$("keep").dataset.session}/keep`, { method: "POST" });
  $("keep").textContent = res.ok ? "Kept" : "Could not keep it";
});
loadExercises();

// Leaving the page mid-set ends it: ask first (the server keeps what was counted either way).
window.addEventListener("beforeunload", (event) => {
  if (state.running || state.preparing) { event.preventDefault(); event.returnValue = ""; }
});
