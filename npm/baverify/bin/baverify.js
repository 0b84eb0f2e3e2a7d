#!/usr/bin/env node
// The npm entry point of baverify: finds the static binary that npm
// installed from the optional dependency for this platform, and runs it.
// There is no install script: npm, pnpm, Yarn and Bun install only the
// @baverify/<platform> package whose "os" and "cpu" fit, and this shim
// finds it at run time. Node 18 or later, no dependencies.
'use strict';

const childProcess = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

// process.platform-process.arch → the package that holds the binary.
// npm/stage.js packages exactly these, and the main package.json depends on
// them; a test keeps the three in step.
const PLATFORMS = {
  'darwin-arm64': '@baverify/darwin-arm64',
  'darwin-x64': '@baverify/darwin-x64',
  'linux-arm64': '@baverify/linux-arm64',
  'linux-x64': '@baverify/linux-x64',
  'win32-arm64': '@baverify/win32-arm64',
  'win32-x64': '@baverify/win32-x64',
};

const OTHER_WAYS = [
  'Other ways to install baverify:',
  '  go install github.com/baverify/baverify@latest        (Go 1.25 or later; CGO_ENABLED=0)',
  '  brew install --cask baverify/tap/baverify              (macOS and Linux)',
  '  a static binary from https://github.com/baverify/baverify/releases',
  'Or set BAVERIFY_BINARY to the path of a baverify binary.',
].join('\n');

// The launcher sets this in the environment of what it runs. Seen at start
// while BAVERIFY_BINARY is set, it means BAVERIFY_BINARY ran a launcher
// again (this one through PATH, or a wrapper of it), which would fork
// itself without end.
const MARKER = 'BAVERIFY_LAUNCHER';

// candidates lists where the platform package may be, from the launcher's
// own package directory (self, a real path) outwards, and nowhere else: in
// self/node_modules (nested: npm's global installs, a version conflict), then
// in each node_modules folder that holds self, innermost first (hoisted by
// npm, Yarn or Bun; beside it in pnpm's store). Never a node_modules folder
// above the outermost one that holds the launcher, and never NODE_PATH: a
// package planted in a parent folder (../node_modules) is not part of this
// install, and it would run with the user's token in its arguments.
function candidates(self, pkg) {
  const out = [path.join(self, 'node_modules', pkg)];
  let dir = self;
  for (;;) {
    const parent = path.dirname(dir);
    if (parent === dir) break;
    if (path.basename(parent) === 'node_modules') out.push(path.join(parent, pkg));
    dir = parent;
  }
  return out;
}

// manager names the package manager that ran the launcher, from the
// npm_config_user_agent that npm, npx, pnpm, Yarn and Bun set
// ("pnpm/10.4.0 npm/? node/v22.1.0 linux x64"): npm, pnpm, yarn (1), yarn-berry
// (2 and later), bun, or '' when unknown (run straight from a shell).
function manager(env) {
  const m = /^(npm|pnpm|yarn|bun)\/(\d+)/.exec(env.npm_config_user_agent || '');
  if (!m) return '';
  if (m[1] === 'yarn' && Number(m[2]) >= 2) return 'yarn-berry';
  return m[1];
}

// How each package manager leaves optional dependencies out, and what to do
// instead.
const OMITTED = {
  npm: 'npm installs it as an optional dependency of baverify: reinstall without --omit=optional (or --no-optional, or NPM_CONFIG_OMIT=optional)',
  pnpm: 'pnpm installs it as an optional dependency of baverify: reinstall without --no-optional, and check that pnpm.supportedArchitectures in package.json includes this platform',
  yarn: 'Yarn installs it as an optional dependency of baverify: reinstall without --ignore-optional',
  'yarn-berry': 'Yarn installs it as an optional dependency of baverify: check that supportedArchitectures in .yarnrc.yml includes this platform, then yarn install',
  bun: 'Bun installs it as an optional dependency of baverify: reinstall without --omit=optional (--omit optional)',
  '': 'The package manager installs it as an optional dependency of baverify: reinstall without leaving out optional dependencies (npm and Bun: --omit=optional; pnpm: --no-optional; Yarn 1: --ignore-optional)',
};

// fromFile says how the launcher package was installed when that was from a
// tarball or a folder, not a registry: the "resolved" of its entry in npm's
// hidden lock file (node_modules/.package-lock.json, "file:../dist/baverify-1.2.3.tgz",
// relative to the project) or a pnpm store folder named after a file
// ("baverify@file+..+dist+baverify-1.2.3.tgz"). '' when it cannot tell.
function fromFile(self, readJSON) {
  const nm = path.dirname(self);
  if (path.basename(nm) === 'node_modules') {
    try {
      const lock = readJSON(path.join(nm, '.package-lock.json'));
      for (const [key, entry] of Object.entries(lock.packages || {})) {
        if (key.endsWith('node_modules/baverify') && path.join(path.dirname(nm), key) === self) {
          const r = entry && entry.resolved;
          if (typeof r === 'string' && r.startsWith('file:')) return r.slice(5);
        }
      }
    } catch {
      // no hidden lock file (not npm, or an old one)
    }
  }
  const store = /[\\/]baverify@file\+([^\\/]+)[\\/]node_modules[\\/]baverify$/.exec(self);
  if (store) return store[1].replace(/\+/g, '/');
  return '';
}

