import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';

import { ErrorSchema, WORDPRESS_EXTENSION } from '../lib/http';
import { z } from '../lib/zod';
import { COLLECT_PATH } from './collector';
import { CollectBody } from './event-schema';

const Accepted = z
  .object({
    accepted: z.number().int().describe('Events stored'),
    dropped: z.number().int().optional().describe('Events dropped as bots, Do Not Track/GPC or excluded addresses'),
    relay: z
      .enum(['verified', 'ignored'])
      .optional()
      .describe(
        'Only when the request carried a relay signature: whether the visitor IP and user agent it names were ' +
          'used (verified) or the connection was counted as the visitor (ignored)',
      ),
  })
  .openapi('CollectAccepted');

const error = (description: string) => ({ description, content: { 'application/json': { schema: ErrorSchema } } });
/** A site's first-party relay names the visitor; see docs/plugin.md, "First-party relay". */
const RelayHeaders = z.object({
  'x-clickpath-relay-ip': z.string().max(45).optional().describe("The visitor's IP address, as the relay saw it"),
  'x-clickpath-relay-ua': z.string().max(1000).optional().describe("The visitor's user agent"),
  'x-clickpath-relay-time': z
    .string()
    .regex(/^\d{1,12}$/)
    .optional()
    .describe('Unix seconds when the relay signed'),
  'x-clickpath-relay-signature': z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional()
    .describe(
      "HMAC-SHA256, under the site's relay secret, of 'v1', the site's public id, the time, the IP, the user " +
        "agent and the body's SHA-256 (hex), joined by newlines. Headers that do not verify, or are more than " +
        '5 minutes off, are ignored',
    ),
});

const retryAfter = {
  'Retry-After': { description: 'Seconds to wait before resending', schema: { type: 'integer' as const } },
};

/**
 * Describes `POST /api/event` from the tracker's own schema. It is served before Express
 * (collect/collector.ts), so it is registered here rather than through `ApiRouter.route`.
 */
export function describeCollector(registry: OpenAPIRegistry): void {
  const body = { schema: CollectBody };
  registry.registerPath({
    method: 'post',
    path: COLLECT_PATH,
    operationId: 'collectEvents',
    tags: ['Collector'],
    summary: "The tracker's endpoint: one event or a batch of up to 50, all of one site",
    description:
      'Unauthenticated and open to every origin. Bodies are JSON, sent as text/plain by the tracker so that ' +
      'browsers need no CORS preflight; at most 64 KiB. The answer comes once the events are stored; a resent ' +
      'event id (`i`) counts once, so a client may retry a 503 with the same body.',
    security: [],
    // Browsers post to the backend themselves; the plugin's first-party relay is not the REST proxy.
    [WORDPRESS_EXTENSION]: 'backend-only',
    request: { headers: RelayHeaders, body: { content: { 'text/plain': body, 'application/json': body } } },
    responses: {
      202: {
        description: 'Stored, or dropped on purpose (bots, DNT/GPC, excluded IPs, tracking toggles)',
        content: { 'application/json': { schema: Accepted } },
      },
      400: error('Not JSON, an invalid event (details name each field), or a batch mixing sites'),
      404: error('No site has this public id (`s`)'),
      413: error('Body larger than 64 KiB'),
      415: error('Content-Type other than text/plain or application/json'),
      503: { ...error('Overloaded or the database is unavailable: resend after Retry-After'), headers: retryAfter },
    },
  });
}
