// Note view: timestamps (#t=seconds links) seek the embedded player, or open the source video page at that moment.
const player = document.getElementById('note-player');
const source = document.getElementById('note-source');

document.getElementById('note-body')?.addEventListener('click', (event) => {
  const link = event.target.closest('a[href^="#t="]');
  if (!link) return;
  const seconds = Number(link.getAttribute('href').slice(3));
  if (!Number.isFinite(seconds)) return;
  event.preventDefault();
  if (player) {
    player.currentTime = seconds;
    player.play().catch(() => {});
    player.focus();
  } else if (source?.dataset.url) {
    window.open(`${source.dataset.url.split('#')[0]}#t=${seconds}`, '_blank', 'noopener');
  }
});
