// The job page's player: Plyr (controls, the storyboard on the seek bar) over hls.js (Media
// Source Extensions), or the browser's own HLS where MSE is missing (Safari on iOS). hls.js is
// tried first: some browsers claim native HLS and then fail. Plyr wraps the <video> before hls.js
// attaches to it, so the MediaSource is opened once. Every file comes from this daemon or the
// ladder's own origin, never a CDN.
'use strict';

(function () {
  const video = document.querySelector('video[data-hls-src]');
  if (!video) return;
  const src = video.dataset.hlsSrc;
  const storyboard = video.dataset.storyboardSrc;
  if (window.Plyr) {
    const player = new window.Plyr(video, {
      iconUrl: '/admin/assets/plyr.svg',
      // Plyr's default points at its CDN; nothing here ever swaps the source.
      blankVideo: '',
      muted: true,
      keyboard: { focused: true, global: false },
      previewThumbnails: { enabled: Boolean(storyboard), src: storyboard || '' },
    });
    player.on('ready', () => {
      video.dataset.plyr = 'ready';
    });
  }
  const Hls = window.Hls;
  if (Hls && Hls.isSupported()) {
    const hls = new Hls({ capLevelToPlayerSize: true });
    hls.on(Hls.Events.ERROR, (_event, data) => {
      if (data.fatal) video.dataset.playerError = `${data.type}: ${data.details}`;
    });
    hls.loadSource(src);
    hls.attachMedia(video);
    video.dataset.engine = 'hls.js';
  } else if (video.canPlayType('application/vnd.apple.mpegurl')) {
    video.src = src;
    video.dataset.engine = 'native';
  } else {
    video.dataset.engine = 'none';
    video.insertAdjacentText('afterend', 'This browser cannot play HLS.');
  }
})();
