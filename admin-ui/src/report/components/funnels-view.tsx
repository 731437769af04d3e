/**
 * WordPress dependencies
 */
import { Button, Card, CardBody, CardHeader, SelectControl, TextControl } from '@wordpress/components';
import { createElement, useState } from '@wordpress/element';
import { __, _n, sprintf } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import { fieldSize } from '../../lib/field-size';
import type { Funnel, Goal, RangeQuery } from '../../data/types';
import { formatNumber, formatPercent } from '../../lib/format';
import { useRequest } from '../../lib/use-request';
import { fieldProps } from '../../lib/field-errors';
import { useSubmit } from '../../lib/use-submit';
import { useReport } from '../context';
import { EmptyState, ErrorState, FormError, Loading } from './states';

export function FunnelsView({ query }: { query: RangeQuery }) {
  const { source } = useReport();
  const [version, setVersion] = useState(0);
  const [selected, setSelected] = useState('');
  const [removeError, setRemoveError] = useState<string | null>(null);
  const remove = async (funnel: Funnel) => {
    const { deleteFunnel } = source;
    if (
      !deleteFunnel ||
      !window.confirm(sprintf(__('Delete the funnel “%s”? Its goals stay.', 'clickpath'), funnel.name))
    )
      return;
    setRemoveError(null);
    try {
      await deleteFunnel(funnel.id);
      setSelected('');
      setVersion(version + 1);
    } catch (e) {
      setRemoveError(sprintf(__('Could not delete “%1$s”: %2$s', 'clickpath'), funnel.name, (e as Error).message));
    }
  };
  const lists = useRequest(async (signal) => {
    const [funnels, goals] = await Promise.all([source.funnels({ signal }), source.goals({ signal })]);
    return { funnels, goals };
  }, String(version));

  let body;
  if (lists.status === 'loading') body = <Loading label={__('Loading funnels…', 'clickpath')} />;
  else if (lists.status === 'error')
    body = <ErrorState what={__('the funnels', 'clickpath')} error={lists.error} onRetry={lists.reload} />;
  else {
    const { funnels, goals } = lists.data;
    const current = funnels.find((f) => f.id === selected) ?? funnels[0];
    body = (
      <div>
        {funnels.length === 0 ? (
          <EmptyState title={__('No funnels yet.', 'clickpath')}>
            <p>
              {__(
                'A funnel follows visits through two to eight goals in order and shows where they drop off.',
                'clickpath',
              )}
            </p>
          </EmptyState>
        ) : (
          <div>
            {funnels.length > 1 && (
              <SelectControl
                __nextHasNoMarginBottom
                {...fieldSize()}
                label={__('Funnel', 'clickpath')}
                value={current?.id ?? ''}
                options={funnels.map((f) => ({ value: f.id, label: f.name }))}
                onChange={(id: string) => setSelected(id)}
              />
            )}
            {current && source.deleteFunnel && (
              <Button
                variant="tertiary"
                isDestructive
                onClick={() => void remove(current)}
                aria-label={sprintf(__('Delete funnel %s', 'clickpath'), current.name)}
              >
                {__('Delete funnel', 'clickpath')}
              </Button>
            )}
            <FormError message={removeError} />
            {current && <FunnelReportView funnel={current} query={query} />}
          </div>
        )}
        <FunnelForm
          goals={goals}
          onCreated={(f) => {
            setSelected(f.id);
            setVersion(version + 1);
          }}
        />
      </div>
    );
  }
  return (
    <Card className="clickpath-report__card clickpath-report__card--funnels">
      <CardHeader>
        <h2 className="clickpath-report__card-title">{__('Funnels', 'clickpath')}</h2>
      </CardHeader>
      <CardBody>{body}</CardBody>
    </Card>
  );
}

