import path from 'node:path';

import { loadConfig } from './config';

const repoRoot = path.resolve(__dirname, '..', '..', '..');

describe('loadConfig DATA_DIR', () => {
  it('when DATA_DIR is unset, then data goes to <repo>/data, not under the working directory', () => {
    expect(loadConfig({}).DATA_DIR).toBe(path.join(repoRoot, 'data'));
  });

  it('when DATA_DIR is relative, then it is taken from the repository root; an absolute one is kept', () => {
    expect(loadConfig({ DATA_DIR: 'var/clickpath' }).DATA_DIR).toBe(path.join(repoRoot, 'var', 'clickpath'));
    expect(loadConfig({ DATA_DIR: '/srv/clickpath' }).DATA_DIR).toBe('/srv/clickpath');
  });
});
