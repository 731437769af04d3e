import { OpenApiGeneratorV31, type OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';

/**
 * Builds the OpenAPI 3.1 document from the routes registered on `registry`. Paths carry their
 * full prefix (`/api/v1/...`, and the collector's `/api/event`), so the server is the origin:
 * PUBLIC_URL when configured (a path in it is kept, for a proxy that mounts us below one), else
 * `/`, which clients resolve against the document's own URL.
 */
export function buildOpenApiDocument(registry: OpenAPIRegistry, version: string, publicUrl?: string): object {
  registry.registerComponent('securitySchemes', 'session', {
    type: 'apiKey',
    in: 'cookie',
    name: 'clickpath_session',
    description: 'Session cookie set by /auth/login; writes also need a same-origin Origin header.',
  });
  registry.registerComponent('securitySchemes', 'apiKey', {
    type: 'http',
    scheme: 'bearer',
    description: 'Site API key (cpk_...) in the Authorization header; never in the query string.',
  });
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Clickpath API',
      version,
      description:
        'Privacy-first visitor and clickstream analytics. All errors use { error: { code, message, details? } }.',
    },
    servers: [{ url: publicUrl ? publicUrl.replace(/\/+$/, '') : '/' }],
  });
}
