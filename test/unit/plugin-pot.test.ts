import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { extractCalls, PLUGIN_DIR, pluginVersion, POT_FILE, renderPot, ROOT } from '../../scripts/make-pot.js';

describe('the WordPress plugin’s translation template', () => {
  it('is current: npm run docs writes what is committed', () => {
    const dir = path.join(ROOT, PLUGIN_DIR);
    assert.equal(readFileSync(path.join(ROOT, POT_FILE), 'utf8'), renderPot(dir, pluginVersion(dir)), 'run npm run docs');
  });

  it('reads single, plural and escaped strings with their translator comments, and only our text domain', () => {
    const source = [
      '<?php',
      "echo esc_html__( 'It\\'s done', 'video-compressor' );",
      '/* translators: %d: number of videos. */',
      "$a = sprintf( _n( '%d video', '%d videos', $n, 'video-compressor' ), $n );",
      "__( 'Core string', 'default' );",
      "_x( 'Post', 'noun', 'video-compressor' );",
    ].join('\n');
    assert.deepEqual(extractCalls(source, 'x.php'), [
      { msgid: "It's done", plural: undefined, context: undefined, comment: undefined, references: ['x.php:2'] },
      {
        msgid: '%d video',
        plural: '%d videos',
        context: undefined,
        comment: 'translators: %d: number of videos.',
        references: ['x.php:4'],
      },
      { msgid: 'Post', plural: undefined, context: 'noun', comment: undefined, references: ['x.php:6'] },
    ]);
  });
});
