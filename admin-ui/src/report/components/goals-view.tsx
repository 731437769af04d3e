/**
 * WordPress dependencies
 */
import { Button, Card, CardBody, CardHeader, SelectControl, TextControl } from '@wordpress/components';
import { createElement, useState } from '@wordpress/element';
import { __, sprintf } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import { fieldSize } from '../../lib/field-size';
import type { Goal, GoalInput, GoalKind, RangeQuery } from '../../data/types';
import { formatNumber, formatPercent } from '../../lib/format';
import { useRequest } from '../../lib/use-request';
import { fieldProps } from '../../lib/field-errors';
import { useSubmit } from '../../lib/use-submit';
import { useReport } from '../context';
import { EmptyState, ErrorState, FormError, Loading } from './states';
import { TableScroll } from './table-scroll';

interface GoalRow {
  goal: Goal;
  visits: number;
  rate: number;
}

interface GoalsViewProps {
  query: RangeQuery;
  /** Called after a goal is added or removed (the KPI cards show conversions only when goals exist). */
  onChange?: () => void;
}

/** Goals with their conversions in the range, and a form to add one. */
export function GoalsView({ query, onChange }: GoalsViewProps) {
  const { source } = useReport();
  const [version, setVersion] = useState(0);
  const state = useRequest(
    async (signal): Promise<GoalRow[]> => {
      const { goals } = await source.goalConversions(query, { signal });
      return goals.map(({ visits, visitors: _visitors, conversionRate, ...goal }) => ({
        goal,
        visits,
        rate: conversionRate,
      }));
    },
    `${JSON.stringify(query)}|${version}`,
  );

  const changed = () => {
    setVersion(version + 1);
    onChange?.();
  };
  const [removeError, setRemoveError] = useState<string | null>(null);
  const remove = async (goal: Goal) => {
    if (!window.confirm(sprintf(__('Delete the goal “%s” and the funnels that use it?', 'clickpath'), goal.name)))
      return;
    setRemoveError(null);
    try {
      await source.deleteGoal(goal.id);
      changed();
    } catch (e) {
      setRemoveError(sprintf(__('Could not delete “%1$s”: %2$s', 'clickpath'), goal.name, (e as Error).message));
    }
  };

  const [editing, setEditing] = useState<Goal | null>(null);
  const canEdit = source.updateGoal !== undefined;

  let body;
  if (state.status === 'loading') body = <Loading label={__('Loading goals…', 'clickpath')} />;
  else if (state.status === 'error')
    body = <ErrorState what={__('the goals', 'clickpath')} error={state.error} onRetry={state.reload} />;
  else if (state.data.length === 0)
    body = (
      <EmptyState title={__('No goals yet.', 'clickpath')}>
        <p>
          {__(
            'A goal counts the visits that reach a page (e.g. /thank-you) or send an event (e.g. signup).',
            'clickpath',
          )}
        </p>
      </EmptyState>
    );
  else
    body = (
      <TableScroll label={__('Goals', 'clickpath')}>
        <table className="clickpath-report__table clickpath-report__table--goals">
          <caption className="clickpath-visually-hidden">
            {__('Goals and their conversions in the range', 'clickpath')}
          </caption>
          <thead>
            <tr>
              <th scope="col">{__('Goal', 'clickpath')}</th>
              <th scope="col">{__('Converted visits', 'clickpath')}</th>
              <th scope="col">{__('Conversion rate', 'clickpath')}</th>
              <th scope="col">
                <span className="clickpath-visually-hidden">{__('Actions', 'clickpath')}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {state.data.map(({ goal, visits, rate }) => (
              <tr key={goal.id}>
                <th scope="row">
                  {goal.name}
                  <span className="clickpath-report__muted">
                    {' '}
                    {goal.kind === 'page'
                      ? sprintf(/* translators: %s: path pattern */ __('page %s', 'clickpath'), goal.match)
                      : sprintf(/* translators: %s: event name */ __('event %s', 'clickpath'), goal.match)}
                  </span>
                </th>
                <td>{formatNumber(visits)}</td>
                <td>
                  <span className="clickpath-report__rate">
                    <span
                      className="clickpath-report__rate-bar"
                      style={{ width: `${Math.min(100, rate)}%` }}
                      aria-hidden="true"
                    />
                    <span className="clickpath-report__rate-text">{formatPercent(rate)}</span>
                  </span>
                </td>
                <td>
                  <span className="clickpath-report__actions">
                    {canEdit && (
                      <Button
                        variant="tertiary"
                        onClick={() => setEditing(goal)}
                        aria-label={sprintf(__('Edit goal %s', 'clickpath'), goal.name)}
                      >
                        {__('Edit', 'clickpath')}
                      </Button>
                    )}
                    <Button
                      variant="tertiary"
                      isDestructive
                      onClick={() => void remove(goal)}
                      aria-label={sprintf(__('Delete goal %s', 'clickpath'), goal.name)}
                    >
                      {__('Delete', 'clickpath')}
                    </Button>
                  </span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableScroll>
    );

  return (
    <Card className="clickpath-report__card clickpath-report__card--goals">
      <CardHeader>
        <h2 className="clickpath-report__card-title">{__('Goals', 'clickpath')}</h2>
      </CardHeader>
      <CardBody>
        <FormError message={removeError} />
        {body}
        {editing ? (
          <GoalForm
            key={editing.id}
            goal={editing}
            onSaved={() => {
              setEditing(null);
              changed();
            }}
            onCancel={() => setEditing(null)}
          />
        ) : (
          <GoalForm onSaved={changed} />
        )}
      </CardBody>
    </Card>
  );
}

interface GoalFormProps {
  /** The goal to edit; without it the form adds one. */
  goal?: Goal;
  /** Called once the goal is saved. */
  onSaved: () => void;
  onCancel?: () => void;
}

/** Adds a goal, or edits `goal` (its name, match and property; the kind stays). */
export function GoalForm({ goal, onSaved, onCancel }: GoalFormProps) {
  const { source } = useReport();
  const [input, setInput] = useState<Required<GoalInput>>(
    goal
      ? { name: goal.name, kind: goal.kind, match: goal.match, propKey: goal.propKey, propValue: goal.propValue }
      : { name: '', kind: 'page', match: '', propKey: '', propValue: '' },
  );
  const set = (patch: Partial<GoalInput>) => setInput({ ...input, ...patch });

  const { busy, error, submit, fieldError } = useSubmit(
    async () => {
      const body: GoalInput = { name: input.name.trim(), kind: input.kind, match: input.match.trim() };
      if (input.kind === 'event' && input.propKey.trim()) {
        body.propKey = input.propKey.trim();
        body.propValue = input.propValue.trim();
      }
      if (goal && source.updateGoal) {
        const { kind: _kept, ...changes } = body;
        // An event goal's property is cleared by sending it empty.
        await source.updateGoal(goal.id, input.kind === 'event' ? { propKey: '', propValue: '', ...changes } : changes);
        onSaved();
        return;
      }
      await source.createGoal(body);
      setInput({ name: '', kind: input.kind, match: '', propKey: '', propValue: '' });
      onSaved();
    },
    { fields: ['name', 'kind', 'match', 'propKey', 'propValue'] },
  );

  const title = goal ? sprintf(__('Edit the goal “%s”', 'clickpath'), goal.name) : __('Add a goal', 'clickpath');
  return (
    <form className="clickpath-report__form" onSubmit={submit} aria-label={title}>
      <h3>{title}</h3>
      <TextControl
        __nextHasNoMarginBottom
        {...fieldSize()}
        {...fieldProps(__('Name', 'clickpath'), fieldError('name'))}
        value={input.name}
        onChange={(name: string) => set({ name })}
        required
        maxLength={100}
      />
      <SelectControl
        __nextHasNoMarginBottom
        {...fieldSize()}
        {...fieldProps(__('When a visit', 'clickpath'), fieldError('kind'))}
        value={input.kind}
        options={[
          { value: 'page', label: __('views a page', 'clickpath') },
          { value: 'event', label: __('sends an event', 'clickpath') },
        ]}
        onChange={(kind: string) => set({ kind: kind as GoalKind })}
        disabled={goal !== undefined}
      />
      <TextControl
        __nextHasNoMarginBottom
        {...fieldSize()}
        {...fieldProps(
          input.kind === 'page' ? __('Page path (* matches anything)', 'clickpath') : __('Event name', 'clickpath'),
          fieldError('match'),
        )}
        placeholder={input.kind === 'page' ? '/thank-you*' : 'signup'}
        value={input.match}
        onChange={(match: string) => set({ match })}
        required
        maxLength={500}
      />
      {input.kind === 'event' && (
        <div className="clickpath-report__form-row">
          <TextControl
            __nextHasNoMarginBottom
            {...fieldSize()}
            {...fieldProps(__('With property (optional)', 'clickpath'), fieldError('propKey'))}
            value={input.propKey}
            onChange={(propKey: string) => set({ propKey })}
            maxLength={60}
          />
          <TextControl
            __nextHasNoMarginBottom
            {...fieldSize()}
            {...fieldProps(__('Equal to', 'clickpath'), fieldError('propValue'))}
            value={input.propValue}
            onChange={(propValue: string) => set({ propValue })}
            maxLength={500}
          />
        </div>
      )}
      <Button
        variant="primary"
        type="submit"
        isBusy={busy}
        disabled={busy || !input.name.trim() || !input.match.trim()}
      >
        {goal ? __('Save goal', 'clickpath') : __('Add goal', 'clickpath')}
      </Button>
      {onCancel && (
        <Button variant="tertiary" onClick={onCancel}>
          {__('Cancel', 'clickpath')}
        </Button>
      )}
      <FormError message={error} />
    </form>
  );
}
