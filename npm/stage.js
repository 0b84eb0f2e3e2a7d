// Writes the npm package directories that scripts/npm-pack.sh packs:
//   node npm/stage.js main VERSION DIR              the launcher package "baverify"
//   node npm/stage.js platform VERSION KEY DIR      @baverify/KEY (the binary goes in DIR/bin)
// The platform list is the launcher's own (bin/baverify.js), so the
// packages built, the optional dependencies and what the launcher looks
// for cannot drift apart.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { PLATFORMS } = require('./baverify/bin/baverify.js');

const root = path.join(__dirname, '..');
const template = JSON.parse(fs.readFileSync(path.join(__dirname, 'baverify', 'package.json'), 'utf8'));

// npm accepts only semver versions; a tag such as v1.2 would fail late, in npm pack.
const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;

function write(file, data) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, data);
}

function common(dir) {
  fs.copyFileSync(path.join(root, 'LICENSE'), path.join(dir, 'LICENSE'));
}

function main(version, dir) {
  const pkg = { ...template, version, optionalDependencies: {} };
  // Every platform, whatever was built: the launcher package is the same
  // file for every platform, and each pin is exact, so a launcher only
  // ever runs the binary of its own release.
  for (const name of Object.values(PLATFORMS)) pkg.optionalDependencies[name] = version;
  write(path.join(dir, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
  write(path.join(dir, 'bin', 'baverify.js'), fs.readFileSync(path.join(__dirname, 'baverify', 'bin', 'baverify.js')));
  fs.chmodSync(path.join(dir, 'bin', 'baverify.js'), 0o755);
  write(path.join(dir, 'README.md'), fs.readFileSync(path.join(__dirname, 'baverify', 'README.md')));
  common(dir);
}

function platform(version, key, dir) {
  const name = PLATFORMS[key];
  if (!name) throw new Error(`unknown platform ${key}; known: ${Object.keys(PLATFORMS).join(', ')}`);
  const [os, cpu] = key.split('-');
  const exe = os === 'win32' ? 'baverify.exe' : 'baverify';
  const pkg = {
    name,
    version,
    description: `The ${key} binary of baverify. Install baverify, which depends on this package.`,
    homepage: template.homepage,
    repository: template.repository,
    license: template.license,
    os: [os],
    cpu: [cpu],
    files: [`bin/${exe}`],
    // Yarn Plug'n'Play must unpack an executable to run it.
    preferUnplugged: true,
    // Scoped packages are private by default on the registry.
    publishConfig: { access: 'public' },
  };
  write(path.join(dir, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
  write(
    path.join(dir, 'README.md'),
    `# ${name}\n\nThe static \`${key}\` binary of [baverify](https://www.npmjs.com/package/baverify), ` +
      `in \`bin/${exe}\`.\nInstall \`baverify\`: it depends on this package for ${key} and runs the binary.\n`,
  );
  common(dir);
}

const [what, version, ...rest] = process.argv.slice(2);
if (!SEMVER.test(version || '')) {
  process.stderr.write(`npm/stage.js: ${JSON.stringify(version)} is not a semver version\n`);
  process.exit(2);
}
if (what === 'main' && rest.length === 1) {
  main(version, rest[0]);
} else if (what === 'platform' && rest.length === 2) {
  platform(version, rest[0], rest[1]);
} else {
  process.stderr.write('usage: node npm/stage.js main VERSION DIR | platform VERSION KEY DIR\n');
  process.exit(2);
}
