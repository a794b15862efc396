// What the live coach (app.js) and the guided session (session.js) share: the skeleton
// drawn over the local video; where pose runs (in this browser, measured once per page, or
// on the server); one camera frame sent as an 8-byte timestamp + JPEG, or, with pose in the
// browser, as a landmark message (protocol 2, no pixels); speaking a line once.
"use strict";

const LiveCamera = (() => {
  const EDGES = [[7, 2], [8, 5], [2, 0], [5, 0], [11, 12], [11, 13], [13, 15], [12, 14], [14, 16], [11, 23],
    [12, 24], [23, 24], [23, 25], [25, 27], [24, 26], [26, 28], [27, 29], [29, 31], [27, 31], [28, 30], [30, 32], [28, 32]];
  const CAPTURE_MAX_SIDE = 640;
  let lastSpoken = "";

  function speak(enabled, text) {
    if (!enabled || !("speechSynthesis" in window) || !text || text === lastSpoken) return;
    lastSpoken = text;
    window.speechSynthesis.cancel();
    window.speechSynthesis.speak(new SpeechSynthesisUtterance(text));
  }

  // The canvas covers exactly the picture (not the stage around it); `skeleton` false
  // only clears it (server frames come with the skeleton drawn in). `picture`: the frame the
  // landmarks were found in (the capture canvas, not yet reused). Drawn under the skeleton,
  // it keeps the two together in fast movement: the picture runs one model pass behind
  // the camera instead of the skeleton trailing the limbs. Hidden (`msg.tracked_switch`)
  // right after the tracker jumped to someone else.
  function drawSkeleton(canvas, media, msg, skeleton = true, picture = null) {
    canvas.width = media.clientWidth;
    canvas.height = media.clientHeight;
    canvas.style.width = `${media.clientWidth}px`;
    canvas.style.height = `${media.clientHeight}px`;
    const ctx = canvas.getContext("2d");
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    if (!msg || !skeleton) return;
    if (picture && picture.width) ctx.drawImage(picture, 0, 0, canvas.width, canvas.height);
    if (!msg.landmarks || msg.tracked_switch) return;
    const pts = msg.landmarks.map(([x, y, v]) => [x * canvas.width, y * canvas.height, v]);
    ctx.lineWidth = 4;
    ctx.strokeStyle = "rgba(80, 220, 120, 0.9)";
    for (const [a, b] of EDGES) {
      if (pts[a][2] < 0.5 || pts[b][2] < 0.5) continue;
      ctx.beginPath();
      ctx.moveTo(pts[a][0], pts[a][1]);
      ctx.lineTo(pts[b][0], pts[b][1]);
      ctx.stroke();
    }
    const hot = new Set(msg.highlight);
    pts.forEach(([x, y, v], i) => {
      if (v < 0.5) return;
      ctx.fillStyle = hot.has(i) ? "#e62828" : "#ffffff";
      ctx.beginPath();
      ctx.arc(x, y, hot.has(i) ? 10 : 4, 0, 2 * Math.PI);
      ctx.fill();
    });
  }

  // Draws the video's current picture into `capture` (at most 640 px a side, the same in
  // both modes so both see the same picture); false while the camera has none yet.
  function grab(video, capture) {
    if (!video.videoWidth) return false;
    const scale = Math.min(1, CAPTURE_MAX_SIDE / Math.max(video.videoWidth, video.videoHeight));
    capture.width = Math.round(video.videoWidth * scale);
    capture.height = Math.round(video.videoHeight * scale);
    capture.getContext("2d").drawImage(video, 0, 0, capture.width, capture.height);
    return true;
  }

  // Sends the video's current picture on `ws` while `running()` holds; waits for the
  // first picture if the camera has not delivered one yet. With pose in the browser the
  // picture goes through the page's own model and only its landmarks are sent.
  function sendFrame(ws, video, capture, t0, running) {
    if (!running() || !ws || ws.readyState !== WebSocket.OPEN) return;
    const early = pose.site === "browser" ? pose.sentAt + MIN_LANDMARK_GAP_MS - performance.now() : 0;
    if (early > 0) { setTimeout(() => sendFrame(ws, video, capture, t0, running), early); return; }
    pose.sentAt = performance.now();
    if (!grab(video, capture)) { setTimeout(() => sendFrame(ws, video, capture, t0, running), 50); return; }
    const t = performance.now() - t0;
    grabbedAt.set(t, performance.now());
    if (grabbedAt.size > 100) grabbedAt.delete(grabbedAt.keys().next().value);  // frames never answered
    if (pose.site === "browser") { ws.send(JSON.stringify(landmarkMessage(capture, t))); return; }
    capture.toBlob(async (blob) => {
      const jpeg = new Uint8Array(await blob.arrayBuffer());
      const out = new Uint8Array(8 + jpeg.length);
      new DataView(out.buffer).setFloat64(0, t, true);
      out.set(jpeg, 8);
      if (running() && ws.readyState === WebSocket.OPEN) ws.send(out);
    }, "image/jpeg", 0.8);
  }

  // Picture to feedback, per answered frame (ms): the developer line shows it, benchmarks
  // (benchmarks/live_latency.py) read `stats`.
  const grabbedAt = new Map();
  const stats = { latencies: [], answered: 0 };
  function noteFeedback(msg) {
    const at = grabbedAt.get(msg.t_ms);
    if (at === undefined) return null;
    grabbedAt.delete(msg.t_ms);
    const ms = performance.now() - at;
    stats.answered += 1;
    stats.latencies.push(ms);
    if (stats.latencies.length > 5000) stats.latencies.shift();
    return ms;
  }

  // --- pose in this browser ------------------------------------------------------------------

  // site: "browser" or "server", chosen once per page; `words` is what the page shows.
  const pose = { site: null, landmarker: null, delegate: null, words: "", lastTs: 0, msPerFrame: null, sentAt: 0 };
  // The checker needs no more than 30 frames a second; a faster camera and GPU would only
  // load the server (which takes at most 60 a second from a page).
  const MIN_LANDMARK_GAP_MS = 1000 / 30;
  const round = (v, d) => Math.round(v * d) / d;

  // The runtime's time stamps must increase for as long as the landmarker lives.
  function detect(picture) {
    pose.lastTs = Math.max(performance.now(), pose.lastTs + 1);
    return pose.landmarker.detectForVideo(picture, pose.lastTs);
  }

  function landmarkMessage(capture, t) {
    const result = detect(capture);
    const image = result.landmarks[0], world = result.worldLandmarks[0];
    return {
      type: "landmarks", t_ms: t, image_wh: [capture.width, capture.height],
      landmarks: image ? image.map((p) => [round(p.x, 1e5), round(p.y, 1e5), round(p.z, 1e5),
        round(p.visibility ?? 0, 1e4), round(p.presence ?? 1, 1e4)]) : null,
      world: world ? world.map((p) => [round(p.x, 1e5), round(p.y, 1e5), round(p.z, 1e5)]) : null,
    };
  }

  // A software GPU (SwiftShader, llvmpipe) is the CPU again, only slower: not worth a try.
  function realGpu() {
    try {
      const gl = document.createElement("canvas").getContext("webgl2");
      if (!gl) return false;
      const info = gl.getExtension("WEBGL_debug_renderer_info");
      const name = info ? String(gl.getParameter(info.UNMASKED_RENDERER_WEBGL)) : "";
      return !/swiftshader|llvmpipe|software/i.test(name);
    } catch (e) { return false; }
  }

  async function createLandmarker(config, delegate) {
    const vision = await import(config.browser_runtime);
    const wasm = config.browser_runtime.replace(/\/[^/]*$/, "/wasm");
    const fileset = await vision.FilesetResolver.forVisionTasks(wasm);
    return vision.PoseLandmarker.createFromOptions(fileset, {
      baseOptions: { modelAssetPath: config.browser_model, delegate },
      runningMode: "VIDEO", numPoses: 1, outputSegmentationMasks: false,
      // The thresholds of the server's backends (pose/estimator.py): the same model, the same gates.
      minPoseDetectionConfidence: 0.5, minPosePresenceConfidence: 0.5, minTrackingConfidence: 0.5,
    });
  }

  // Median ms a frame of the landmarker on the live camera: two warm-up frames, then up to
  // eight timed ones within about two seconds.
  async function timeLandmarker(video, capture) {
    const times = [];
    const until = performance.now() + 2500;
    for (let i = 0; i < 10 && (times.length < 3 || performance.now() < until); i++) {
      while (!grab(video, capture)) await new Promise((r) => setTimeout(r, 50));
      const start = performance.now();
      detect(capture);
      if (i >= 2) times.push(performance.now() - start);
      await new Promise((r) => setTimeout(r, 0));  // let the page paint between frames
    }
    times.sort((a, b) => a - b);
    return times[Math.floor(times.length / 2)];
  }

  // Where pose runs, decided by measurement (once per page): in this browser when its model
  // keeps up with the camera with a fifth to spare (the camera's rate, at most the 30 fps the
  // checker uses), GPU first; else on the server. `config.pose` (posecheck serve --pose) or the
  // page's ?pose= can require one. `show` says what is happening meanwhile.
  async function choosePoseSite(config, video, show) {
    if (pose.site) return pose.site;
    const asked = new URLSearchParams(location.search).get("pose");
    const required = config.pose !== "auto" ? config.pose : (["browser", "server"].includes(asked) ? asked : null);
    if (required === "browser" && !config.browser_runtime) {  // asked for, but the server cannot serve it
      pose.site = "server";
      pose.words = "Pose runs on the posecheck server (the in-browser runtime is not installed: posecheck models install web)";
      return pose.site;
    }
    if (required === "server" || (!config.browser_runtime && required !== "browser")) {
      pose.site = "server";
      pose.words = "Pose runs on the posecheck server" + (config.browser_problem && required !== "server"
        ? " (to run it in this browser, install its runtime where posecheck runs: posecheck models install web)"
        : "");
      return pose.site;
    }
    const track = video.srcObject && video.srcObject.getVideoTracks()[0];
    const fps = Math.min(30, (track && track.getSettings().frameRate) || 30);
    const budgetMs = 0.8 * (1000 / fps);
    show("Measuring how fast this device runs the pose model...", "");
    const capture = document.createElement("canvas");
    let best = null;
    for (const delegate of realGpu() ? ["GPU", "CPU"] : ["CPU"]) {
      let landmarker;
      try {
        landmarker = await createLandmarker(config, delegate);
      } catch (err) {
        console.warn(`pose in the browser (${delegate}):`, err);
        continue;
      }
      pose.landmarker = landmarker;
      const ms = await timeLandmarker(video, capture);
      if (!best || ms < best.ms) {
        if (best) best.landmarker.close();
        best = { landmarker, delegate, ms };
      } else {
        landmarker.close();
      }
      if (ms <= budgetMs) break;
    }
    if (best && (best.ms <= budgetMs || required === "browser")) {
      Object.assign(pose, { site: "browser", landmarker: best.landmarker, delegate: best.delegate, msPerFrame: best.ms });
      pose.words = `Pose runs in this browser (${best.delegate === "GPU" ? "graphics chip" : "processor"}, ` +
        `${Math.round(best.ms)} ms a frame): no picture leaves this device`;
    } else {
      if (best) best.landmarker.close();
      Object.assign(pose, { site: "server", landmarker: null, msPerFrame: best ? best.ms : null });
      pose.words = "Pose runs on the posecheck server" + (best
        ? ` (this browser took ${Math.round(best.ms)} ms a frame; the camera needs under ${Math.round(budgetMs)} ms)`
        : " (the model could not start in this browser)");
    }
    return pose.site;
  }

  // What a start message adds for the chosen site (schemas.py: protocol 2 carries landmarks).
  function startFields() {
    return pose.site === "browser" ? { protocol: 2, pose: "browser" } : { protocol: 1, pose: "server" };
  }

  function poseWords() { return pose.words; }

  // What the checker could not judge or count, and why (info events "not_judged" and
  // "not_counted"): kept on screen for the rest of the set, each sentence once.
  function showNote(list, ev) {
    if (!list || !["not_judged", "not_counted", "nothing_counted", "second_person"].includes(ev.code)) return false;
    if ([...list.children].some((li) => li.textContent === ev.message)) return false;
    const li = document.createElement("li");
    li.textContent = ev.message;
    list.appendChild(li);
    list.hidden = false;
    return true;
  }

  // The view banner stays up at least a few seconds: a message that form cannot be
  // judged from here comes on frames that are otherwise judged (reps still count).
  const BANNER_MIN_MS = 5000;
  function updateBanner(banner, msg) {
    const shownAt = Number(banner.dataset.shownAt || 0);
    if (msg.judged && performance.now() - shownAt >= BANNER_MIN_MS) banner.hidden = true;
    for (const ev of msg.events) {
      if (ev.kind !== "view") continue;
      banner.textContent = ev.message;
      banner.hidden = false;
      banner.dataset.shownAt = String(performance.now());
    }
  }

  // --- words for people --------------------------------------------------------------------

  const VIEW_WORDS = { side: "Side view", front: "Front view", back: "Back view", oblique: "Three-quarter view" };

  // "Side view: good" when the camera sees the exercise from an angle it judges, else what to change.
  function statusText(msg, ex) {
    if (!msg.landmarks) return "Nobody in view: step into the picture";
    const seen = VIEW_WORDS[msg.view];
    if (!seen) return "Finding you...";
    if (ex && ex.views && !ex.views.includes(msg.view)) return `${seen}: ${ex.view_cue}`;
    return `${seen}: good`;
  }

  // The raw line, for developers only (behind the "Developer details" switch).
  function debugText(msg) {
    const latency = noteFeedback(msg);
    return `view=${msg.view} position=${msg.position} phase=${msg.phase} judged=${msg.judged} ` +
      `server ${msg.process_ms.toFixed(1)} ms/frame, dropped ${msg.dropped}` +
      (latency === null ? "" : `, picture to feedback ${latency.toFixed(0)} ms`) +
      (pose.site === "browser" ? `, pose in this browser (${pose.delegate})` : "");
  }

  function inPicture(lm) {
    return lm && lm[2] >= 0.5 && lm[0] >= 0 && lm[0] <= 1 && lm[1] >= 0 && lm[1] <= 1;
  }

  // What stops the set from being judged from this picture, in words (empty when framed).
  function framingProblems(msg, ex) {
    if (!msg.landmarks) return ["Step into the picture"];
    const missing = ex.framing.filter((part) => !part.landmarks.some((i) => inPicture(msg.landmarks[i])))
      .map((part) => part.name);
    const out = [];
    if (missing.length) {
      out.push(`Your ${missing.join(", ")} ${missing.length === 1 && !missing[0].endsWith("s") ? "is" : "are"} ` +
        "not in the picture: step back or tilt the camera");
    }
    if (ex.views && !ex.views.includes(msg.view) && VIEW_WORDS[msg.view]) out.push(ex.view_cue);
    return out;
  }

  // Hold box text against the target: "2.1 s of 3-5 s", and how far the bar is filled (0-1).
  function holdText(hold, target) {
    if (!hold) return { text: target ? `0 s of ${target[0]}-${target[1]} s` : "-", share: 0 };
    const held = hold.good_s;
    if (!target) return { text: `${held.toFixed(1)} s`, share: 0 };
    return { text: `${held.toFixed(1)} s of ${target[0]}-${target[1]} s`, share: Math.min(1, held / target[1]) };
  }

  // Spoken and shown prompts while holding: "Hold", "2 more seconds", "Good: lower when ready",
  // "Lower now". `memo` keeps what was said in this hold.
  function holdPrompt(hold, target, memo) {
    if (!hold || !target) { memo.said = null; return null; }
    const held = hold.good_s;
    const say = (key, text) => (memo.said === key ? null : ((memo.said = key), text));
    if (held >= target[1]) return say("high", "Lower now");
    if (held >= target[0]) return say("low", "Good: lower when ready");
    const left = Math.ceil(target[0] - held);
    if (left <= 2) return say(`left${left}`, `${left} more second${left === 1 ? "" : "s"}`);
    return say("start", "Hold");
  }

  // Local time in the person's own locale ("1 Dec 2026, 14:05"), from an ISO time or epoch seconds.
  function localTime(value) {
    const d = typeof value === "number" ? new Date(value * 1000) : new Date(value);
    return Number.isNaN(d.getTime()) ? "" : d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
  }

  // Framing, then 3-2-1. A preview session (nothing counted or kept) shows the person what to
  // change until every part the exercise needs has been in the picture, from a judged angle,
  // for a second; then counts down. Resolves true when the set may start, false if cancelled.
  function prepare({ ex, user, video, onMessage, say, show, cancelled }) {
    return new Promise((resolve) => {
      const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws/live`);
      ws.binaryType = "arraybuffer";
      const capture = document.createElement("canvas");
      let t0 = 0, goodSince = null, done = false, lastProblem = "";
      const running = () => !done && !cancelled();
      const finish = (ok) => { if (done) return; done = true; try { ws.close(); } catch (e) { /* closed */ } resolve(ok); };
      ws.onopen = () => ws.send(JSON.stringify({ type: "start", exercise: ex.name, user, mode: "preview",
        ...startFields() }));
      ws.onclose = () => finish(false);
      ws.onmessage = async (event) => {
        const msg = JSON.parse(event.data);
        if (cancelled()) { finish(false); return; }
        if (msg.type === "ready") { t0 = performance.now(); sendFrame(ws, video, capture, t0, running); return; }
        if (msg.type === "dropped") { sendFrame(ws, video, capture, t0, running); return; }
        if (msg.type === "error") { show(msg.message, "fault"); finish(false); return; }
        if (msg.type !== "frame") return;
        onMessage(msg);
        const problems = framingProblems(msg, ex);
        if (problems.length) {
          goodSince = null;
          show(problems.join(". "), "fault");
          if (problems[0] !== lastProblem) say(problems[0]);
          lastProblem = problems[0];
        } else {
          if (goodSince === null) goodSince = performance.now();
          show("In position: hold still", "good");
          if (performance.now() - goodSince >= 1000) {
            done = true;
            try { ws.close(); } catch (e) { /* closed */ }
            for (const n of [3, 2, 1]) {
              if (cancelled()) { resolve(false); return; }
              show(String(n), "count");
              say(String(n));
              await new Promise((r) => setTimeout(r, 1000));
            }
            resolve(!cancelled());
            return;
          }
        }
        sendFrame(ws, video, capture, t0, running);
      };
    });
  }

  return { stats, speak, drawSkeleton, sendFrame, choosePoseSite, startFields, poseWords, showNote, updateBanner, statusText, debugText, framingProblems,
    holdText, holdPrompt, localTime, prepare };
})();
