/*
 * video-compressor: every <video data-vcmp-hls> plays its HLS ladder through hls.js (natively only
 * where hls.js cannot run), dressed by Plyr with the poster and the storyboard's thumbnails on the
 * seek bar. hls.js and Plyr are bundled with the plugin: nothing is loaded from another site.
 */
(function () {
  'use strict';
  var config = window.vcmpPlayer || {};
  var SPRITE_ID = 'vcmp-plyr-sprite';

  /** Plays the ladder; returns how: 'hls.js', 'native', 'fallback' (the original upload) or 'none'. */
  function attach(video, src, fallback) {
    // hls.js first wherever it can run, even where canPlayType also answers for HLS (recent
    // Chrome does): one player for all desktop browsers, the one the dashboard plays ladders with.
    if (window.Hls && window.Hls.isSupported()) {
      var hls = new window.Hls({ capLevelToPlayerSize: true });
      hls.on(window.Hls.Events.ERROR, function (_event, data) {
        // A broken ladder must not leave an empty player: play the original upload instead.
        if (data && data.fatal && fallback) {
          hls.destroy();
          video.setAttribute('data-vcmp-engine', 'fallback');
          video.src = fallback;
        }
      });
      hls.loadSource(src);
      hls.attachMedia(video);
      return 'hls.js';
    }
    // Without Media Source Extensions (iPhones before iOS 17.1): the browser's own HLS.
    if (video.canPlayType('application/vnd.apple.mpegurl')) {
      video.src = src;
      return 'native';
    }
    if (fallback) {
      video.src = fallback;
      return 'fallback';
    }
    return 'none';
  }

  /** Plyr's controls over the <video>, with the storyboard's tiles above the seek bar. */
  function dress(video) {
    var storyboard = video.getAttribute('data-vcmp-storyboard');
    return new window.Plyr(video, {
      // Plyr's defaults point at its CDN. The icons come from the bundled sprite, which all()
      // puts into the page once (whatever Content-Type the server gives .svg files), referenced
      // by id: '' + '#plyr-play'.
      loadSprite: false,
      iconUrl: '',
      // Set by Plyr when it drops a source; an empty one loads nothing.
      blankVideo: '',
      previewThumbnails: { enabled: Boolean(storyboard), src: storyboard || '' },
    });
  }

  function start(video) {
    var src = video.getAttribute('data-vcmp-hls');
    var fallback = video.getAttribute('data-vcmp-fallback');
    if (!src || video.getAttribute('data-vcmp-ready')) return false;
    video.setAttribute('data-vcmp-ready', '1');
    // The <source> children are for browsers without JavaScript (preload="none" kept them from
    // loading anything); from here on this script chooses. <track> captions stay.
    var sources = video.querySelectorAll('source');
    for (var i = 0; i < sources.length; i += 1) video.removeChild(sources[i]);
    video.preload = video.getAttribute('data-vcmp-preload') || 'metadata';
    // Plyr before the ladder: its constructor reloads the element (media.load()), which would
    // drop the MediaSource hls.js had attached, with a failed load of its blob: URL.
    var dressed = Boolean(window.Plyr);
    if (dressed) dress(video);
    video.setAttribute('data-vcmp-engine', attach(video, src, fallback));
    return dressed;
  }

  function all() {
    var videos = document.querySelectorAll('video[data-vcmp-hls]');
    var dressed = false;
    for (var i = 0; i < videos.length; i += 1) dressed = start(videos[i]) || dressed;
    if (dressed && config.iconUrl) window.Plyr.loadSprite(config.iconUrl, SPRITE_ID);
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', all);
  else all();
})();
