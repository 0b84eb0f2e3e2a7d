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

// fakeFS answers as a file system holding exactly the given package.json
// files (and nothing executable).
function fakeFS(files = {}, extra = {}) {
  return {
    existsSync: (f) => Object.prototype.hasOwnProperty.call(files, f),
    readJSON: (f) => {
      if (!Object.prototype.hasOwnProperty.call(files, f)) throw new Error(`ENOENT ${f}`);
      return files[f];
    },
    realpathSync: (f) => f,
    isExecutable: () => false,
    launcher: '/nowhere/baverify.js',
    ...extra,
  };
}

test('locate', async (t) => {
  const self = path.join('/p', 'node_modules', 'baverify');
  await t.test('BAVERIFY_BINARY wins, even on an unknown platform', () => {
    const got = shim.locate({ env: { BAVERIFY_BINARY: '/opt/baverify' }, platform: 'aix', arch: 'ppc64', self, fs: fakeFS() });
    assert.equal(got.file, '/opt/baverify');
  });
  await t.test('each platform finds bin/ in its own package, nested or hoisted beside the launcher', () => {
    for (const [key, pkg] of Object.entries(shim.PLATFORMS)) {
      const [platform, arch] = key.split('-');
      const exe = platform === 'win32' ? 'baverify.exe' : 'baverify';
      for (const dir of [path.join(self, 'node_modules', pkg), path.join('/p', 'node_modules', pkg)]) {
        const got = shim.locate({ env: {}, platform, arch, self, fs: fakeFS({ [path.join(dir, 'package.json')]: {} }) });
        assert.equal(got.error, undefined);
        assert.equal(got.file, path.join(dir, 'bin', exe));
      }
    }
  });
  await t.test('only folders of the install itself: never above the outermost node_modules', () => {
    const deep = path.join('/w', 'proj', 'node_modules', 'foo', 'node_modules', 'baverify');
    assert.deepEqual(shim.candidates(deep, '@baverify/linux-x64'), [
      path.join(deep, 'node_modules', '@baverify/linux-x64'),
      path.join('/w', 'proj', 'node_modules', 'foo', 'node_modules', '@baverify/linux-x64'),
      path.join('/w', 'proj', 'node_modules', '@baverify/linux-x64'),
    ]);
    const pnpm = path.join('/w', 'proj', 'node_modules', '.pnpm', 'baverify@1.2.3', 'node_modules', 'baverify');
    assert.ok(shim.candidates(pnpm, '@baverify/linux-x64').includes(path.join('/w', 'proj', 'node_modules', '.pnpm', 'baverify@1.2.3', 'node_modules', '@baverify/linux-x64')));
    // A package planted in the parent folder of the project is not looked at.
    const planted = path.join('/w', 'node_modules', '@baverify', 'linux-x64', 'package.json');
    const got = shim.locate({ env: {}, platform: 'linux', arch: 'x64', self: path.join('/w', 'proj', 'node_modules', 'baverify'), fs: fakeFS({ [planted]: {} }) });
    assert.equal(got.file, undefined);
    assert.match(got.error, /is not installed/);
  });
  await t.test('Yarn Plug\'n\'Play: its resolver, not the file system', () => {
    const got = shim.locate({ env: {}, platform: 'linux', arch: 'x64', self, fs: fakeFS(), pnp: (id) => path.join('/zip', id) });
    assert.equal(got.file, path.join('/zip', '@baverify', 'linux-x64', 'bin', 'baverify'));
    const none = shim.locate({ env: {}, platform: 'linux', arch: 'x64', self, fs: fakeFS(), pnp: () => { throw new Error('no'); } });
    assert.match(none.error, /is not installed/);
  });
  await t.test('an unknown platform names itself and the other ways to install', () => {
    const got = shim.locate({ env: {}, platform: 'freebsd', arch: 'x64', self, fs: fakeFS() });
    assert.equal(got.file, undefined);
    for (const want of ['freebsd-x64', 'process.platform freebsd', 'process.arch x64', 'linux-x64',
      'go install github.com/baverify/baverify@latest', 'brew install', 'releases', 'BAVERIFY_BINARY']) {
      assert.ok(got.error.includes(want), `missing ${JSON.stringify(want)} in:\n${got.error}`);
    }
  });
  await t.test('a known platform whose package is missing says which and why', () => {
    const got = shim.locate({ env: {}, platform: 'linux', arch: 'arm64', self, fs: fakeFS() });
    for (const want of ['@baverify/linux-arm64', 'linux-arm64', '--omit=optional', 'go install', 'brew install']) {
      assert.ok(got.error.includes(want), `missing ${JSON.stringify(want)} in:\n${got.error}`);
    }
  });
  await t.test('the missing-package message names the flags of the package manager that ran it', () => {
    for (const [ua, want, not] of [
      ['npm/11.1.0 node/v22.1.0 linux x64 workspaces/false', /without --omit=optional/, /pnpm|Yarn|Bun/],
      ['pnpm/10.4.0 npm/? node/v22.1.0 linux x64', /pnpm installs it.*without --no-optional.*supportedArchitectures/, /--omit=optional|Yarn|Bun/],
      ['yarn/1.22.22 npm/? node/v22.1.0 linux x64', /Yarn installs it.*without --ignore-optional/, /--omit=optional|pnpm|Bun/],
      ['yarn/4.5.3 npm/? node/v22.1.0 linux x64', /Yarn installs it.*supportedArchitectures in \.yarnrc\.yml/, /--omit=optional|--ignore-optional|pnpm|Bun/],
      ['bun/1.2.0 npm/? node/v22.1.0 linux x64', /Bun installs it.*without --omit=optional/, /pnpm|Yarn/],
      ['', /npm and Bun: --omit=optional; pnpm: --no-optional; Yarn 1: --ignore-optional/, /^$/],
    ]) {
      const got = shim.locate({ env: { npm_config_user_agent: ua }, platform: 'linux', arch: 'x64', self, fs: fakeFS() });
      const firstLines = got.error.split('\n').slice(0, 2).join('\n');
      assert.match(firstLines, want, ua);
      assert.doesNotMatch(firstLines, not, ua);
    }
  });
  await t.test('installed from a tarball: names the platform tarball to install with it', () => {
    const lock = {
      packages: { 'node_modules/baverify': { version: '1.2.3', resolved: 'file:../dist/baverify-1.2.3.tgz' } },
    };
    const got = shim.locate({
      env: { npm_config_user_agent: 'npm/11.1.0 node/v22.1.0 linux x64' },
      platform: 'linux',
      arch: 'x64',
      self,
      fs: fakeFS({ [path.join('/p', 'node_modules', '.package-lock.json')]: lock, [path.join(self, 'package.json')]: { version: '1.2.3' } }),
    });
    assert.match(got.error, /installed from \.\.\/dist\/baverify-1\.2\.3\.tgz/);
    assert.ok(got.error.includes('npm install --offline ../dist/baverify-1.2.3.tgz ../dist/baverify-linux-x64-1.2.3.tgz'), got.error);
    assert.doesNotMatch(got.error, /--omit=optional/);
    // pnpm's store names the folder after the file.
    assert.equal(shim.fromFile(path.join('/p', 'node_modules', '.pnpm', 'baverify@file+..+dist+baverify-1.2.3.tgz', 'node_modules', 'baverify'), () => ({})), '../dist/baverify-1.2.3.tgz');
    // From the registry: no tarball named.
    const reg = { packages: { 'node_modules/baverify': { resolved: 'https://registry.npmjs.org/baverify/-/baverify-1.2.3.tgz' } } };
    assert.equal(shim.fromFile(self, () => reg), '');
  });
  await t.test('BAVERIFY_BINARY that runs the launcher again is refused, not forked without end', () => {
    const launcher = path.join('/p', 'node_modules', 'baverify', 'bin', 'baverify.js');
    const bin = path.join('/p', 'node_modules', '.bin');
    const io = fakeFS({}, {
      launcher,
      isExecutable: (f) => f === path.join(bin, 'baverify'),
      realpathSync: (f) => (f === path.join(bin, 'baverify') ? launcher : f),
    });
    const env = { BAVERIFY_BINARY: 'baverify', PATH: [path.join('/usr', 'bin'), bin].join(path.delimiter) };
    const loop = shim.locate({ env, platform: 'linux', arch: 'x64', self, fs: io });
    assert.equal(loop.file, undefined);
    assert.match(loop.error, /BAVERIFY_BINARY \(baverify\) runs this npm launcher again/);
    // Through a wrapper (another path): the launcher's mark in the environment.
    const again = shim.locate({ env: { BAVERIFY_BINARY: '/opt/wrapper', [shim.MARKER]: '1' }, platform: 'linux', arch: 'x64', self, fs: io });
    assert.match(again.error, /runs this npm launcher again/);
    // A real binary of that name elsewhere on PATH runs.
    const ok = shim.locate({ env: { ...env, PATH: path.join('/usr', 'bin') }, platform: 'linux', arch: 'x64', self, fs: io });
    assert.equal(ok.file, 'baverify');
  });
});

