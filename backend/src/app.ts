import { existsSync } from 'node:fs';
import type { RequestListener } from 'node:http';
import path from 'node:path';

import compression from 'compression';
import express, { Router, type Express } from 'express';
import helmet from 'helmet';
import { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import pinoHttp from 'pino-http';
import type { Logger } from 'pino';

import { registerAccountRoutes } from './accounts/routes';
import { registerAlertRoutes } from './alerts/routes';
import { registerEmailReportRoutes, registerUnsubscribeRoutes } from './email-reports/routes';
import { registerTwoFactorRoutes } from './accounts/two-factor-routes';
import { authenticate } from './access/auth';
import { COLLECT_PATH, createCollector } from './collect/collector';
import { describeCollector } from './collect/openapi';
import { createTrackerRouter } from './collect/routes';
import { registerAccessRoutes } from './access/routes';
import { registerAuditRoutes } from './audit/routes';
import { createHealthRouter } from './health/routes';
import { registerKeyRoutes } from './keys/routes';
import { publicUrl, type Config } from './lib/config';
import { requestDeadline } from './lib/deadline';
import { ApiRouter, errorHandler, notFoundHandler, requireJsonBody } from './lib/http';
import { buildOpenApiDocument } from './lib/openapi';
import { serveBuild } from './lib/static-assets';
import { createMailer, type Mailer } from './mail/mailer';
import { registerMailRoutes } from './mail/routes';
import { registerPeopleRoutes } from './people/routes';
import { registerReportRoutes } from './reports/routes';
import { registerInvitationRoutes } from './sites/invitation-routes';
import { registerRelayRoutes } from './sites/relay-routes';
import { registerSiteRoutes } from './sites/routes';
import { registerWebhookRoutes } from './webhooks/routes';

export const API_PREFIX = '/api/v1';
const VERSION = '0.1.0';

export interface AppDeps {
  config: Config;
  logger: Logger;
  /** Where mail goes; built from the config (SMTP_URL, else the local outbox) when not given. */
  mailer?: Mailer;
}

/** The mailer the config asks for: SMTP_URL, else the outbox the dashboard shows its operator. */
export function mailerFor(config: Config, logger: Logger): Mailer {
  return createMailer({
    smtpUrl: config.SMTP_URL,
    from: config.MAIL_FROM,
    logger,
    outboxUrl: `${publicUrl(config)}/#/outbox`,
  });
}

/** Builds the HTTP application; `server.ts` runs it, tests import it. */
export function createApp({ config, logger, mailer = mailerFor(config, logger) }: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.TRUST_PROXY_HOPS);
  app.set('query parser', 'simple');

  app.use(
    pinoHttp({
      logger,
      // Requests are logged without IPs or headers; see lib/logger.ts for what is redacted.
      serializers: {
        req: (req: { method: string; url: string }) => ({ method: req.method, url: req.url.replace(/\?.*/, '') }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
      autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' },
    }),
  );
  app.use(
    helmet({
      // Self-hosters often try the dashboard over plain HTTP on a LAN address first.
      contentSecurityPolicy: { directives: { upgradeInsecureRequests: config.NODE_ENV === 'production' ? [] : null } },
    }),
  );
  app.use(createHealthRouter());
  app.use(createTrackerRouter());

  const registry = new OpenAPIRegistry();
  const router = Router();
  const api = new ApiRouter(router, registry, API_PREFIX);
  router.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });
  // Answers are compressed as they are written (reports, exports and the OpenAPI document reach
  // hundreds of KB); brotli at quality 4, as fast as gzip. Static files and the tracker are
  // compressed ahead of time instead, and the collector never enters Express.
  router.use(compression());
  router.use(requestDeadline(config.REQUEST_DEADLINE_MS));
  // Before the JSON-only body check and the session: one-click unsubscribes POST a form.
  registerUnsubscribeRoutes(api);
  router.use(requireJsonBody);
  router.use(express.json({ limit: config.JSON_BODY_LIMIT, strict: true }));
  router.use(
    authenticate({
      trustedOrigins: [...config.ALLOWED_ORIGINS, ...(config.PUBLIC_URL ? [new URL(config.PUBLIC_URL).origin] : [])],
    }),
  );

  registerAccountRoutes(api, config, mailer);
  registerTwoFactorRoutes(api, config, mailer);
  registerAccessRoutes(api, config);
  registerMailRoutes(api, { mailer, adminEmails: config.ADMIN_EMAILS });
  registerSiteRoutes(api, { mailer, appUrl: publicUrl(config) });
  registerInvitationRoutes(api, { mailer, appUrl: publicUrl(config) });
  registerRelayRoutes(api);
  registerKeyRoutes(api);
  registerReportRoutes(api);
  registerPeopleRoutes(api);
  registerWebhookRoutes(api, { allowPrivate: config.WEBHOOKS_ALLOW_PRIVATE, timeoutMs: config.WEBHOOKS_TIMEOUT_MS });
  registerAlertRoutes(api);
  registerEmailReportRoutes(api, { mailer, appUrl: publicUrl(config), logger });
  registerAuditRoutes(api, { retentionDays: config.AUDIT_RETENTION_DAYS });

  describeCollector(registry);
  const openApiDocument = buildOpenApiDocument(registry, VERSION, config.PUBLIC_URL);
  router.get('/openapi.json', (_req, res) => {
    res.set('Cache-Control', 'public, max-age=300').json(openApiDocument);
  });

  app.use(API_PREFIX, router);
  app.use(dashboard());
  app.use(notFoundHandler);
  app.use(errorHandler(logger));
  return app;
}

const DASHBOARD_DIR = path.resolve(__dirname, '..', '..', 'admin-ui', 'build', 'dashboard');

/**
 * The standalone dashboard (admin-ui's `dashboard` entry) at `/`: hashed bundle names cached
 * for a year, index.html revalidated, brotli/gzip copies written by the build.
 */
function dashboard(): express.RequestHandler {
  if (!existsSync(DASHBOARD_DIR)) {
    return (req, res, next) => {
      if (req.method !== 'GET' || req.path !== '/') return next();
      res
        .type('text/plain')
        .send('Clickpath backend is running. Build the dashboard with `npm run build` at the repository root.');
    };
  }
  return serveBuild(DASHBOARD_DIR);
}

export interface Server {
  /** The node:http listener: the collector first, Express for everything else. */
  listener: RequestListener;
  app: Express;
  collector: ReturnType<typeof createCollector>;
  mailer: Mailer;
}

/** The whole HTTP surface; `/api/event` never enters Express (see collect/collector.ts). */
export function createServer(deps: AppDeps & { now?: () => Date }): Server {
  const mailer = deps.mailer ?? mailerFor(deps.config, deps.logger);
  const app = createApp({ ...deps, mailer });
  const collector = createCollector({
    logger: deps.logger,
    trustProxyHops: deps.config.TRUST_PROXY_HOPS,
    siteEventsPerMinute: deps.config.COLLECT_SITE_EVENTS_PER_MINUTE,
    ...(deps.now ? { now: deps.now } : {}),
  });
  const listener: RequestListener = (req, res) => {
    const url = req.url ?? '';
    if (url === COLLECT_PATH || url.startsWith(`${COLLECT_PATH}?`)) {
      void collector.handle(req, res);
      return;
    }
    app(req, res);
  };
  return { listener, app, collector, mailer };
}