/** Per-step bars: visits reaching the step, share of the first step and the drop-off from the one before. */
export function FunnelReportView({ funnel, query }: { funnel: Funnel; query: RangeQuery }) {
  const { source } = useReport();
  const state = useRequest(
    (signal) => source.funnelReport(funnel.id, query, { signal }),
    `${funnel.id}|${JSON.stringify(query)}`,
  );
  if (state.status === 'loading') return <Loading label={__('Loading the funnel…', 'clickpath')} />;
  if (state.status === 'error')
    return <ErrorState what={__('the funnel report', 'clickpath')} error={state.error} onRetry={state.reload} />;
  const { steps } = state.data;
  if (steps.length === 0 || steps[0]!.visits === 0) {
    return <EmptyState title={__('No visit reached the first step in this range.', 'clickpath')} />;
  }
  return (
    <ol className="clickpath-report__funnel" aria-label={funnel.name}>
      {steps.map((step, i) => (
        <li key={step.goalId} className="clickpath-report__funnel-step">
          <div className="clickpath-report__funnel-label">
            <span className="clickpath-report__funnel-name">{step.name}</span>
            <span>
              {sprintf(
                /* translators: 1: visits, 2: percent of step 1 */
                _n('%1$s visit · %2$s', '%1$s visits · %2$s', step.visits, 'clickpath'),
                formatNumber(step.visits),
                formatPercent(step.conversionRate),
              )}
            </span>
          </div>
          <div className="clickpath-report__funnel-track" aria-hidden="true">
            <div className="clickpath-report__funnel-bar" style={{ width: `${Math.min(100, step.conversionRate)}%` }} />
          </div>
          {i > 0 && (
            <p className="clickpath-report__funnel-drop">
              {sprintf(
                /* translators: 1: visits lost, 2: percent lost */
                _n('Drop-off: %1$s visit (%2$s)', 'Drop-off: %1$s visits (%2$s)', step.dropOff, 'clickpath'),
                formatNumber(step.dropOff),
                formatPercent(step.dropOffRate),
              )}
            </p>
          )}
        </li>
      ))}
    </ol>
  );
}

export function FunnelForm({ goals, onCreated }: { goals: Goal[]; onCreated: (funnel: Funnel) => void }) {
  const { source } = useReport();
  const [name, setName] = useState('');
  const [steps, setSteps] = useState<string[]>(['', '']);
  const { busy, error, submit, fieldError } = useSubmit(
    async () => {
      const funnel = await source.createFunnel({ name: name.trim(), steps });
      setName('');
      setSteps(['', '']);
      onCreated(funnel);
    },
    // `steps.1` is the second step's own field; `steps` alone (too many, repeated) goes to the first.
    { fields: ['name', 'steps', ...Array.from({ length: 8 }, (_, i) => `steps.${i}`)] },
  );
  if (goals.length < 2) {
    return <p className="clickpath-report__muted">{__('Add at least two goals to build a funnel.', 'clickpath')}</p>;
  }
  const options = [
    { value: '', label: __('Choose a goal', 'clickpath') },
    ...goals.map((g) => ({ value: g.id, label: g.name })),
  ];
  const ready = name.trim() !== '' && steps.every(Boolean);
  return (
    <form className="clickpath-report__form" onSubmit={submit} aria-label={__('Create a funnel', 'clickpath')}>
      <h3>{__('Create a funnel', 'clickpath')}</h3>
      <TextControl
        __nextHasNoMarginBottom
        {...fieldSize()}
        {...fieldProps(__('Name', 'clickpath'), fieldError('name'))}
        value={name}
        onChange={setName}
        required
        maxLength={100}
      />
      {steps.map((step, i) => (
        <div className="clickpath-report__form-row" key={i}>
          <SelectControl
            __nextHasNoMarginBottom
            {...fieldSize()}
            {...fieldProps(
              sprintf(/* translators: %d: step number */ __('Step %d', 'clickpath'), i + 1),
              fieldError(`steps.${i}`) ?? (i === 0 ? fieldError('steps') : undefined),
            )}
            value={step}
            options={options}
            onChange={(value: string) => setSteps(steps.map((s, j) => (j === i ? value : s)))}
          />
          {steps.length > 2 && (
            <Button
              variant="tertiary"
              onClick={() => setSteps(steps.filter((_, j) => j !== i))}
              aria-label={sprintf(__('Remove step %d', 'clickpath'), i + 1)}
            >
              {__('Remove', 'clickpath')}
            </Button>
          )}
        </div>
      ))}
      {steps.length < 8 && (
        <Button variant="secondary" onClick={() => setSteps([...steps, ''])}>
          {__('Add a step', 'clickpath')}
        </Button>
      )}
      <Button variant="primary" type="submit" isBusy={busy} disabled={busy || !ready}>
        {__('Create funnel', 'clickpath')}
      </Button>
      <FormError message={error} />
    </form>
  );
}