test('versionWarning', () => {
  const found = { pkg: '@baverify/linux-x64', manifest: '/x/package.json' };
  assert.equal(shim.versionWarning(found, '1.2.3', () => ({ version: '1.2.3' })), '');
  assert.match(shim.versionWarning(found, '1.2.3', () => ({ version: '1.2.2' })), /@baverify\/linux-x64 is version 1\.2\.2, but baverify is 1\.2\.3/);
  assert.equal(shim.versionWarning({ file: '/opt/baverify' }, '1.2.3', () => ({ version: '9' })), '');
});

test('every signal of this platform is forwarded or has a reason not to be', () => {
  // Why a signal is not forwarded (see FORWARDED in the launcher).
  const notForwarded = {
    SIGKILL: 'cannot be caught', SIGSTOP: 'cannot be caught',
    SIGUSR1: "Node's inspector", SIGPIPE: 'ignored by Node',
    SIGILL: 'a fault of the launcher', SIGTRAP: 'a fault of the launcher', SIGABRT: 'a fault of the launcher',
    SIGIOT: 'SIGABRT', SIGBUS: 'a fault of the launcher', SIGFPE: 'a fault of the launcher',
    SIGSEGV: 'a fault of the launcher', SIGSYS: 'a fault of the launcher', SIGSTKFLT: 'a fault of the launcher',
    SIGXCPU: "the launcher's own limit", SIGXFSZ: "the launcher's own limit",
    SIGVTALRM: "the launcher's own timer", SIGPROF: "the launcher's own timer",
    SIGTSTP: 'the terminal sends it to the group', SIGTTIN: 'the terminal sends it to the group',
    SIGTTOU: 'the terminal sends it to the group', SIGWINCH: 'the terminal sends it to the group',
    SIGCONT: 'does not end a process', SIGCHLD: 'does not end a process', SIGURG: 'does not end a process',
    SIGIO: 'does not end Node', SIGPOLL: 'SIGIO', SIGPWR: 'sent to every process', SIGINFO: 'does not end a process',
    SIGLOST: 'not used', SIGBREAK: 'Windows: the console', SIGUNUSED: 'SIGSYS',
  };
  for (const sig of Object.keys(os.constants.signals)) {
    assert.ok(shim.FORWARDED.includes(sig) !== Object.prototype.hasOwnProperty.call(notForwarded, sig),
      `${sig}: forward it, or say why not (forwarded: ${shim.FORWARDED.includes(sig)})`);
  }
  for (const sig of ['SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGTERM']) assert.ok(shim.FORWARDED.includes(sig), sig);
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
function install(t, { nested = false, platformVersion = '1.2.3', project = '' } = {}) {
  const top = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'baverify-shim-')));
  t.after(() => fs.rmSync(top, { recursive: true, force: true }));
  const dir = path.join(top, project);
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
  return { top, dir, launcher: path.join(main, 'bin', 'baverify.js') };
}

