import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response, Router } from 'express';
import { type OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { Logger } from 'pino';
import { z } from './zod';

import { AppError } from './errors';
import { isDatabaseUnavailable } from './db-errors';
import { deadlineExceeded, isDeadlineError } from './deadline';
import { parseInput } from './validate';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** How a route is authenticated, for the OpenAPI document. */
export type RouteAuth = 'none' | 'session' | 'session-or-key';

type AnyObject = z.ZodType<Record<string, unknown>>;

/**
 * How WordPress reaches an operation through the plugin's REST proxy, whose table is generated from
 * the document (`npm run contract`): `read` needs the stats capability, `write` the settings
 * capability, `admin` is an administrators-only settings relay (the body is sent on as validated
 * arguments), and `backend-only` is not proxied (the plugin may still call it server-side).
 */
export type WordPressAccess = 'read' | 'write' | 'admin' | 'backend-only';

/** The OpenAPI extension that carries `RouteSpec.wordpress`. */
export const WORDPRESS_EXTENSION = 'x-clickpath-wordpress';

/** Media types of a download: the answer is a file, not a JSON document to parse. */
type FileType = 'text/csv' | 'application/json';

interface ResponseSpec {
  description: string;
  /** The JSON body. Every 200 and 201 has one or is a `file`; 202 and 204 may have no body. */
  schema?: z.ZodType;
  file?: readonly FileType[];
}

export interface RouteSpec<P extends AnyObject, Q extends AnyObject, B extends z.ZodType> {
  method: Method;
  /** Express-style path relative to the API root, e.g. `/sites/:siteId`. */
  path: string;
  /** Unique across the API: client generators name their methods after it (`listSites`, `getOverview`). */
  operationId: string;
  summary: string;
  tag: string;
  auth: RouteAuth;
  /** Required, so that a new route says whether the plugin proxies it (a contract test checks the table). */
  wordpress: WordPressAccess;
  params?: P;
  query?: Q;
  body?: B;
  responses: Record<number, ResponseSpec>;
}

export interface RouteInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  req: Request;
  res: Response;
}

const EmptyObject = z.strictObject({});

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      details: z.unknown().optional(),
    }),
  })
  .openapi('Error');

/**
 * Registers an Express route and its OpenAPI description from the same zod
 * schemas, so the document cannot drift from what the handler validates.
 */
export class ApiRouter {
  private readonly operationIds = new Set<string>();

  constructor(
    readonly router: Router,
    readonly registry: OpenAPIRegistry,
    private readonly basePath: string,
  ) {}

  route<
    P extends AnyObject = typeof EmptyObject,
    Q extends AnyObject = typeof EmptyObject,
    B extends z.ZodType = z.ZodUndefined,
  >(
    spec: RouteSpec<P, Q, B>,
    handler: (input: RouteInput<z.output<P>, z.output<Q>, z.output<B>>) => Promise<void>,
  ): void {
    this.describe(spec);
    const paramsSchema = spec.params ?? EmptyObject;
    const querySchema = spec.query ?? EmptyObject;
    const bodySchema = spec.body;
    const expressHandler: RequestHandler = async (req, res) => {
      const params = parseInput(paramsSchema, req.params, 'params') as z.output<P>;
      const query = parseInput(querySchema, req.query, 'query') as z.output<Q>;
      const body = (bodySchema ? parseInput(bodySchema, req.body ?? {}, 'body') : undefined) as z.output<B>;
      if (!bodySchema && hasBody(req)) {
        throw new AppError('bad_request', 'This endpoint takes no request body');
      }
      await handler({ params, query, body, req, res });
    };
    this.router[spec.method](spec.path, expressHandler);
  }

  private describe(spec: RouteSpec<AnyObject, AnyObject, z.ZodType>): void {
    if (this.operationIds.has(spec.operationId)) throw new Error(`Duplicate operationId ${spec.operationId}`);
    this.operationIds.add(spec.operationId);
    const responses: Record<string, unknown> = Object.fromEntries(
      Object.entries(spec.responses).map(([status, response]) => [status, describeResponse(response)]),
    );
    responses.default = {
      description: 'Error',
      content: { 'application/json': { schema: ErrorSchema } },
    };
    this.registry.registerPath({
      method: spec.method,
      path: (this.basePath + spec.path).replace(/:(\w+)/g, '{$1}'),
      operationId: spec.operationId,
      summary: spec.summary,
      tags: [spec.tag],
      security:
        spec.auth === 'none' ? [] : spec.auth === 'session' ? [{ session: [] }] : [{ session: [] }, { apiKey: [] }],
      request: {
        ...(spec.params ? { params: spec.params as z.ZodObject } : {}),
        ...(spec.query ? { query: spec.query as z.ZodObject } : {}),
        ...(spec.body ? { body: { content: { 'application/json': { schema: spec.body } } } } : {}),
      },
      responses: responses as never,
      [WORDPRESS_EXTENSION]: spec.wordpress,
    });
  }
}

function describeResponse({ description, schema, file }: ResponseSpec): object {
  if (schema) return { description, content: { 'application/json': { schema } } };
  if (file) {
    const binary = { type: 'string', format: 'binary' };
    return { description, content: Object.fromEntries(file.map((type) => [type, { schema: binary }])) };
  }
  return { description };
}

function hasBody(req: Request): boolean {
  const body: unknown = req.body;
  return body !== undefined && !(typeof body === 'object' && body !== null && Object.keys(body).length === 0);
}

/** Write requests that carry a body must send JSON; anything else is refused before parsing. */
export const requireJsonBody: RequestHandler = (req, _res, next) => {
  const carriesBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
  if (carriesBody && !req.is('application/json')) {
    next(new AppError('unsupported_media_type', 'Request bodies must be application/json'));
    return;
  }
  next();
};

interface BodyParserError {
  type?: string;
  status?: number;
}

function toAppError(error: unknown): AppError | undefined {
  if (error instanceof AppError) return error;
  const parserError = error as BodyParserError;
  switch (parserError?.type) {
    case 'entity.too.large':
      return new AppError('payload_too_large', 'Request body is too large');
    case 'entity.parse.failed':
      return new AppError('bad_request', 'Request body is not valid JSON');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new AppError('unsupported_media_type', 'Unsupported body encoding or charset');
    case 'request.aborted':
      return new AppError('bad_request', 'Request was aborted');
    default:
      if (parserError?.status && parserError.status >= 400 && parserError.status < 500) {
        return new AppError('bad_request', 'Malformed request');
      }
      return undefined;
  }
}

/** The one place errors become responses: known errors keep their shape, the rest hide their internals. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req: Request, res: Response, _next: NextFunction) => {
    let appError = toAppError(error);
    if (!appError && isDeadlineError(error)) appError = deadlineExceeded();
    if (!appError && isDatabaseUnavailable(error)) {
      logger.warn({ err: error, path: req.path }, 'database unavailable');
      appError = new AppError('service_unavailable', 'The database is unavailable; try again shortly');
    }
    if (!appError) {
      logger.error({ err: error, method: req.method, path: req.path }, 'unhandled error');
      appError = new AppError('internal_error', 'Internal server error');
    }
    if (res.headersSent) {
      // A response already sent whole (e.g. the deadline's 503) stays as it is.
      if (!res.writableEnded) res.destroy();
      return;
    }
    res.set(appError.headers).status(appError.status).json(appError.toBody());
  };
}

export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new AppError('not_found', `No route for ${req.method} ${req.path}`));
};