// platformTarball is the file name npm pack gives the platform package:
// @baverify/linux-x64 at 1.2.3 is baverify-linux-x64-1.2.3.tgz.
function platformTarball(pkg, version) {
  return `${pkg.replace(/^@/, '').replace('/', '-')}-${version}.tgz`;
}

// notInstalled is the message for a platform package that is not there.
function notInstalled({ pkg, key, env, file, version }) {
  let msg = `baverify: the package ${pkg}, which holds the binary for this platform (${key}), is not installed.\n`;
  if (file) {
    // Installed from a tarball: the registry was not asked, so no optional
    // dependency came with it; the platform tarball has to be installed too.
    const want = platformTarball(pkg, version || '<version>');
    const dir = /\.tgz$/.test(file) ? path.posix.dirname(file.replace(/\\/g, '/')) : '';
    const where = dir && dir !== '.' ? `${dir}/${want}` : want;
    msg +=
      `baverify was installed from ${file}, so its optional dependency ${pkg} was not fetched: ` +
      `install the platform tarball too, from the same folder (scripts/npm-pack.sh writes both):\n` +
      `  npm install --offline ${/\.tgz$/.test(file) ? file : '<launcher tarball>'} ${where}\n`;
  } else {
    msg += `${OMITTED[manager(env)]}; if the lock file was made on another platform, delete node_modules and reinstall.\n`;
  }
  return msg + OTHER_WAYS;
}

// sameFile says whether a and b are the same file once links are followed.
function sameFile(a, b, realpath) {
  try {
    return realpath(a) === realpath(b);
  } catch {
    return false;
  }
}

// onPath finds a command name (no directory part) as a shell would: the
// first executable file of that name in PATH. '' when there is none.
function onPath(name, env, isExecutable) {
  if (name.includes('/') || name.includes(path.sep)) return name;
  for (const dir of (env.PATH || '').split(path.delimiter)) {
    if (!dir) continue;
    const f = path.join(dir, name);
    if (isExecutable(f)) return f;
  }
  return '';
}

// locate returns the binary to run: {file} or {error} (a message for the
// user). env, platform, arch, self (the launcher's package directory, a
// real path) and fs (existsSync, realpathSync, readJSON, isExecutable,
// launcher: this file) are parameters so that tests can ask for any
// platform and any install layout.
function locate({ env, platform, arch, self, fs: io, pnp }) {
  if (env.BAVERIFY_BINARY) {
    const file = env.BAVERIFY_BINARY;
    const loop =
      `baverify: BAVERIFY_BINARY (${file}) runs this npm launcher again, which would start itself ` +
      'without end: set BAVERIFY_BINARY to the path of the baverify binary itself, or unset it.';
    if (env[MARKER]) return { error: loop, loop: true };
    const resolved = onPath(file, env, io.isExecutable);
    if (resolved && sameFile(resolved, io.launcher, io.realpathSync)) return { error: loop, loop: true };
    return { file, override: true };
  }
  const key = `${platform}-${arch}`;
  const pkg = PLATFORMS[key];
  if (!pkg) {
    return {
      error:
        `baverify: there is no npm package of baverify for this platform (${key}: ` +
        `process.platform ${platform}, process.arch ${arch}); packages exist for ` +
        `${Object.keys(PLATFORMS).join(', ')}.\n${OTHER_WAYS}`,
    };
  }
  let manifest = '';
  if (pnp) {
    // Yarn Plug'n'Play: no node_modules; its resolver answers from the
    // dependencies that the lock file declares for this package, never from
    // the file system around it.
    try {
      manifest = pnp(`${pkg}/package.json`);
    } catch {
      manifest = '';
    }
  } else {
    for (const dir of candidates(self, pkg)) {
      if (io.existsSync(path.join(dir, 'package.json'))) {
        manifest = path.join(dir, 'package.json');
        break;
      }
    }
  }
  if (!manifest) {
    let version = '';
    try {
      version = io.readJSON(path.join(self, 'package.json')).version;
    } catch {
      // a launcher outside its package
    }
    return { error: notInstalled({ pkg, key, env, file: fromFile(self, io.readJSON), version }) };
  }
  const exe = platform === 'win32' ? 'baverify.exe' : 'baverify';
  return { file: path.join(path.dirname(manifest), 'bin', exe), pkg, manifest };
}

// versionWarning says when the platform package is not the version of this
// shim: a stale or hand-edited install runs another baverify than the one
// package.json asks for.
function versionWarning(found, selfVersion, readJSON) {
  if (!found.manifest) return '';
  let v;
  try {
    v = readJSON(found.manifest).version;
  } catch {
    return '';
  }
  if (v === selfVersion) return '';
  return `baverify: warning: ${found.pkg} is version ${v}, but baverify is ${selfVersion}; reinstall baverify\n`;
}

