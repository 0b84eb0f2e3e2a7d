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

// locate returns the binary to run: {file} or {error} (a message for the
// user). env, platform, arch and resolve are parameters so that tests can
// ask for any platform and any install layout.
function locate({ env, platform, arch, resolve }) {
  if (env.BAVERIFY_BINARY) {
    return { file: env.BAVERIFY_BINARY, override: true };
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
  let manifest;
  try {
    // require.resolve walks up node_modules from this file, so it finds the
    // package nested under baverify/node_modules, hoisted to the top
    // level, or beside it in pnpm's store.
    manifest = resolve(`${pkg}/package.json`);
  } catch {
    return {
      error:
        `baverify: the package ${pkg}, which holds the binary for this platform (${key}), ` +
        `is not installed.\nnpm installs it as an optional dependency of baverify: ` +
        `reinstall without --omit=optional (--no-optional), and if the lock file was made ` +
        `on another platform, delete node_modules and reinstall.\n${OTHER_WAYS}`,
    };
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

const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP'];

// When no binary can run, exit as a shell does for a command it cannot
// find: 1 is baverify's "invalid token" and 3 its "could not check", and a
// CI script must not read a missing install as either.
const NO_BINARY = 127;

function main() {
  const readJSON = (f) => JSON.parse(fs.readFileSync(f, 'utf8'));
  const found = locate({ env: process.env, platform: process.platform, arch: process.arch, resolve: require.resolve });
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

  const child = childProcess.spawn(found.file, process.argv.slice(2), { stdio: 'inherit', windowsHide: false });

  // Forward the signals that end a run. Ctrl-C in a terminal reaches the
  // whole process group, so baverify gets SIGINT twice (it handles that:
  // the first cancels the network wait, and it exits 130); a signal sent
  // to this process alone (kill, a CI runner's timeout) reaches it only
  // through here. While a handler is installed, the signal does not end
  // the shim: it ends when the child does, with the child's status.
  // On Windows the console sends Ctrl-C to every process attached to it,
  // baverify included, and "killing" a child with a signal there is
  // TerminateProcess (exit 1, no "interrupted"): the shim only waits.
  const handlers = {};
  for (const sig of FORWARDED) {
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
    for (const sig of FORWARDED) process.removeListener(sig, handlers[sig]);
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

module.exports = { PLATFORMS, locate, versionWarning, exitCodeOf };
