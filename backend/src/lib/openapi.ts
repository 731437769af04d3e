import { OpenApiGeneratorV31, type OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';

/** Builds the OpenAPI 3.1 document from the routes registered on `registry`. */
export function buildOpenApiDocument(registry: OpenAPIRegistry, version: string): object {
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
    servers: [{ url: '/api/v1' }],
  });
}
