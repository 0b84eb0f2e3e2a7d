// Tests of the npm launcher (npm/baverify/bin/baverify.js): node --test npm/test/
// scripts/test.sh runs them. The launcher runs a stand-in "binary" (a Node
// script) from real node_modules layouts in a temporary directory; the
// real binary, through real npm installs, is scripts/npm-check.sh's job.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const childProcess = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const shimSource = path.join(__dirname, '..', 'baverify', 'bin', 'baverify.js');
const shim = require(shimSource);
const template = require('../baverify/package.json');

const host = `${process.platform}-${process.arch}`;
const unix = process.platform !== 'win32';

test('the optional dependencies are exactly the platforms the launcher knows, at its version', () => {
  assert.deepEqual(Object.keys(template.optionalDependencies).sort(), Object.values(shim.PLATFORMS).sort());
  for (const v of Object.values(template.optionalDependencies)) assert.equal(v, template.version);
  assert.deepEqual(Object.keys(shim.PLATFORMS).sort(), [
    'darwin-arm64', 'darwin-x64', 'linux-arm64', 'linux-x64', 'win32-arm64', 'win32-x64',
  ]);
});

test('the launcher package runs nothing at install time', () => {
  for (const s of ['preinstall', 'install', 'postinstall', 'prepare']) {
    assert.equal(template.scripts?.[s], undefined, s);
  }
});

test('locate', async (t) => {
  const resolveTo = (dir) => (id) => path.join(dir, id);
  const missing = (id) => {
    const err = new Error(`Cannot find module '${id}'`);
    err.code = 'MODULE_NOT_FOUND';
    throw err;
  };
  await t.test('BAVERIFY_BINARY wins, even on an unknown platform', () => {
    const got = shim.locate({ env: { BAVERIFY_BINARY: '/opt/baverify' }, platform: 'aix', arch: 'ppc64', resolve: missing });
    assert.equal(got.file, '/opt/baverify');
  });
  await t.test('each platform finds bin/ in its own package', () => {
    for (const [key, pkg] of Object.entries(shim.PLATFORMS)) {
      const [platform, arch] = key.split('-');
      const got = shim.locate({ env: {}, platform, arch, resolve: resolveTo('/nm') });
      const exe = platform === 'win32' ? 'baverify.exe' : 'baverify';
      assert.equal(got.file, path.join('/nm', pkg, 'bin', exe));
      assert.equal(got.error, undefined);
    }
  });
  await t.test('an unknown platform names itself and the other ways to install', () => {
    const got = shim.locate({ env: {}, platform: 'freebsd', arch: 'x64', resolve: resolveTo('/nm') });
    assert.equal(got.file, undefined);
    for (const want of ['freebsd-x64', 'process.platform freebsd', 'process.arch x64', 'linux-x64',
      'go install github.com/baverify/baverify@latest', 'brew install', 'releases', 'BAVERIFY_BINARY']) {
      assert.ok(got.error.includes(want), `missing ${JSON.stringify(want)} in:\n${got.error}`);
    }
  });
  await t.test('a known platform whose package is missing says which and why', () => {
    const got = shim.locate({ env: {}, platform: 'linux', arch: 'arm64', resolve: missing });
    for (const want of ['@baverify/linux-arm64', 'linux-arm64', '--omit=optional', 'go install', 'brew install']) {
      assert.ok(got.error.includes(want), `missing ${JSON.stringify(want)} in:\n${got.error}`);
    }
  });
});

test('versionWarning', () => {
  const found = { pkg: '@baverify/linux-x64', manifest: '/x/package.json' };
  assert.equal(shim.versionWarning(found, '1.2.3', () => ({ version: '1.2.3' })), '');
  assert.match(shim.versionWarning(found, '1.2.3', () => ({ version: '1.2.2' })), /@baverify\/linux-x64 is version 1\.2\.2, but baverify is 1\.2\.3/);
  assert.equal(shim.versionWarning({ file: '/opt/baverify' }, '1.2.3', () => ({ version: '9' })), '');
});

