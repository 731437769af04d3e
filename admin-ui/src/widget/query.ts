import { routes } from '../data/routes';
import type { Breakdown, Overview, Timeseries } from '../data/types';
import { wpRequest } from '../data/wordpress';
import { rangeForPreset } from '../lib/dates';

export interface WidgetData {
  today: Overview;
  trend: Timeseries;
  pages: Breakdown;
}

/** Today against yesterday, the last 30 days' visitors, and today's top five pages. */
export async function loadWidget(now = new Date(), signal?: AbortSignal): Promise<WidgetData> {
  const today = rangeForPreset('today', now);
  const month = rangeForPreset('30d', now);
  const options = signal ? { signal } : undefined;
  const [overview, trend, pages] = await Promise.all([
    wpRequest<Overview>(routes.overview({ ...today, filters: [], compare: 'previous' }), options),
    wpRequest<Timeseries>(routes.timeseries({ ...month, filters: [], interval: 'day' }), options),
    wpRequest<Breakdown>(
      routes.breakdown('page', { ...today, filters: [], limit: 5, page: 1, sort: 'visitors', order: 'desc' }),
      options,
    ),
  ]);
  return { today: overview, trend, pages };
}
