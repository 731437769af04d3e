import { createContext, useContext } from '@wordpress/element';

import type { DataSource } from '../data/types';

export interface ReportHost {
  source: DataSource;
  /** Which host the panel runs in: error hints differ (sign in again vs reload the page). */
  host: 'wordpress' | 'standalone';
  /** Shown in the empty state: how to install the tracker here. */
  snippetHint: string;
  /** The site's IANA time zone: every time on screen is shown in it (the browser's when unknown). */
  timeZone?: string | undefined;
}

export const ReportContext = createContext<ReportHost | null>(null);

export function useReport(): ReportHost {
  const value = useContext(ReportContext);
  if (!value) throw new Error('The report components need a <ReportContext.Provider>.');
  return value;
}
