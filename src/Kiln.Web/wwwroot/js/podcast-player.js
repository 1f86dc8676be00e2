// The public episode player. The native <audio> element is the player (it works without this script and with any
// assistive technology); this adds a waveform from the server's precomputed peaks (wavesurfer.js, so a long episode
// draws at once without decoding), speed, keyboard seeking, and the transcript and chapters: click a line to seek,
// the line being spoken is highlighted.
import WaveSurfer from '/lib/wavesurfer/wavesurfer.esm.js';

const root = document.getElementById('player');
const audio = document.getElementById('audio');
const wave = document.getElementById('waveform');
const toggle = document.getElementById('play-toggle');
const clock = document.getElementById('clock');
const fmt = (t) => {
  const s = Math.max(0, Math.floor(t));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  return (h ? `${h}:${String(m).padStart(2, '0')}` : `${m}`) + `:${String(r).padStart(2, '0')}`;
};
const seek = (t) => {
  const max = Number.isFinite(audio.duration) ? audio.duration : Number(root.dataset.duration) || t;
  audio.currentTime = Math.min(Math.max(0, t), max);
};

async function waveform() {
  const duration = Number(root.dataset.duration);
  let peaks;
  if (root.dataset.peaks) {
    try {
      const res = await fetch(root.dataset.peaks);
      if (res.ok) {
        const json = await res.json();
        // audiowaveform-style {data:[min,max,…]} or a plain array of channels.
        peaks = Array.isArray(json) ? json : json.data ? [json.data.map((v) => v / (json.bits === 16 ? 32768 : 128))] : json.peaks;
      }
    } catch { /* the player works without a waveform */ }
  }
  WaveSurfer.create({
    container: wave, media: audio, peaks, duration: duration > 0 ? duration : undefined, height: 64,
    waveColor: '#8a94a6', progressColor: '#c2410c', cursorColor: '#7c2d12', normalize: true, cspNonce: root.dataset.styleNonce,
  });
}

toggle.addEventListener('click', () => (audio.paused ? audio.play() : audio.pause()));
document.getElementById('back-15').addEventListener('click', () => seek(audio.currentTime - 15));
document.getElementById('forward-30').addEventListener('click', () => seek(audio.currentTime + 30));
document.getElementById('speed').addEventListener('change', (e) => { audio.playbackRate = Number(e.target.value); });
audio.addEventListener('play', () => { toggle.textContent = 'Pause'; toggle.setAttribute('aria-pressed', 'true'); });
audio.addEventListener('pause', () => { toggle.textContent = 'Play'; toggle.setAttribute('aria-pressed', 'false'); });
wave.addEventListener('keydown', (e) => {
  const step = { ArrowLeft: -5, ArrowRight: 5, PageDown: -30, PageUp: 30 }[e.key];
  if (step !== undefined) { seek(audio.currentTime + step); e.preventDefault(); }
  else if (e.key === 'Home') { seek(0); e.preventDefault(); }
  else if (e.key === 'End' && Number.isFinite(audio.duration)) { seek(audio.duration); e.preventDefault(); }
  else if (e.key === ' ' || e.key === 'k') { audio.paused ? audio.play() : audio.pause(); e.preventDefault(); }
});

const cues = [...document.querySelectorAll('#transcript .cue')];
for (const b of document.querySelectorAll('[data-seek]')) {
  b.addEventListener('click', () => { seek(Number(b.dataset.seek)); if (audio.paused) audio.play().catch(() => {}); });
}
let current = null;
audio.addEventListener('timeupdate', () => {
  const t = audio.currentTime;
  clock.textContent = fmt(t);
  wave.setAttribute('aria-valuenow', String(Math.floor(t)));
  wave.setAttribute('aria-valuetext', fmt(t));
  const cue = cues.find((c) => t >= Number(c.dataset.seek) && t < Number(c.dataset.end)) ?? null;
  if (cue !== current) {
    current?.classList.remove('cue-current');
    current?.removeAttribute('aria-current');
    cue?.classList.add('cue-current');
    cue?.setAttribute('aria-current', 'true');
    current = cue;
  }
});

waveform();
