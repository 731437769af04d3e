import { wpRequest } from '../data/wordpress';
import type { ConnectResult, PluginSettings, SettingsUpdate } from './types';

export const loadSettings = (signal?: AbortSignal) =>
  wpRequest<PluginSettings>({ method: 'GET', path: 'settings' }, signal ? { signal } : undefined);

export const saveSettings = (update: SettingsUpdate) =>
  wpRequest<PluginSettings>({ method: 'POST', path: 'settings', body: update });

/** Tests the backend URL and key (the typed one, or the stored one when left empty). */
export const testConnection = (backendUrl: string, apiKey: string) =>
  wpRequest<ConnectResult>({ method: 'POST', path: 'connect', body: apiKey ? { backendUrl, apiKey } : { backendUrl } });
