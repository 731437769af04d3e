import { spawnSync } from 'node:child_process';
import path from 'node:path';

const backendDir = path.resolve(__dirname, '..');

function runJest(args: string[], env: NodeJS.ProcessEnv) {
  const result = spawnSync('npx', ['jest', '--ci', ...args], {
    cwd: backendDir,
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('the test harness itself', () => {
  it('when the database is unreachable, then the run fails instead of passing', () => {
    const { status, output } = runJest(['src/health'], { MONGODB_URI: 'mongodb://127.0.0.1:9/clickpath' });
    expect(status).not.toBe(0);
    expect(output).toContain('is unreachable');
  }, 60_000);

  it('when no test matches, then the run fails', () => {
    const { status, output } = runJest(['no-such-test-file-anywhere'], {});
    expect(status).not.toBe(0);
    expect(output).toContain('No tests found');
  }, 60_000);
});
