// Tests of the npm scripts (scripts/npm-publish.sh): node --test npm/test/
// They pack stand-in packages (npm/stage.js, a one-line "binary") with the
// real npm, offline, and point npm at a registry address nobody listens on.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const childProcess = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.join(__dirname, '..', '..');
const { PLATFORMS } = require('../baverify/bin/baverify.js');

const npm = childProcess.spawnSync('npm', ['--version'], { encoding: 'utf8' });
const skip = (process.platform === 'win32' && 'bash scripts') || (npm.status !== 0 && 'no npm on PATH');

function offlineEnv(work) {
  return {
    ...process.env,
    npm_config_registry: 'http://127.0.0.1:9/',
    npm_config_cache: path.join(work, 'cache'),
    npm_config_update_notifier: 'false',
    npm_config_fetch_retries: '0',
    npm_config_loglevel: 'error',
  };
}

// packAll writes the seven tarballs of version 0.0.0-dev into out, with a
// stand-in binary.
function packAll(work, out) {
  const env = offlineEnv(work);
  fs.mkdirSync(out, { recursive: true });
  const stage = (args, dir) => {
    const r = childProcess.spawnSync(process.execPath, [path.join(root, 'npm', 'stage.js'), ...args, dir], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const p = childProcess.spawnSync('npm', ['pack', '--pack-destination', out], { cwd: dir, env, encoding: 'utf8' });
    assert.equal(p.status, 0, p.stderr);
  };
  for (const key of Object.keys(PLATFORMS)) {
    const dir = path.join(work, 'stage', key);
    fs.mkdirSync(path.join(dir, 'bin'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'bin', key.startsWith('win32') ? 'baverify.exe' : 'baverify'), 'stand-in\n');
    stage(['platform', '0.0.0-dev', key], dir);
  }
  stage(['main', '0.0.0-dev'], path.join(work, 'stage', 'main'));
}

test('npm-publish.sh with a relative folder publishes the files, not a GitHub repository', { skip, timeout: 300000 }, () => {
  const work = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'baverify-npm-publish-')));
  try {
    packAll(work, path.join(work, 'dist-dev'));
    const r = childProcess.spawnSync(path.join(root, 'scripts', 'npm-publish.sh'), ['dist-dev'], {
      cwd: work,
      env: offlineEnv(work),
      encoding: 'utf8',
      timeout: 240000,
    });
    const out = r.stdout + r.stderr;
    assert.equal(r.status, 0, out);
    assert.doesNotMatch(out, /git ls-remote|github\.com\/dist-dev/);
    for (const name of [...Object.values(PLATFORMS), 'baverify']) {
      assert.ok(out.includes(`+ ${name}@0.0.0-dev`), `${name} was not published (dry run):\n${out}`);
    }
    // The order: every platform package before the launcher.
    assert.ok(out.lastIndexOf('+ @baverify/') < out.indexOf('+ baverify@'), out);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
});

test('npm-check.sh and npm-publish.sh refuse a folder that does not exist', { skip }, () => {
  for (const script of ['npm-check.sh', 'npm-publish.sh']) {
    const r = childProcess.spawnSync(path.join(root, 'scripts', script), ['no-such-folder'], { cwd: os.tmpdir(), encoding: 'utf8' });
    assert.notEqual(r.status, 0, script);
    assert.match(r.stderr, /no-such-folder is not a folder/, script);
  }
});
