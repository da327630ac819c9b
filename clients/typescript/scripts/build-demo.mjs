// Copies the built library (dist/*.js) and the demo page (demo/) into crates/wsr/assets/,
// which `wsr serve` embeds. `--check` fails when the committed assets differ from a fresh build.
import { readFileSync, writeFileSync, readdirSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.resolve(root, '../../crates/wsr/assets');
const files = [
  ...readdirSync(path.join(root, 'dist')).filter((f) => f.endsWith('.js')).map((f) => ['dist', f]),
  ...readdirSync(path.join(root, 'demo')).map((f) => ['demo', f]),
];
const check = process.argv.includes('--check');
const stale = [];
mkdirSync(out, { recursive: true });
for (const [dir, name] of files) {
  const body = readFileSync(path.join(root, dir, name));
  const target = path.join(out, name);
  if (check) {
    if (!existsSync(target) || !readFileSync(target).equals(body)) stale.push(name);
  } else writeFileSync(target, body);
}
if (stale.length) {
  console.error(`crates/wsr/assets is stale (${stale.join(', ')}): run \`npm run build:demo\` and commit it`);
  process.exit(1);
}
console.log(check ? `# demo assets up to date (${files.length} files)` : `wrote ${files.length} files to ${out}`);
