/* video-compressor: attaches hls.js (bundled with the plugin) to every <video data-vc-hls>. */
(function () {
  'use strict';
  function start(video) {
    var src = video.getAttribute('data-vc-hls');
    var fallback = video.getAttribute('data-vc-fallback');
    if (!src || video.getAttribute('data-vc-ready')) return;
    video.setAttribute('data-vc-ready', '1');
    // Safari and iOS play HLS themselves.
    if (video.canPlayType('application/vnd.apple.mpegurl')) {
      video.src = src;
      return;
    }
    if (window.Hls && window.Hls.isSupported()) {
      var hls = new window.Hls({ capLevelToPlayerSize: true });
      hls.on(window.Hls.Events.ERROR, function (_event, data) {
        // A broken ladder must not leave an empty player: play the original upload instead.
        if (data && data.fatal && fallback) {
          hls.destroy();
          video.src = fallback;
        }
      });
      hls.loadSource(src);
      hls.attachMedia(video);
      return;
    }
    if (fallback) video.src = fallback;
  }
  function all() {
    var videos = document.querySelectorAll('video[data-vc-hls]');
    for (var i = 0; i < videos.length; i += 1) start(videos[i]);
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', all);
  else all();
})();
