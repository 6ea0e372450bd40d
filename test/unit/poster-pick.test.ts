import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ladderBase, ladderFile, posterUrlFor } from '../../src/domain/poster-pick.js';
import { ladderMedia } from '../../src/http/admin/ladder-media.js';
import type { JobRow } from '../../src/store/job-repository.js';

const BASE = 'https://cdn.example.com/storage/hls/local-j1/';
const THUMBS = [1, 2, 3].map((n) => `${BASE}thumbnails/thumb-0${n}.jpg`);

/** A completed local job as the repository reads it; only the fields the picker reads matter. */
function completed(posterUrl: string): JobRow {
  return {
    id: 'j1',
    status: 'completed',
    hlsUrl: `${BASE}master.m3u8`,
    posterUrl,
    thumbnailUrls: THUMBS,
    storyboardUrl: `${BASE}storyboard/storyboard.vtt`,
    previewUrl: `${BASE}preview.mp4`,
  } as unknown as JobRow;
}

describe('poster pick', () => {
  it('0 is the ladder poster, n the n-th thumbnail, anything else nothing', () => {
    const ladder = { hlsUrl: `${BASE}master.m3u8`, thumbnailUrls: THUMBS };
    assert.equal(ladderBase(ladder.hlsUrl), BASE);
    assert.equal(posterUrlFor(0, ladder), `${BASE}poster.jpg`);
    assert.equal(posterUrlFor(3, ladder), THUMBS[2]);
    assert.equal(posterUrlFor(4, ladder), null);
  });

  it('tells a file of the ladder from any other URL', () => {
    assert.equal(ladderFile(`${BASE}master.m3u8`, THUMBS[1] ?? ''), 'thumbnails/thumb-02.jpg');
    assert.equal(ladderFile(`${BASE}master.m3u8`, 'https://cdn.example.com/storage/hls/local-j2/poster.jpg'), null);
    assert.equal(ladderFile(`${BASE}master.m3u8`, BASE), null);
  });

  it('the page fetches a picked thumbnail from the daemon when it serves the ladders, and marks it current', () => {
    const media = ladderMedia(completed(THUMBS[1] ?? ''), { serveHls: true });
    assert.equal(media.poster, '/storage/hls/local-j1/thumbnails/thumb-02.jpg');
    assert.equal(media.storyboard, '/storage/hls/local-j1/storyboard/storyboard.vtt');
    assert.deepEqual(
      media.posterChoices.map((c) => [c.n, c.current]),
      [
        [0, false],
        [1, false],
        [2, true],
        [3, false],
      ],
    );
    // Through nginx: the public URLs as written to the record.
    assert.equal(ladderMedia(completed(`${BASE}poster.jpg`), { serveHls: false }).poster, `${BASE}poster.jpg`);
  });
});
