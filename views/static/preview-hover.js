// Listing pages: a completed job's still plays its preview.mp4 (a few silent seconds, looped)
// while the pointer is over it or it has keyboard focus, and goes back to the still after.
'use strict';

(function () {
  function start(link) {
    if (link.querySelector('video')) return;
    const video = document.createElement('video');
    video.src = link.dataset.previewSrc;
    video.muted = true;
    video.loop = true;
    video.playsInline = true;
    video.preload = 'auto';
    video.addEventListener('playing', () => {
      link.dataset.previewState = 'playing';
    });
    link.appendChild(video);
    link.dataset.previewState = 'loading';
    video.play().catch(() => {
      // Autoplay refused or the file is gone: the still stays.
      link.dataset.previewState = 'refused';
    });
  }

  function stop(link) {
    const video = link.querySelector('video');
    if (!video) return;
    video.pause();
    video.remove();
    delete link.dataset.previewState;
  }

  for (const link of document.querySelectorAll('[data-preview-src]')) {
    link.addEventListener('mouseenter', () => start(link));
    link.addEventListener('mouseleave', () => stop(link));
    link.addEventListener('focus', () => start(link));
    link.addEventListener('blur', () => stop(link));
  }
})();
