import type { Types } from 'mongoose';

import type { Auth } from '../access/auth';

/** Who does an audited action: a signed-in account, or an API key (with the account that created it). */
export type Actor =
  | { kind: 'account'; accountId: Types.ObjectId }
  | { kind: 'key'; keyId: Types.ObjectId; name: string; prefix: string; createdBy: Types.ObjectId };

export const accountActor = (accountId: Types.ObjectId): Actor => ({ kind: 'account', accountId });

/** The actor behind a request's credentials. */
export function actorOf(auth: Auth): Actor {
  if (auth.kind === 'session') return accountActor(auth.accountId);
  return { kind: 'key', keyId: auth.keyId, name: auth.name, prefix: auth.prefix, createdBy: auth.createdBy };
}
