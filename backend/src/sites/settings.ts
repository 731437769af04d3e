import { trusted, type Types } from 'mongoose';

import { Site } from './model';
import { SiteSettings } from './schemas';

/** A site's clock and settings as the aggregator and the jobs need them. */
export interface SiteConfiguration {
  siteId: Types.ObjectId;
  timezone: string;
  settings: SiteSettings;
}

const DEFAULTS = SiteSettings.parse({});

/**
 * A site's stored settings with the defaults of schemas.ts filled in: a stored value the
 * schema no longer accepts falls back to its default rather than stopping the caller.
 */
export function settingsOf(stored: unknown): SiteSettings {
  const fields = (stored ?? {}) as Record<string, unknown>;
  return Object.fromEntries(
    Object.entries(DEFAULTS).map(([field, fallback]) => {
      const parsed = SiteSettings.shape[field as keyof SiteSettings].safeParse(fields[field]);
      return [field, parsed.success ? parsed.data : fallback];
    }),
  ) as SiteSettings;
}

/**
 * The time zones and settings of the sites `ids` (every site without it), with
 * the defaults of schemas.ts filled in (settingsOf): with settingsOf, the one
 * reading of site settings outside this domain, so no other keeps its own copy of
 * a default (an aggregation batch, the retention job, the collector).
 */
export async function siteConfigurations(ids?: readonly Types.ObjectId[]): Promise<SiteConfiguration[]> {
  const sites = await Site.find(ids ? { _id: trusted({ $in: [...ids] }) } : {}, { timezone: 1, settings: 1 }).lean();
  return sites.map((site) => ({ siteId: site._id, timezone: site.timezone, settings: settingsOf(site.settings) }));
}