// exitCodeOf is what a shell would report for the child: its exit code, or
// 128 + the signal number when a signal ended it.
function exitCodeOf(code, signal) {
  if (code !== null) return code;
  const n = os.constants.signals[signal];
  return n ? 128 + n : 1;
}

// The signals that end a run when someone sends them (a terminal, kill, a
// CI runner, a supervisor), forwarded to baverify. The others are not
// forwarded: SIGKILL and SIGSTOP cannot be caught; SIGUSR1 starts Node's
// inspector; SIGPIPE is ignored by Node; SIGILL, SIGTRAP, SIGABRT, SIGBUS,
// SIGFPE, SIGSEGV and SIGSYS are faults of the launcher itself, SIGXCPU and
// SIGXFSZ its own resource limits, SIGVTALRM and SIGPROF its own timers;
// SIGTSTP, SIGTTIN, SIGTTOU and SIGWINCH come from the terminal to the whole
// process group, baverify included. npm/test/shim.test.js holds every
// signal of the platform to this list.
const FORWARDED = ['SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGTERM', 'SIGUSR2', 'SIGALRM'];

// When no binary can run, exit as a shell does for a command it cannot
// find: 1 is baverify's "invalid token" and 3 its "could not check", and a
// CI script must not read a missing install as either.
const NO_BINARY = 127;

function main() {
  const readJSON = (f) => JSON.parse(fs.readFileSync(f, 'utf8'));
  const isExecutable = (f) => {
    try {
      fs.accessSync(f, fs.constants.X_OK);
      return fs.statSync(f).isFile();
    } catch {
      return false;
    }
  };
  // The launcher's own package directory, links followed (pnpm's store,
  // npm link): where its platform package was installed beside it.
  let self = path.dirname(__dirname);
  try {
    self = fs.realpathSync(self);
  } catch {
    // keep the path as given
  }
  const found = locate({
    env: process.env,
    platform: process.platform,
    arch: process.arch,
    self,
    fs: { existsSync: fs.existsSync, realpathSync: fs.realpathSync, readJSON, isExecutable, launcher: __filename },
    pnp: process.versions.pnp ? (id) => require.resolve(id) : null,
  });
  if (found.error) {
    process.stderr.write(`${found.error}\n`);
    process.exitCode = NO_BINARY;
    return;
  }
  let selfVersion = '';
  try {
    selfVersion = readJSON(path.join(__dirname, '..', 'package.json')).version;
  } catch {
    // run from a checkout, not an install: nothing to compare with
  }
  if (selfVersion) process.stderr.write(versionWarning(found, selfVersion, readJSON));

  const child = childProcess.spawn(found.file, process.argv.slice(2), {
    stdio: 'inherit',
    windowsHide: false,
    env: { ...process.env, [MARKER]: '1' },
  });

  // Forward the signals that end a run. Ctrl-C in a terminal reaches the
  // whole process group, so baverify gets SIGINT twice (it handles that:
  // the first cancels the network wait, and it exits 130); a signal sent
  // to this process alone (kill, a CI runner's timeout) reaches it only
  // through here. While a handler is installed, the signal does not end
  // the shim: it ends when the child does, with the child's status.
  // On Windows the console sends Ctrl-C to every process attached to it,
  // baverify included, and "killing" a child with a signal there is
  // TerminateProcess (exit 1, no "interrupted"): the shim only waits.
  // Windows can listen for SIGINT, SIGTERM and SIGHUP only.
  const signals = process.platform === 'win32' ? ['SIGINT', 'SIGTERM', 'SIGHUP'] : FORWARDED;
  const handlers = {};
  for (const sig of signals) {
    handlers[sig] = () => {
      if (process.platform === 'win32') return;
      try {
        child.kill(sig);
      } catch {
        // the child is gone already; its exit event follows
      }
    };
    process.on(sig, handlers[sig]);
  }
  const unhook = () => {
    for (const sig of signals) process.removeListener(sig, handlers[sig]);
  };

  child.on('error', (err) => {
    unhook();
    const what = found.override ? `BAVERIFY_BINARY (${found.file})` : found.file;
    process.stderr.write(`baverify: cannot run ${what}: ${err.message}\n`);
    if (!found.override) process.stderr.write(`${OTHER_WAYS}\n`);
    process.exitCode = NO_BINARY;
  });
  child.on('exit', (code, signal) => {
    unhook();
    if (signal && process.platform !== 'win32') {
      // Die by the same signal, so that the parent (a shell, npm, CI) sees
      // what it would have seen without the shim. If the signal does not
      // end this process (it is ignored here), exit 128 + n as a shell would.
      try {
        process.kill(process.pid, signal);
      } catch {
        // fall through to the exit code
      }
    }
    process.exit(exitCodeOf(code, signal));
  });
}

if (require.main === module) {
  main();
}

module.exports = { PLATFORMS, FORWARDED, MARKER, locate, candidates, manager, fromFile, platformTarball, notInstalled, versionWarning, exitCodeOf };
