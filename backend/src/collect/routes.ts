import { readFileSync } from 'node:fs';
import path from 'node:path';

import { Router } from 'express';

import { compressAtMax, makeAsset, sendAsset, type Asset } from '../lib/static-assets';

const TRACKER_FILE = path.resolve(__dirname, '..', '..', 'tracker', 'dist', 'clickpath.js');

/**
 * `GET /js/clickpath.js`: the tracker, loaded by every tracked site. Its URL is pasted into
 * sites' pages and cannot carry a content hash, so it cannot be cached as immutable: an hour
 * of freshness (a fix reaches every visitor within the hour), then a revalidation that costs
 * a 304 without a body thanks to the ETag; stale-while-revalidate keeps that off the page's
 * critical path for a day. Brotli and gzip copies are made once at start-up at maximum
 * quality, so serving it costs no compression work.
 */
export function createTrackerRouter(): Router {
  const router = Router();
  let script: Asset | null = null;
  try {
    const body = readFileSync(TRACKER_FILE);
    script = makeAsset(body, compressAtMax(body), {
      type: 'application/javascript; charset=utf-8',
      cacheControl: 'public, max-age=3600, stale-while-revalidate=86400',
      headers: {
        'Access-Control-Allow-Origin': '*',
        // Every tracked site loads this file from another origin.
        'Cross-Origin-Resource-Policy': 'cross-origin',
      },
    });
  } catch {
    // Not built yet: the route explains how to build it.
  }
  router.get('/js/clickpath.js', (req, res) => {
    if (!script) {
      res.status(503).json({
        error: { code: 'service_unavailable', message: 'The tracker is not built; run `npm run build` in backend/' },
      });
      return;
    }
    sendAsset(req, res, script);
  });
  return router;
}