test('exitCodeOf', () => {
  assert.equal(shim.exitCodeOf(0, null), 0);
  assert.equal(shim.exitCodeOf(3, null), 3);
  assert.equal(shim.exitCodeOf(null, 'SIGINT'), 130);
  assert.equal(shim.exitCodeOf(null, 'SIGTERM'), 143);
  assert.equal(shim.exitCodeOf(null, 'SIGKILL'), 137);
});

// The stand-in binary: prints its arguments as JSON, then does what
// FAKE_MODE says.
const fakeSource = `
const mode = process.env.FAKE_MODE || '';
process.stdout.write(JSON.stringify(process.argv.slice(2)) + '\\n');
if (mode.startsWith('exit:')) process.exit(Number(mode.slice(5)));
if (mode === 'die:SIGTERM') process.kill(process.pid, 'SIGTERM');
if (mode === 'wait-sigint') {
  // like baverify during a network wait: Ctrl-C ends the run with 130
  process.on('SIGINT', () => { process.stderr.write('interrupted\\n'); process.exit(130); });
  process.stderr.write('ready\\n');
  setTimeout(() => process.exit(99), 20000);
}
if (mode === 'wait') {
  // no handlers: a signal ends it
  process.stderr.write('ready ' + process.pid + '\\n');
  setTimeout(() => process.exit(99), 20000);
}
`;

// install lays out node_modules as a package manager would: the launcher
// package, and the platform package hoisted (npm) or nested under it.
function install(t, { nested = false, platformVersion = '1.2.3' } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baverify-shim-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const main = path.join(dir, 'node_modules', 'baverify');
  fs.mkdirSync(path.join(main, 'bin'), { recursive: true });
  fs.copyFileSync(shimSource, path.join(main, 'bin', 'baverify.js'));
  fs.writeFileSync(path.join(main, 'package.json'), JSON.stringify({ ...template, version: '1.2.3' }));
  const pkgDir = nested
    ? path.join(main, 'node_modules', shim.PLATFORMS[host])
    : path.join(dir, 'node_modules', shim.PLATFORMS[host]);
  fs.mkdirSync(path.join(pkgDir, 'bin'), { recursive: true });
  fs.writeFileSync(path.join(pkgDir, 'package.json'), JSON.stringify({ name: shim.PLATFORMS[host], version: platformVersion }));
  const fake = path.join(pkgDir, 'bin', 'baverify');
  fs.writeFileSync(fake, `#!${process.execPath}\n${fakeSource}`);
  fs.chmodSync(fake, 0o755);
  return { dir, launcher: path.join(main, 'bin', 'baverify.js') };
}

function run(launcher, args, env = {}, nodeArgs = []) {
  return childProcess.spawnSync(process.execPath, [...nodeArgs, launcher, ...args], {
    encoding: 'utf8',
    env: { ...process.env, BAVERIFY_BINARY: '', ...env },
    timeout: 20000,
  });
}

const awkward = ['token', '--jwks', 'a file.json', '', '"quoted"', "it's", '$HOME', '*', '--', '-', 'ünïcödé', 'a\nb', '--no-cache=true'];

