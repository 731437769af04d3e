import { randomBytes } from 'node:crypto';

import type { Types } from 'mongoose';

import type { Actor } from '../audit/actor';
import { recordAudit } from '../audit/service';
import { AppError } from '../lib/errors';
import { Site } from './model';

/**
 * Issues a new relay secret for the site, replacing any earlier one (which stops verifying
 * within the collector's site cache period, a minute). The secret is returned only here: no site
 * view or export carries it. 256 random bits, URL-safe.
 */
export async function issueRelaySecret(siteId: Types.ObjectId, actor: Actor): Promise<string> {
  const secret = randomBytes(32).toString('base64url');
  const updated = await Site.updateOne({ _id: siteId }, { $set: { relaySecret: secret } });
  if (updated.matchedCount === 0) throw new AppError('not_found', 'Site not found');
  await recordAudit(siteId, actor, 'site.relay_secret_issued', {});
  return secret;
}
