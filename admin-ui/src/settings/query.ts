import { wpRequest } from '../data/wordpress';
import type { CollectionSettings, PluginSettings } from './types';

export const loadSettings = (signal?: AbortSignal) =>
  wpRequest<PluginSettings>({ method: 'GET', path: 'settings' }, signal ? { signal } : undefined);

export const saveSettings = (update: CollectionSettings) =>
  wpRequest<PluginSettings>({ method: 'POST', path: 'settings', body: update });

/** Verifies the URL and key (the typed one, or the stored one when left empty) and stores them. */
export const connect = (backendUrl: string, apiKey: string) =>
  wpRequest<PluginSettings>({
    method: 'POST',
    path: 'connect',
    body: apiKey ? { backendUrl, apiKey } : { backendUrl },
  });

export const disconnect = () => wpRequest<PluginSettings>({ method: 'POST', path: 'disconnect', body: {} });