test('the launcher runs the platform binary', { skip: !unix && 'the stand-in binary is a script with a #! line' }, async (t) => {
  if (!shim.PLATFORMS[host]) {
    t.skip(`no package for ${host}`);
    return;
  }
  await t.test('hoisted: arguments pass through untouched, exit 0', () => {
    const { launcher } = install(t);
    const r = run(launcher, awkward);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), awkward);
    assert.equal(r.stderr, '');
  });
  await t.test('nested under baverify/node_modules', () => {
    const { launcher } = install(t, { nested: true });
    const r = run(launcher, ['version']);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), ['version']);
  });
  await t.test('the exit code is the binary\'s', () => {
    const { launcher } = install(t);
    for (const code of [1, 2, 3, 130]) {
      const r = run(launcher, [], { FAKE_MODE: `exit:${code}` });
      assert.equal(r.status, code, r.stderr);
    }
  });
  await t.test('a binary killed by a signal: the launcher dies by it too', () => {
    const { launcher } = install(t);
    const r = run(launcher, [], { FAKE_MODE: 'die:SIGTERM' });
    assert.equal(r.signal, 'SIGTERM', `status ${r.status}, stderr ${r.stderr}`);
  });
  await t.test('BAVERIFY_BINARY overrides the package', () => {
    const { dir, launcher } = install(t);
    const other = path.join(dir, 'other-baverify');
    fs.writeFileSync(other, `#!${process.execPath}\nprocess.stdout.write('other ' + process.argv.slice(2).join(' '));\n`);
    fs.chmodSync(other, 0o755);
    const r = run(launcher, ['version'], { BAVERIFY_BINARY: other });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'other version');
  });
  await t.test('BAVERIFY_BINARY that does not exist: exit 127 and says so', () => {
    const { dir, launcher } = install(t);
    const r = run(launcher, ['version'], { BAVERIFY_BINARY: path.join(dir, 'nope') });
    assert.equal(r.status, 127);
    assert.match(r.stderr, /cannot run BAVERIFY_BINARY \(.*nope\)/);
  });
  await t.test('a platform package of another version: runs, and warns', () => {
    const { launcher } = install(t, { platformVersion: '1.2.2' });
    const r = run(launcher, ['version']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /is version 1\.2\.2, but baverify is 1\.2\.3/);
  });
  await t.test('no package for this platform: exit 127, names it and the other ways', () => {
    const { dir, launcher } = install(t);
    const preload = path.join(dir, 'freebsd.js');
    fs.writeFileSync(preload, "Object.defineProperty(process, 'platform', { value: 'freebsd' });\n");
    const r = run(launcher, ['version'], {}, ['--require', preload]);
    assert.equal(r.status, 127);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, new RegExp(`freebsd-${process.arch}`));
    assert.match(r.stderr, /go install github\.com\/baverify\/baverify@latest/);
    assert.match(r.stderr, /brew install --cask baverify\/tap\/baverify/);
  });
  await t.test('the platform package is missing: exit 127, names it', () => {
    const { dir, launcher } = install(t);
    fs.rmSync(path.join(dir, 'node_modules', shim.PLATFORMS[host]), { recursive: true });
    const r = run(launcher, ['version']);
    assert.equal(r.status, 127);
    assert.ok(r.stderr.includes(`${shim.PLATFORMS[host]}`), r.stderr);
    assert.match(r.stderr, /--omit=optional/);
  });
  for (const [sig, mode, want] of [
    ['SIGINT', 'wait-sigint', { code: 130, signal: null }], // the binary handles it: 130
    ['SIGTERM', 'wait', { code: null, signal: 'SIGTERM' }], // it does not: both die by it
    ['SIGINT', 'wait', { code: null, signal: 'SIGINT' }],
  ]) {
    await t.test(`${sig} sent to the launcher alone reaches the binary (${mode})`, async () => {
      const { launcher } = install(t);
      const got = await signalled(launcher, sig, { FAKE_MODE: mode });
      assert.deepEqual({ code: got.code, signal: got.signal }, want, got.stderr);
      // The binary itself ended: the launcher did not just die and leave it running.
      const pid = Number((/ready (\d+)/.exec(got.stderr) || [])[1]);
      if (pid) assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' }, `the binary (pid ${pid}) is still running`);
    });
  }
});

// signalled starts the launcher, waits until the stand-in binary is ready,
// sends sig to the launcher's process only, and resolves with how it ended.
function signalled(launcher, sig, env) {
  return new Promise((resolve, reject) => {
    const child = childProcess.spawn(process.execPath, [launcher], {
      env: { ...process.env, BAVERIFY_BINARY: '', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no exit 10s after ${sig}; stderr: ${stderr}`));
    }, 10000);
    child.stderr.on('data', (b) => {
      stderr += b;
      if (/ready( \d+)?\n/.test(stderr) && !child.sent) {
        child.sent = true;
        child.kill(sig);
      }
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stderr });
    });
  });
}
