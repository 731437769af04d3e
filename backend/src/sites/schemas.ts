import { z } from '../lib/zod';

import { email, objectId, text } from '../lib/validate';
import { ROLES } from './model';

const DOMAIN_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** Loopback addresses, as the URL parser normalises them (127.1 becomes 127.0.0.1, [0::1] becomes [::1]). */
const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|\[::1\])$/;

/**
 * Accepts what people paste ("https://www.Example.com/blog", "example.com:8080")
 * and keeps the host: lowercased, punycoded, without scheme, path or a leading www.
 * Local development counts: `localhost` and the loopback addresses (127.0.0.1, [::1]); other
 * IP addresses are refused, as a site is known by its name.
 */
export const Domain = z
  .string()
  .trim()
  .min(1)
  .max(253 + 20)
  .transform((input, ctx) => {
    let host: string;
    try {
      host = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(input) ? input : `https://${input}`).hostname;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be a domain name like example.com (or localhost)' });
      return z.NEVER;
    }
    host = host.replace(/^www\./, '').replace(/\.$/, '');
    if (LOOPBACK.test(host)) return host;
    const labels = host.split('.');
    const valid =
      host.length <= 253 &&
      (labels.length >= 2 || host === 'localhost') &&
      labels.every((label) => DOMAIN_LABEL.test(label)) &&
      !/^\d+$/.test(labels[labels.length - 1] ?? '');
    if (!valid) {
      ctx.addIssue({ code: 'custom', message: 'must be a domain name like example.com (or localhost)' });
      return z.NEVER;
    }
    return host;
  });

/**
 * Whether the runtime's zone database knows the name, canonical or legacy. Intl.supportedValuesOf
 * lists one name per zone, and Node's ICU picks the legacy one (Asia/Calcutta, not Asia/Kolkata).
 */
function isKnownZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/**
 * An IANA time zone name as luxon and Intl accept it (Asia/Kolkata, Asia/Calcutta, Etc/UTC, UTC),
 * stored as given. Bare offsets (+05:30) are refused: they know no daylight saving time.
 */
export const Timezone = z
  .string()
  .max(64)
  .refine((tz) => /^[A-Za-z]/.test(tz) && isKnownZone(tz), 'must be an IANA time zone such as Europe/Amsterdam');

const settingsFields = {
  identityMode: z.enum(['cookieless', 'first-party']),
  honorDoNotTrack: z.boolean(),
  visitTimeoutMinutes: z.number().int().min(5).max(240),
  excludedIps: z.array(z.union([z.ipv4(), z.ipv6(), z.cidrv4(), z.cidrv6()])).max(100),
  rawEventRetentionDays: z.number().int().min(1).max(3650),
  trackOutbound: z.boolean(),
  trackDownloads: z.boolean(),
  trackEngagement: z.boolean(),
};

/**
 * Collection options: identity, privacy signals, visits, exclusions, retention, and which events are kept.
 * As a new site's input, each option left out takes its default; answers use `SiteSettingsView`.
 */
export const SiteSettings = z
  .strictObject({
    identityMode: settingsFields.identityMode.default('cookieless'),
    honorDoNotTrack: settingsFields.honorDoNotTrack.default(false),
    visitTimeoutMinutes: settingsFields.visitTimeoutMinutes.default(30),
    excludedIps: settingsFields.excludedIps.default([]),
    rawEventRetentionDays: settingsFields.rawEventRetentionDays.default(760),
    trackOutbound: settingsFields.trackOutbound.default(true),
    trackDownloads: settingsFields.trackDownloads.default(true),
    trackEngagement: settingsFields.trackEngagement.default(true),
  })
  .openapi('SiteSettingsInput');
/**
 * The settings as a site answers with them: every option present. zod-to-openapi describes a schema's
 * input side, where a defaulted option is optional, so answers get their own schema.
 */
export const SiteSettingsView = z.strictObject(settingsFields).openapi('SiteSettings');
/** A settings change: only the options given are touched (no defaults filled in). */
export const SiteSettingsPatch = z.strictObject(settingsFields).partial();
export type SiteSettings = z.output<typeof SiteSettings>;

export const SiteIdParams = z.strictObject({ siteId: objectId() });
export const MemberParams = z.strictObject({ siteId: objectId(), accountId: objectId() });

export const CreateSiteBody = z
  .strictObject({
    name: text(100),
    domain: Domain,
    timezone: Timezone.default('UTC'),
    settings: SiteSettings.default(SiteSettings.parse({})),
  })
  .openapi('CreateSite');

export const UpdateSiteBody = z
  .strictObject({
    name: text(100).optional(),
    domain: Domain.optional(),
    timezone: Timezone.optional(),
    settings: SiteSettingsPatch.optional(),
  })
  .refine((b) => Object.keys(b).length > 0, 'nothing to update')
  .openapi('UpdateSite');

export const SiteResponse = z
  .object({
    id: z.string(),
    name: z.string(),
    domain: z.string(),
    timezone: z.string(),
    publicId: z.string(),
    role: z.enum(ROLES),
    settings: SiteSettingsView,
    requireTwoFactor: z
      .boolean()
      .openapi({ description: 'Whether every member must sign in with a second factor to use the site' }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Site');

export const SiteList = z.object({ sites: z.array(SiteResponse) }).openapi('SiteList');

export const Role = z.enum(ROLES);
export const AssignableRole = z.enum(['admin', 'viewer']);

export const InviteMemberBody = z.strictObject({ email: email(), role: AssignableRole }).openapi('InviteMember');
export const TransferOwnershipBody = z
  .strictObject({ accountId: objectId().openapi({ description: 'The member who becomes the owner' }) })
  .openapi('TransferOwnership');

export const UpdateMemberBody = z.strictObject({ role: AssignableRole }).openapi('UpdateMember');

export const TwoFactorPolicyBody = z
  .strictObject({
    required: z.boolean().openapi({ description: 'Whether every member must sign in with a second factor' }),
  })
  .openapi('TwoFactorPolicy');

export const MemberResponse = z
  .object({
    accountId: z.string(),
    email: z.string(),
    name: z.string(),
    role: Role,
    since: z.string(),
    twoFactorEnabled: z.boolean().openapi({ description: 'Whether the member signs in with a second factor' }),
  })
  .openapi('Member');
export const MemberList = z.object({ members: z.array(MemberResponse) }).openapi('MemberList');
