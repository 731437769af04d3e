/**
 * WordPress dependencies
 */
import domReady from '@wordpress/dom-ready';
import { createElement } from '@wordpress/element';
import { __ } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import { createWordPressSource } from '../data/wordpress';
import { mount } from '../lib/mount';
import { ReportPanel } from '../report';
import type { StatsInitialState } from './types';

domReady(() => {
  const container = document.getElementById('clickpath-stats');
  const config = window.clickpathAdmin;
  if (!container || !config) return;
  const state = (config.initialState ?? {}) as StatsInitialState;
  mount(
    container,
    <ReportPanel
      source={createWordPressSource(config.rest)}
      host="wordpress"
      timeZone={state.timezone || undefined}
      snippetHint={
        state.snippetHint ??
        __(
          'The Clickpath plugin adds the tracker to every public page once it is connected (Settings → Clickpath). Visit your site in another browser, then come back.',
          'clickpath',
        )
      }
    />,
  );
});
