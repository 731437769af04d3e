import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

import type { Request, RequestHandler, Response } from 'express';

export type Encoding = 'br' | 'gzip' | 'identity';

/** Best first: brotli is ~10-15% smaller than gzip on our scripts, and every current browser sends it. */
const PREFERENCE: readonly Encoding[] = ['br', 'gzip', 'identity'];

/**
 * The encoding to answer with, of those `available`: the client's highest q-value, ties
 * broken by our preference (br, gzip, identity) rather than the header's order, since
 * browsers list `gzip, deflate, br`. Identity is acceptable unless refused outright.
 */
export function chooseEncoding(header: string | undefined, available: readonly Encoding[]): Encoding {
  const q = new Map<string, number>();
  for (const part of (header ?? '').split(',')) {
    const [name = '', ...params] = part.trim().toLowerCase().split(';');
    if (!name) continue;
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const value = qParam ? Number(qParam.slice(2)) : 1;
    q.set(name === 'x-gzip' ? 'gzip' : name, Number.isFinite(value) ? value : 0);
  }
  const star = q.get('*');
  const weight = (encoding: Encoding): number => q.get(encoding) ?? star ?? (encoding === 'identity' ? 0.001 : 0);
  let best: Encoding = 'identity';
  let bestWeight = 0;
  for (const encoding of PREFERENCE) {
    if (!available.includes(encoding)) continue;
    const w = weight(encoding);
    if (w > bestWeight) {
      best = encoding;
      bestWeight = w;
    }
  }
  // Nothing acceptable (e.g. `identity;q=0` and no compressed copy): send identity rather than 406.
  return best;
}

interface Variant {
  body: Buffer;
  etag: string;
}

/** One file in every encoding we hold it in, with the headers it is always served with. */
export interface Asset {
  type: string;
  cacheControl: string;
  variants: Partial<Record<Encoding, Variant>> & { identity: Variant };
  /** Extra headers, e.g. CORS for the tracker. */
  headers?: Readonly<Record<string, string>>;
}

const hashOf = (body: Buffer): string => createHash('sha256').update(body).digest('base64url').slice(0, 27);

/** Builds an asset from its identity bytes and whatever compressed copies exist; ETags differ per encoding. */
export function makeAsset(
  identity: Buffer,
  compressed: Partial<Record<Exclude<Encoding, 'identity'>, Buffer>>,
  options: Omit<Asset, 'variants'>,
): Asset {
  const hash = hashOf(identity);
  const variants: Asset['variants'] = { identity: { body: identity, etag: `"${hash}"` } };
  if (compressed.br) variants.br = { body: compressed.br, etag: `"${hash}-br"` };
  if (compressed.gzip) variants.gzip = { body: compressed.gzip, etag: `"${hash}-gz"` };
  return { ...options, variants };
}

/** Brotli at its highest quality and gzip at level 9: done once, so every byte saved is free afterwards. */
export function compressAtMax(body: Buffer): { br: Buffer; gzip: Buffer } {
  return {
    br: brotliCompressSync(body, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
        [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
        [constants.BROTLI_PARAM_SIZE_HINT]: body.length,
      },
    }),
    gzip: gzipSync(body, { level: 9 }),
  };
}

/** True when If-None-Match names this ETag (weak or strong) or is `*`. */
function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(',').some((tag) => {
    const t = tag.trim().replace(/^W\//, '');
    return t === '*' || t === etag;
  });
}

/** Answers GET/HEAD with the best encoding the client accepts; 304 when its copy is current. */
export function sendAsset(req: Request, res: Response, asset: Asset): void {
  const available = Object.keys(asset.variants) as Encoding[];
  const encoding = chooseEncoding(req.headers['accept-encoding'], available);
  const variant = asset.variants[encoding] ?? asset.variants.identity;
  res.set({
    ...asset.headers,
    'Content-Type': asset.type,
    'Cache-Control': asset.cacheControl,
    ETag: variant.etag,
    Vary: 'Accept-Encoding',
  });
  if (encoding !== 'identity') res.set('Content-Encoding', encoding);
  if (matches(req.headers['if-none-match'], variant.etag)) {
    res.status(304).end();
    return;
  }
  res.set('Content-Length', String(variant.body.length));
  if (req.method === 'HEAD') res.end();
  else res.end(variant.body);
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'application/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** A file name carrying a content hash (`dashboard.3f9a0c1b2d4e.js`): its bytes never change. */
export const HASHED_NAME = /\.[0-9a-f]{8,}\.[a-z0-9]+$/;

export const IMMUTABLE = 'public, max-age=31536000, immutable';

async function readOptional(file: string): Promise<Buffer | undefined> {
  try {
    return await readFile(file);
  } catch {
    return undefined;
  }
}

/**
 * Serves a build directory whose compressed copies were written at build time (`x.js.br`,
 * `x.js.gz` beside `x.js`): no compression work per request. Hashed names are cached for a
 * year as immutable; anything else (index.html) is revalidated by ETag on every use. Files
 * are read once and re-read when their size or mtime changes, so a rebuild is picked up.
 */
export function serveBuild(dir: string, { index = 'index.html' } = {}): RequestHandler {
  const root = path.resolve(dir);
  const cache = new Map<string, { mtimeMs: number; size: number; asset: Asset }>();

  const load = async (file: string): Promise<Asset | undefined> => {
    let info;
    try {
      info = await stat(file);
    } catch {
      return undefined;
    }
    if (!info.isFile()) return undefined;
    const cached = cache.get(file);
    if (cached && cached.mtimeMs === info.mtimeMs && cached.size === info.size) return cached.asset;
    const [identity, br, gzip] = await Promise.all([
      readFile(file),
      readOptional(`${file}.br`),
      readOptional(`${file}.gz`),
    ]);
    const asset = makeAsset(
      identity,
      { ...(br ? { br } : {}), ...(gzip ? { gzip } : {}) },
      {
        type: TYPES[path.extname(file)] ?? 'application/octet-stream',
        cacheControl: HASHED_NAME.test(path.basename(file)) ? IMMUTABLE : 'no-cache',
      },
    );
    cache.set(file, { mtimeMs: info.mtimeMs, size: info.size, asset });
    return asset;
  };

  return (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    let relative: string;
    try {
      relative = decodeURIComponent(req.path);
    } catch {
      return next();
    }
    if (relative.endsWith('/')) relative += index;
    // The compressed copies are only ever served in place of their original.
    if (relative.includes('\0') || /\.(br|gz)$/.test(relative)) return next();
    const file = path.join(root, relative);
    if (!file.startsWith(root + path.sep)) return next();
    load(file).then((asset) => (asset ? sendAsset(req, res, asset) : next()), next);
  };
}
