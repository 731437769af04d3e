/**
 * WordPress dependencies
 */
import { Button, Card, CardBody, CardHeader, Notice } from '@wordpress/components';
import { createElement, useEffect, useRef, useState } from '@wordpress/element';
import { __, sprintf } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import { browserProbes } from '../self-test/probes';
import { runSelfTest, summary, type SelfTestProbes } from '../self-test/run';
import type { SelfTestCheck, SelfTestCheckId, SelfTestStatus } from '../types';

const TITLES: Record<SelfTestCheckId, string> = {
  connection: __('Connection to the Clickpath server', 'clickpath'),
  tag: __('Tracker tag on the front page', 'clickpath'),
  script: __('Tracker script loads', 'clickpath'),
  event: __('Test event reaches the server', 'clickpath'),
  realtime: __('Test event shows in Realtime', 'clickpath'),
};

const STATUS: Record<SelfTestStatus, string> = {
  waiting: __('Waiting', 'clickpath'),
  running: __('Checking…', 'clickpath'),
  pass: __('Passed', 'clickpath'),
  warn: __('Warning', 'clickpath'),
  fail: __('Failed', 'clickpath'),
  skip: __('Not run', 'clickpath'),
};

interface SelfTestCardProps {
  /** The key is set in wp-config.php: a new one goes there, not into the form. */
  keyFromConstant: boolean;
  /** What the test does outside itself; the browser's and the plugin's by default. */
  probes?: SelfTestProbes;
}

/** One button that follows a visit from the front page to Realtime, and a row per check with its fix. */
export function SelfTestCard({ keyFromConstant, probes }: SelfTestCardProps) {
  const [checks, setChecks] = useState<SelfTestCheck[] | null>(null);
  const [running, setRunning] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const mounted = useRef(true);
  useEffect(
    () => () => {
      mounted.current = false;
    },
    [],
  );

  const run = async () => {
    setRunning(true);
    setError(null);
    setChecks(null);
    try {
      await runSelfTest(probes ?? browserProbes(), { keyFromConstant }, (next) => {
        if (mounted.current) setChecks(next);
      });
    } catch (e) {
      if (mounted.current) {
        setChecks(null);
        setError(sprintf(__('The self-test could not start: %s', 'clickpath'), (e as Error).message));
      }
    } finally {
      if (mounted.current) setRunning(false);
    }
  };

  return (
    <Card className="clickpath-settings__card clickpath-self-test">
      <CardHeader>
        <h2>{__('Collection self-test', 'clickpath')}</h2>
      </CardHeader>
      <CardBody>
        <p>
          {__(
            'Loads the front page in this browser as a logged-out visitor gets it, and follows the tracker to the Clickpath server: the tag, the script, a test event and Realtime. The test event is one second of engaged time on the front page: it adds no visitor, visit or pageview to the reports.',
            'clickpath',
          )}
        </p>
        <Button variant="secondary" onClick={() => void run()} isBusy={running} disabled={running}>
          {running ? __('Running the self-test…', 'clickpath') : __('Run the self-test', 'clickpath')}
        </Button>
        {error && (
          <Notice status="error" isDismissible={false}>
            {error}
          </Notice>
        )}
        <p className="clickpath-self-test__summary" role="status">
          {checks && !running ? summary(checks) : ''}
        </p>
        {checks && (
          <ol className="clickpath-self-test__checks" aria-label={__('Self-test checks', 'clickpath')}>
            {checks.map((check) => (
              <li key={check.id} className={`clickpath-self-test__check is-${check.status}`}>
                <span className="clickpath-self-test__status">{STATUS[check.status]}</span>
                <div className="clickpath-self-test__result">
                  <h3 className="clickpath-self-test__title">{TITLES[check.id]}</h3>
                  {check.message && <p>{check.message}</p>}
                  {check.fix && (
                    <p className="clickpath-self-test__fix">
                      <strong>{__('How to fix:', 'clickpath')}</strong> {check.fix}
                    </p>
                  )}
                </div>
              </li>
            ))}
          </ol>
        )}
      </CardBody>
    </Card>
  );
}
