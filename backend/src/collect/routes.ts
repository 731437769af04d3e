import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { Router } from 'express';

const TRACKER_FILE = path.resolve(__dirname, '..', '..', 'tracker', 'dist', 'clickpath.js');

/**
 * `GET /js/clickpath.js`: the tracker, loaded by every tracked site. Cached a day
 * by browsers and CDNs and revalidated by ETag, so a new release spreads within a day.
 */
export function createTrackerRouter(): Router {
  const router = Router();
  let script: { body: Buffer; etag: string } | null = null;
  try {
    const body = readFileSync(TRACKER_FILE);
    script = { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
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
    res.set({
      'Content-Type': 'application/javascript; charset=utf-8',
      'Cache-Control': 'public, max-age=86400, stale-while-revalidate=604800',
      ETag: script.etag,
      'Access-Control-Allow-Origin': '*',
      // Every tracked site loads this file from another origin.
      'Cross-Origin-Resource-Policy': 'cross-origin',
    });
    if (req.headers['if-none-match'] === script.etag) {
      res.status(304).end();
      return;
    }
    res.send(script.body);
  });
  return router;
}
