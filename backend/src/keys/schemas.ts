import { z } from '../lib/zod';

import { objectId, text } from '../lib/validate';
import { SCOPES } from './model';

export const Scope = z.enum(SCOPES);

export const KeyParams = z.strictObject({ siteId: objectId(), keyId: objectId() });

export const CreateKeyBody = z
  .strictObject({
    name: text(100),
    scopes: z.array(Scope).min(1).max(SCOPES.length).default(['stats:read']),
  })
  .openapi('CreateApiKey');

export const KeyResponse = z
  .object({
    id: z.string(),
    name: z.string(),
    prefix: z.string(),
    scopes: z.array(Scope),
    createdBy: z.object({ id: z.string(), name: z.string(), email: z.string() }).nullable().openapi({
      description:
        'Who created the key (null once their account is deleted). The key acts with their current role at most.',
    }),
    createdAt: z.string(),
    lastUsedAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
    rotatedFrom: z.string().nullable(),
  })
  .openapi('ApiKey');

export const KeyWithSecret = KeyResponse.extend({
  secret: z.string().openapi({ description: 'The key itself. Shown only in this response; store it now.' }),
}).openapi('ApiKeyWithSecret');

export const KeyList = z.object({ keys: z.array(KeyResponse) }).openapi('ApiKeyList');
