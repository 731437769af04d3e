import { Router } from 'express';

import { isDatabaseReachable } from '../lib/db';

/** Liveness and readiness for load balancers and orchestrators; outside /api/v1 and undocumented. */
export function createHealthRouter(): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    if (await isDatabaseReachable()) {
      res.json({ status: 'ready' });
      return;
    }
    res.status(503).json({ error: { code: 'service_unavailable', message: 'Database is not reachable' } });
  });
  return router;
}
