// This machine's npm registry lacks some platform-specific optional packages
// (e.g. @biomejs/cli-darwin-arm64). `npm install` then writes a lockfile
// without them, and `npm ci` refuses it ("Missing: ... from lock file").
// This adds lock entries for every declared-but-unlocked optional dependency,
// marked optional with its platform, so `npm ci` skips them here and installs
// them on machines whose registry has them. Run after `npm install`.
import { readFileSync, writeFileSync } from "node:fs";

const lock = JSON.parse(readFileSync("package-lock.json", "utf8"));
const packages = lock.packages;
const platform = (name) => {
  const tail = name.split("/").pop();
  const os = ["android", "darwin", "linux", "win32", "freebsd"].find((o) => tail.includes(o));
  const cpu = ["arm64", "x64", "arm", "ia32"].find((c) => tail.split("-").includes(c));
  const entry = {};
  if (os) entry.os = [os];
  if (cpu) entry.cpu = [cpu];
  if (tail.endsWith("-musl")) entry.libc = ["musl"];
  return entry;
};
let added = 0;
for (const [path, meta] of Object.entries(packages)) {
  for (const [dep, range] of Object.entries(meta.optionalDependencies ?? {})) {
    const key = `node_modules/${dep}`;
    if (packages[key] || packages[`${path}/node_modules/${dep}`]) continue;
    packages[key] = {
      version: range.replace(/^[\^~=]/, ""),
      ...(meta.dev ? { dev: true } : {}),
      optional: true,
      ...platform(dep),
    };
    added++;
  }
}
writeFileSync("package-lock.json", `${JSON.stringify(lock, null, 2)}\n`);
console.log(`added ${added} lock entries for unpublished optional packages`);