// plant writes a fake @baverify/<host> package into nm that says it was run.
function plant(nm) {
  const pkgDir = path.join(nm, shim.PLATFORMS[host]);
  fs.mkdirSync(path.join(pkgDir, 'bin'), { recursive: true });
  fs.writeFileSync(path.join(pkgDir, 'package.json'), JSON.stringify({ name: shim.PLATFORMS[host], version: '1.2.3' }));
  const fake = path.join(pkgDir, 'bin', 'baverify');
  fs.writeFileSync(fake, `#!${process.execPath}\nprocess.stdout.write('PLANTED ' + process.argv.slice(2).join(' '));\n`);
  fs.chmodSync(fake, 0o755);
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
  await t.test('a platform package planted in a parent folder or NODE_PATH does not run', () => {
    const { top, dir, launcher } = install(t, { project: 'proj' });
    fs.rmSync(path.join(dir, 'node_modules', shim.PLATFORMS[host]), { recursive: true });
    plant(path.join(top, 'node_modules')); // ../node_modules of the project
    plant(path.join(top, 'elsewhere')); // NODE_PATH
    const r = run(launcher, ['token', 'SECRET'], { NODE_PATH: path.join(top, 'elsewhere') });
    assert.equal(r.status, 127, r.stdout + r.stderr);
    assert.doesNotMatch(r.stdout, /PLANTED/);
    assert.match(r.stderr, /is not installed/);
  });
  await t.test('BAVERIFY_BINARY=baverify with the launcher first on PATH: refused, exit 127', () => {
    const { dir, launcher } = install(t);
    const bin = path.join(dir, 'node_modules', '.bin');
    fs.mkdirSync(bin, { recursive: true });
    fs.symlinkSync(path.relative(bin, launcher), path.join(bin, 'baverify'));
    fs.chmodSync(launcher, 0o755);
    const r = run(launcher, ['version'], { BAVERIFY_BINARY: 'baverify', PATH: `${bin}${path.delimiter}${process.env.PATH}` });
    assert.equal(r.status, 127, r.stderr);
    assert.match(r.stderr, /BAVERIFY_BINARY \(baverify\) runs this npm launcher again/);
    assert.equal(r.stdout, '');
  });
  await t.test('BAVERIFY_BINARY=a wrapper that runs the launcher: the second launcher refuses', () => {
    const { dir, launcher } = install(t);
    const wrapper = path.join(dir, 'wrapper');
    fs.writeFileSync(wrapper, `#!/bin/sh\nexec "${process.execPath}" "${launcher}" "$@"\n`);
    fs.chmodSync(wrapper, 0o755);
    const r = run(launcher, ['version'], { BAVERIFY_BINARY: wrapper });
    assert.equal(r.status, 127, r.stderr);
    assert.match(r.stderr, /runs this npm launcher again/);
  });
  await t.test('the binary does not inherit the launcher\'s mark in a way that stops it', () => {
    const { launcher } = install(t);
    const r = run(launcher, ['version'], { [shim.MARKER]: '1' });
    assert.equal(r.status, 0, r.stderr);
  });
  for (const [sig, mode, want] of [
    ['SIGINT', 'wait-sigint', { code: 130, signal: null }], // the binary handles it: 130
    ['SIGTERM', 'wait', { code: null, signal: 'SIGTERM' }], // it does not: both die by it
    ['SIGINT', 'wait', { code: null, signal: 'SIGINT' }],
    ['SIGQUIT', 'wait', { code: null, signal: 'SIGQUIT' }],
    ['SIGHUP', 'wait', { code: null, signal: 'SIGHUP' }],
    ['SIGUSR2', 'wait', { code: null, signal: 'SIGUSR2' }],
    ['SIGALRM', 'wait', { code: null, signal: 'SIGALRM' }],
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

// docs/install.md gives what the launcher's messages point to: the local
// tarball install (launcher and platform tarball in one command), Yarn's
// age gate and its pre-approval, and the publishing order.
test('docs/install.md covers local tarballs, Yarn\'s age gate and the publish order', () => {
  const doc = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'install.md'), 'utf8');
  assert.match(doc, /npm install --offline \S*baverify-0\.0\.0-dev\.tgz \S*baverify-linux-x64-0\.0\.0-dev\.tgz/);
  assert.match(doc, /npx baverify version/);
  assert.match(doc, /npmMinimalAgeGate/);
  assert.match(doc, /npmPreapprovedPackages:\n\s+- baverify\n\s+- "@baverify\/\*"/);
  assert.match(doc, /Every platform package must be on the registry before the launcher is published/);
  // The message names the same kind of command.
  const msg = shim.notInstalled({ pkg: '@baverify/linux-x64', key: 'linux-x64', env: {}, file: '../dist/baverify-0.0.0-dev.tgz', version: '0.0.0-dev' });
  assert.match(msg, /npm install --offline \.\.\/dist\/baverify-0\.0\.0-dev\.tgz \.\.\/dist\/baverify-linux-x64-0\.0\.0-dev\.tgz/);
});
