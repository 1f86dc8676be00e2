// The recording page: MediaRecorder (Opus in WebM, or what the browser supports) with a device picker, a level meter
// (Web Audio AnalyserNode), a timer and pause/resume. Every 10 s MediaRecorder hands over a chunk, which is PUT to the
// recording session with retries, in order; a closed tab therefore loses at most the chunk being recorded. Stopping
// sends the last chunk, finalizes the session (the server joins the chunks into one upload) and starts processing.
import { api, ApiError } from './api.js';

const root = document.getElementById('recorder');
if (root) setUp(root);

function setUp(root) {
  const $ = (id) => document.getElementById(id);
  const [deviceSelect, meter, timer, status, error] = [$('device'), $('level'), $('timer'), $('rec-status'), $('rec-error')];
  const [startBtn, pauseBtn, resumeBtn, stopBtn] = [$('start'), $('pause'), $('resume'), $('stop')];
  const { showId, episodeId } = root.dataset;
  const chunkMs = Number(root.dataset.chunkMs || 10000);
  let recordingId = root.dataset.recordingId || null;
  let nextIndex = Number(root.dataset.nextIndex || 0);
  let savedSeconds = Number(root.dataset.duration || 0);
  let recorder = null, stream = null, audioContext = null, rafId = 0;
  let recordedMs = 0, lastTick = 0, reportedMs = 0;
  let queue = Promise.resolve();
  let failed = false;
  const token = () => document.querySelector('meta[name="request-verification-token"]')?.content ?? '';

  const say = (text) => { status.textContent = text; };
  const fail = (text) => { error.textContent = text; };
  const clock = (s) => {
    s = Math.max(0, Math.floor(s));
    const hh = Math.floor(s / 3600), mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0'), ss = String(s % 60).padStart(2, '0');
    return hh ? `${hh}:${mm}:${ss}` : `${mm}:${ss}`;
  };
  const pickType = () => ['audio/webm;codecs=opus', 'audio/webm', 'audio/ogg;codecs=opus', 'audio/mp4']
    .find((t) => window.MediaRecorder?.isTypeSupported?.(t)) ?? '';

  async function listDevices() {
    if (!navigator.mediaDevices?.enumerateDevices) return;
    const chosen = deviceSelect.value;
    const inputs = (await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind === 'audioinput');
    deviceSelect.replaceChildren(new Option('Default microphone', ''),
      ...inputs.filter((d) => d.deviceId && d.deviceId !== 'default').map((d, i) => new Option(d.label || `Microphone ${i + 1}`, d.deviceId)));
    deviceSelect.value = chosen;
  }

  function meterLoop(analyser) {
    const data = new Float32Array(analyser.fftSize);
    const tick = () => {
      analyser.getFloatTimeDomainData(data);
      let sum = 0;
      for (const v of data) sum += v * v;
      // RMS scaled so speech sits mid-meter; the meter's high mark warns of clipping.
      meter.value = Math.min(1, Math.sqrt(sum / data.length) * 4);
      if (recorder?.state === 'recording') {
        const now = performance.now();
        recordedMs += now - lastTick;
        lastTick = now;
      }
      timer.textContent = clock(savedSeconds + recordedMs / 1000);
      rafId = requestAnimationFrame(tick);
    };
    rafId = requestAnimationFrame(tick);
  }

  async function ensureSession(contentType) {
    if (recordingId) {
      const state = await api('GET', `/api/recordings/${recordingId}`);
      nextIndex = state.chunks.length ? state.chunks[state.chunks.length - 1] + 1 : 0;
      return;
    }
    try {
      recordingId = (await api('POST', '/api/recordings', { episodeId, contentType })).id;
      nextIndex = 0;
    } catch (e) {
      if (!(e instanceof ApiError) || e.problem.code !== 'recording_open') throw e;
      recordingId = e.problem.recordingId;
      return ensureSession(contentType);
    }
  }

  async function putChunk(index, blob, seconds) {
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await fetch(`/api/recordings/${recordingId}/chunks/${index}?duration=${seconds.toFixed(3)}`, {
          method: 'PUT', body: blob, credentials: 'same-origin',
          headers: { 'Content-Type': 'application/octet-stream', RequestVerificationToken: token() },
        });
        if (res.ok) return;
        const problem = await res.json().catch(() => ({}));
        // Refusals that a retry cannot change (a conflict, a finalized session) stop here; the server's words are shown.
        if (res.status < 500 && res.status !== 408 && res.status !== 429) throw new ApiError(res.status, problem);
      } catch (e) {
        if (e instanceof ApiError) throw e;
      }
      const wait = Math.min(15000, 1000 * 2 ** attempt);
      say(`Chunk ${index + 1} did not reach the server; retrying in ${Math.round(wait / 1000)} s…`);
      await new Promise((r) => setTimeout(r, wait));
    }
  }

  function enqueue(blob) {
    const index = nextIndex++;
    const seconds = (recordedMs - reportedMs) / 1000;
    reportedMs = recordedMs;
    queue = queue.then(async () => {
      if (failed) return;
      try {
        await putChunk(index, blob, seconds);
        say(`Saved ${clock(savedSeconds + reportedMs / 1000)} (chunk ${index + 1}).`);
      } catch (e) {
        failed = true;
        refuse(e);
        // Over the plan's storage nothing more can be saved: stop recording instead of recording into the void.
        if (e instanceof ApiError && e.problem.code === 'plan_storage_limit') {
          await stopRecorder();
          [pauseBtn.disabled, resumeBtn.disabled, stopBtn.disabled] = [true, true, true];
          root.dataset.state = 'refused';
          say(`Recording stopped at chunk ${index + 1}: the chunks before it are saved on the server. Free space or upgrade, then reload this page to finalize them.`);
        }
      }
    });
  }

  async function start() {
    fail('');
    const type = pickType();
    if (!navigator.mediaDevices?.getUserMedia || !window.MediaRecorder) {
      fail('This browser cannot record audio. Upload a recording on the episode page instead.');
      return;
    }
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: deviceSelect.value ? { deviceId: { exact: deviceSelect.value } } : true });
    } catch (e) {
      fail(`The microphone is not available (${e.message}). Allow microphone access for this site and try again.`);
      return;
    }
    await listDevices();
    try {
      await ensureSession(type || 'audio/webm');
    } catch (e) {
      stream.getTracks().forEach((t) => t.stop());
      fail(e.message);
      return;
    }
    audioContext = new AudioContext();
    const analyser = audioContext.createAnalyser();
    analyser.fftSize = 2048;
    audioContext.createMediaStreamSource(stream).connect(analyser);
    recorder = new MediaRecorder(stream, type ? { mimeType: type } : undefined);
    recorder.addEventListener('dataavailable', (e) => { if (e.data.size > 0) enqueue(e.data); });
    recordedMs = 0;
    reportedMs = 0;
    lastTick = performance.now();
    recorder.start(chunkMs);
    meterLoop(analyser);
    root.dataset.state = 'recording';
    document.getElementById('interrupted')?.setAttribute('hidden', '');
    startBtn.hidden = true;
    [pauseBtn.disabled, stopBtn.disabled] = [false, false];
    deviceSelect.disabled = true;
    say('Recording…');
    pauseBtn.focus();
  }

  function pause() {
    recorder.pause();
    root.dataset.state = 'paused';
    pauseBtn.hidden = true;
    [resumeBtn.hidden, resumeBtn.disabled] = [false, false];
    resumeBtn.focus();
    say('Paused.');
  }

  function resume() {
    lastTick = performance.now();
    recorder.resume();
    root.dataset.state = 'recording';
    resumeBtn.hidden = true;
    pauseBtn.hidden = false;
    pauseBtn.focus();
    say('Recording…');
  }

  async function stopRecorder() {
    if (!recorder || recorder.state === 'inactive') return;
    const stopped = new Promise((r) => recorder.addEventListener('stop', r, { once: true }));
    recorder.stop();
    await stopped;
    stream.getTracks().forEach((t) => t.stop());
    cancelAnimationFrame(rafId);
    await audioContext?.close();
    meter.value = 0;
  }

  async function finish() {
    [pauseBtn.disabled, resumeBtn.disabled, stopBtn.disabled] = [true, true, true];
    root.dataset.state = 'finishing';
    await stopRecorder();
    say('Saving the last chunk…');
    await queue;
    if (failed) return;
    say('Joining the recording…');
    try {
      const done = await finalize();
      say('Starting processing…');
      await api('POST', `/api/shows/${showId}/episodes/${episodeId}/audio`, { uploadId: done.uploadId });
      root.dataset.state = 'done';
      location.assign(`/shows/${showId}/episodes/${episodeId}`);
    } catch (e) {
      root.dataset.state = 'refused';
      refuse(e);
      say('The recording is kept on the server. Reload this page to finish it later.');
    }
  }

  // A busy server answers 503 recording_join_timeout with Retry-After and changes nothing: try again a few times.
  async function finalize() {
    for (let attempt = 1; ; attempt++) {
      try {
        return await api('POST', `/api/recordings/${recordingId}/finalize`);
      } catch (e) {
        if (!(e instanceof ApiError) || e.problem.code !== 'recording_join_timeout' || attempt >= 3) throw e;
        const wait = Number(e.problem.retryAfterSeconds || 30);
        say(`The server is busy joining; trying again in ${wait} s…`);
        await new Promise((r) => setTimeout(r, wait * 1000));
      }
    }
  }

  // The server's sentence, plus the plans link when a limit refused it.
  function refuse(e) {
    fail(e.message);
    if (e instanceof ApiError && e.problem.upgradeUrl) {
      const link = Object.assign(document.createElement('a'), { href: e.problem.upgradeUrl, textContent: 'See plans' });
      error.append(' ', link);
    }
  }

  startBtn.addEventListener('click', start);
  $('resume-session')?.addEventListener('click', start);
  $('finalize-session')?.addEventListener('click', finish);
  pauseBtn.addEventListener('click', pause);
  resumeBtn.addEventListener('click', resume);
  stopBtn.addEventListener('click', finish);
  window.addEventListener('beforeunload', (e) => {
    if (root.dataset.state === 'recording' || root.dataset.state === 'paused') e.preventDefault();
  });
  listDevices().catch(() => {});
  root.dataset.state = 'idle';
}
