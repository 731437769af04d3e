import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { createElement } from '@wordpress/element';

import { fakeBackend, metrics, withReport } from '../../testing/fake-backend';
import { ChartCard } from './chart-card';
import { FunnelsView } from './funnels-view';
import { GoalsView } from './goals-view';

/** The report panel's forms put the API's field messages under the fields they concern. */

// jsdom has no canvas.
jest.mock('uplot', () => jest.fn().mockImplementation(() => ({ setSize: jest.fn(), destroy: jest.fn() })));

const query = { from: '2026-01-01', to: '2026-01-31', filters: [] };
const invalid = (details: Array<{ path: string; message: string }>) => ({
  status: 400,
  body: { error: { code: 'validation_failed', message: 'Invalid request body', details } },
});
const goal = (id: string, name: string) => ({
  id: id.repeat(24),
  name,
  kind: 'page',
  match: `/${name}`,
  propKey: '',
  propValue: '',
});

/** The text a screen reader reads after the field's label (its aria-describedby targets). */
const description = (field: HTMLElement) =>
  (field.getAttribute('aria-describedby') ?? '')
    .split(/\s+/)
    .filter(Boolean)
    .map((id) => document.getElementById(id)?.textContent ?? '')
    .join(' ');

describe('report forms', () => {
  it("when a goal's pattern is refused, then the message is under the page path", async () => {
    const { source } = fakeBackend({
      goals: (_url, init) =>
        init.method === 'POST'
          ? invalid([{ path: 'body.match', message: 'must start with /' }])
          : { body: { goals: [] } },
      'stats/goals': { body: { range: query, visits: 0, goals: [], source: 'rollups' } },
    });
    render(withReport(source, <GoalsView query={query} />));
    await screen.findByText('No goals yet.');
    fireEvent.change(screen.getByLabelText('Name'), { target: { value: 'Pricing' } });
    fireEvent.change(screen.getByLabelText('Page path (* matches anything)'), { target: { value: 'pricing' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add goal' }));

    const match = screen.getByLabelText('Page path (* matches anything)');
    await waitFor(() => expect(match).toHaveAttribute('aria-invalid', 'true'));
    expect(description(match)).toBe('Page path (* matches anything) must start with /.');
    expect(screen.getByRole('alert')).toHaveTextContent('Check the marked field.');
  });

  it("when a funnel's second step is refused, then the message is under step 2", async () => {
    const goals = [goal('a', 'Pricing'), goal('b', 'Signup')];
    const { source } = fakeBackend({
      funnels: (_url, init) =>
        init.method === 'POST'
          ? invalid([{ path: 'body.steps.1', message: 'must be a 24-character hex id' }])
          : { body: { funnels: [] } },
      goals: { body: { goals } },
    });
    render(withReport(source, <FunnelsView query={query} />));
    await screen.findByText('No funnels yet.');
    fireEvent.change(screen.getByLabelText('Name'), { target: { value: 'Purchase' } });
    fireEvent.change(screen.getByLabelText('Step 1'), { target: { value: goals[0]!.id } });
    fireEvent.change(screen.getByLabelText('Step 2'), { target: { value: goals[1]!.id } });
    fireEvent.click(screen.getByRole('button', { name: 'Create funnel' }));

    const step2 = screen.getByLabelText('Step 2');
    await waitFor(() => expect(description(step2)).toBe('Step 2 must be a 24-character hex id.'));
    expect(screen.getByLabelText('Step 1')).not.toHaveAttribute('aria-invalid');
  });

  it("when a note's text is refused, then the message is under the note", async () => {
    const { source } = fakeBackend({
      'stats/timeseries': {
        body: { interval: 'day', points: [{ ...metrics({ visitors: 3 }), period: '2026-01-01' }], annotations: [] },
      },
      annotations: invalid([{ path: 'body.text', message: 'must not contain control characters' }]),
    });
    render(withReport(source, <ChartCard query={{ ...query, interval: 'day' }} />));
    fireEvent.click(await screen.findByRole('button', { name: 'Add a note to the chart' }));
    fireEvent.change(screen.getByLabelText('Note'), { target: { value: 'Launch' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add note' }));

    const note = screen.getByLabelText('Note');
    await waitFor(() => expect(description(note)).toBe('Note must not contain control characters.'));
  });
});
