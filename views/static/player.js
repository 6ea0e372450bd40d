// The job page's HLS player: hls.js (served by the daemon, never a CDN) over Media Source
// Extensions, or the browser's own HLS support where MSE is missing (Safari on iOS).
'use strict';

(function () {
  const video = document.querySelector('video[data-hls-src]');
  if (!video) return;
  const src = video.dataset.hlsSrc;
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
