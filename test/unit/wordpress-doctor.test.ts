import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { answerError } from '../../src/sources/wordpress-client.js';
import { credentialsCheck, EXPECTED_PLUGIN_VERSION, pluginCheck } from '../../src/sources/wordpress-doctor.js';

const status = (version: unknown) => ({ status: 200, data: { version, counts: { pending: 3 } } });
const me = (capabilities: Record<string, boolean>) => ({ status: 200, data: { id: 2, capabilities } });
const EDITOR = { upload_files: true, edit_others_posts: true };

describe('WordPress doctor: plugin version', () => {
  it('expects plugin 2.0.0 and takes any 2.x', () => {
    assert.equal(EXPECTED_PLUGIN_VERSION, '2.0.0');
    assert.deepEqual(pluginCheck(status('2.0.0')), { level: 'ok', name: 'wordpress plugin', detail: 'version 2.0.0 active (3 pending)' });
    assert.equal(pluginCheck(status('2.0.7')).level, 'ok');
    const newer = pluginCheck(status('2.3.1'));
    assert.equal(newer.level, 'ok');
    assert.match(newer.detail, /version 2\.3\.1 active \(3 pending\), newer than the 2\.0\.0 this daemon knows: compatible/);
    assert.equal(pluginCheck(status('2.1.0-beta.2')).level, 'ok');
  });

  it('fails on another major, saying which side to update', () => {
    const old = pluginCheck(status('1.0.0'));
    assert.equal(old.level, 'fail');
    assert.match(old.detail, /version 1\.0\.0 active: this daemon needs plugin 2\.x; update the plugin/);
    const future = pluginCheck(status('3.0.0'));
    assert.equal(future.level, 'fail');
    assert.match(future.detail, /this daemon needs plugin 2\.x; install plugin 2\.x, or a daemon written for plugin 3\.x/);
    for (const bad of [undefined, 2, 'two', ''])
      assert.deepEqual([pluginCheck(status(bad)).level, /needs plugin 2\.x/.test(pluginCheck(status(bad)).detail)], ['fail', true]);
  });
});

describe('WordPress doctor: credentials', () => {
  const config = { user: 'video-bot' };

  it('needs manage_video_compressor and the right to edit every media item', () => {
    assert.deepEqual(credentialsCheck(config, me({ ...EDITOR, manage_video_compressor: true, administrator: true })), {
      level: 'ok',
      name: 'wordpress credentials',
      detail: 'video-bot has manage_video_compressor and may edit every media item',
    });
    const editor = credentialsCheck(config, me(EDITOR));
    assert.equal(editor.level, 'fail');
    assert.match(editor.detail, /video-bot lacks the manage_video_compressor capability/);
    assert.match(editor.detail, /an administrator has it; for another user: wp user add-cap video-bot manage_video_compressor/);
    assert.doesNotMatch(editor.detail, /edit_others_posts/);
    const author = credentialsCheck(config, me({ upload_files: true, manage_video_compressor: true }));
    assert.equal(author.level, 'fail');
    assert.match(author.detail, /lacks the right to edit every media item \(upload_files, edit_others_posts/);
    assert.equal(credentialsCheck(config, { status: 200, data: {} }).level, 'fail');
  });

  it('a 403 names the capability and its fix', () => {
    const error = answerError({ status: 403, data: { code: 'rest_forbidden' } }, 'claiming video 7', {
      url: 'https://x',
      user: 'video-bot',
    });
    assert.equal(error.code, 'cms_unauthorized');
    assert.match(
      error.message,
      /denied video-bot while claiming video 7 \(403 rest_forbidden\): the user needs the manage_video_compressor capability/,
    );
    assert.match(error.message, /wp user add-cap video-bot manage_video_compressor/);
  });
});
