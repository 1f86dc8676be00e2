// The episode editor's before/after toggle: one <audio> element switches between the processed episode and the raw
// input at the same moment, playing on if it was playing, so the difference is heard, not guessed.
const audio = document.getElementById('episode-audio');
const toggle = document.getElementById('before-after');
if (audio && toggle) {
  toggle.addEventListener('change', (e) => {
    const url = e.target.value === 'raw' ? audio.dataset.raw : audio.dataset.processed;
    if (!url || audio.currentSrc === url) return;
    const at = audio.currentTime;
    const playing = !audio.paused;
    audio.addEventListener('loadedmetadata', () => {
      audio.currentTime = Math.min(at, audio.duration || at);
      audio.dataset.side = e.target.value;
      if (playing) audio.play().catch(() => {});
    }, { once: true });
    audio.src = url;
  });
  audio.dataset.side = 'processed';
}
