// What the live coach (app.js) and the guided session (session.js) share: the skeleton
// drawn over the local video, one camera frame sent as an 8-byte timestamp + JPEG, and
// speaking a line once.
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
  // only clears it (server frames come with the skeleton drawn in).
  function drawSkeleton(canvas, media, msg, skeleton = true) {
    canvas.width = media.clientWidth;
    canvas.height = media.clientHeight;
    canvas.style.width = `${media.clientWidth}px`;
    canvas.style.height = `${media.clientHeight}px`;
    const ctx = canvas.getContext("2d");
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    if (!msg || !msg.landmarks || !skeleton) return;
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

  // Sends the video's current picture on `ws` while `running()` holds; waits for the
  // first picture if the camera has not delivered one yet.
  function sendFrame(ws, video, capture, t0, running) {
    if (!running() || !ws || ws.readyState !== WebSocket.OPEN) return;
    if (!video.videoWidth) { setTimeout(() => sendFrame(ws, video, capture, t0, running), 50); return; }
    const scale = Math.min(1, CAPTURE_MAX_SIDE / Math.max(video.videoWidth, video.videoHeight));
    capture.width = Math.round(video.videoWidth * scale);
    capture.height = Math.round(video.videoHeight * scale);
    capture.getContext("2d").drawImage(video, 0, 0, capture.width, capture.height);
    const t = performance.now() - t0;
    capture.toBlob(async (blob) => {
      const jpeg = new Uint8Array(await blob.arrayBuffer());
      const out = new Uint8Array(8 + jpeg.length);
      new DataView(out.buffer).setFloat64(0, t, true);
      out.set(jpeg, 8);
      if (running() && ws.readyState === WebSocket.OPEN) ws.send(out);
    }, "image/jpeg", 0.8);
  }

  // What the checker could not judge or count, and why (info events "not_judged" and
  // "not_counted"): kept on screen for the rest of the set, each sentence once.
  function showNote(list, ev) {
    if (!list || (ev.code !== "not_judged" && ev.code !== "not_counted")) return false;
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

  return { speak, drawSkeleton, sendFrame, showNote, updateBanner };
})();
