// Build the SDK for the wire: install_service/static/embedded.js (the readable source, the
// only one in git) -> build/sdk/ (git-ignored; a wheel carries it as install_service/vendor/sdk):
//   embedded.min.js      esbuild --minify, ES2019 (the browsers the SDK supports)
//   embedded.min.js.map  its source map, sources embedded (served at /static/embedded.js.map)
//   embedded.min.js.br   brotli, quality 11, text mode
//   embedded.min.js.gz   gzip, level 9
//   manifest.json        {hash, sourceSha256, bytes: {raw, minified, br, gzip}}
// `hash` (12 hex digits of the minified file's SHA-256) names the versioned URL
// /static/embedded.<hash>.js; `sourceSha256` lets the server notice a stale build.
// Run by `make setup` (npm run build:sdk) and by hatch_build.py for the wheel.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { buildSync } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const source = join(root, 'install_service', 'static', 'embedded.js');
const out = resolve(process.argv[2] || join(root, 'build', 'sdk'));
mkdirSync(out, { recursive: true });

const result = buildSync({
  entryPoints: [source],
  outfile: join(out, 'embedded.min.js'),
  minify: true,
  target: 'es2019',
  charset: 'utf8',
  legalComments: 'none',
  sourcemap: 'external', // no sourceMappingURL comment: the server sends a SourceMap header
  sourcesContent: true,
  write: false,
});
const files = Object.fromEntries(result.outputFiles.map((f) => [f.path.endsWith('.map') ? 'map' : 'js', f.contents]));
const js = Buffer.from(files.js);
const map = JSON.parse(Buffer.from(files.map).toString('utf8'));
map.sources = ['embedded.src.js']; // the readable source, as named in the map (content embedded)
const br = brotliCompressSync(js, {
  params: {
    [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
    [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
    [constants.BROTLI_PARAM_SIZE_HINT]: js.length,
  },
});
const gz = gzipSync(js, { level: 9 });
const raw = readFileSync(source);
const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');
const manifest = {
  hash: sha256(js).slice(0, 12),
  sourceSha256: sha256(raw),
  bytes: { raw: raw.length, minified: js.length, br: br.length, gzip: gz.length },
};
writeFileSync(join(out, 'embedded.min.js'), js);
writeFileSync(join(out, 'embedded.min.js.map'), JSON.stringify(map));
writeFileSync(join(out, 'embedded.min.js.br'), br);
writeFileSync(join(out, 'embedded.min.js.gz'), gz);
writeFileSync(join(out, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
console.log(`${out}: embedded.${manifest.hash}.js`, JSON.stringify(manifest.bytes));
