// `npm run vendor`: copy the dashboard's chart library from node_modules (as `npm ci`
// installed it, each tarball checked against package-lock.json's integrity hash) into
// hpsearch/dashboard/static/vendor/, with its licences and a VENDOR.json recording
// each package's version and integrity and the copied file's SHA-256. The copy is
// committed: `pip install .` needs no Node; tests/dashboard/test_vendor.py checks it.
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const target = join(root, "hpsearch", "dashboard", "static", "vendor");
const lock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8"));
// The file served, and the packages bundled in it with the licence file each ships.
const FILE = { from: "node_modules/echarts/dist/echarts.min.js", to: "echarts.min.js" };
const LICENCES = {
  echarts: ["LICENSE", "NOTICE"],
  zrender: ["LICENSE"],
  tslib: ["LICENSE.txt"],
};

mkdirSync(target, { recursive: true });
copyFileSync(join(root, FILE.from), join(target, FILE.to));
const packages = {};
for (const [name, files] of Object.entries(LICENCES)) {
  const entry = lock.packages[`node_modules/${name}`];
  for (const file of files) {
    copyFileSync(join(root, "node_modules", name, file), join(target, `${name}-${file}`));
  }
  packages[name] = {
    version: entry.version,
    license: entry.license,
    integrity: entry.integrity,
    licence_files: files.map((file) => `${name}-${file}`),
  };
}
const sha256 = createHash("sha256").update(readFileSync(join(target, FILE.to))).digest("hex");
const record = { file: FILE.to, from: FILE.from, sha256, packages };
writeFileSync(join(target, "VENDOR.json"), JSON.stringify(record, null, 2) + "\n");
console.log(`vendored ${FILE.to} of echarts ${packages.echarts.version} (sha256 ${sha256})`);
