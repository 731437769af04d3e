import { fireEvent, render, screen } from '@testing-library/react';
import { createElement } from '@wordpress/element';

import { apiError, fakeBackend, withReport } from '../../testing/fake-backend';
import { FunnelsView } from './funnels-view';

const query = { from: '2026-01-01', to: '2026-01-31', filters: [] };
const goal = (id: string, name: string) => ({
  id: id.repeat(24),
  name,
  kind: 'page',
  match: `/${name}`,
  propKey: '',
  propValue: '',
});
const goals = [goal('a', 'Pricing'), goal('b', 'Signup'), goal('c', 'Paid')];
const funnel = { id: 'f'.repeat(24), name: 'Purchase', steps: goals.map((g) => g.id) };
const report = {
  funnel: { id: funnel.id, name: funnel.name },
  range: { from: query.from, to: query.to },
  steps: [
    { goalId: goals[0]!.id, name: 'Pricing', visits: 200, conversionRate: 100, dropOff: 0, dropOffRate: 0 },
    { goalId: goals[1]!.id, name: 'Signup', visits: 50, conversionRate: 25, dropOff: 150, dropOffRate: 75 },
    { goalId: goals[2]!.id, name: 'Paid', visits: 10, conversionRate: 5, dropOff: 40, dropOffRate: 80 },
  ],
};

describe('FunnelsView', () => {
  it('shows per-step bars with conversion and drop-off', async () => {
    const { source } = fakeBackend({
      funnels: { body: { funnels: [funnel] } },
      goals: { body: { goals } },
      [`funnels/${funnel.id}/report`]: { body: report },
    });
    render(withReport(source, <FunnelsView query={query} />));
    const steps = await screen.findAllByRole('listitem');
    const funnelSteps = screen.getByRole('list', { name: 'Purchase' }).querySelectorAll('li');
    expect(steps.length).toBeGreaterThanOrEqual(3);
    expect(funnelSteps[0]).toHaveTextContent('Pricing200 visits · 100%');
    expect(funnelSteps[1]).toHaveTextContent('Signup50 visits · 25%Drop-off: 150 visits (75%)');
    expect(funnelSteps[2]).toHaveTextContent('Drop-off: 40 visits (80%)');
    expect((funnelSteps[1]!.querySelector('.clickpath-report__funnel-bar') as HTMLElement).style.width).toBe('25%');
  });

  it('when there are no funnels, then it explains them; with fewer than two goals it says to add goals', async () => {
    const { source } = fakeBackend({ funnels: { body: { funnels: [] } }, goals: { body: { goals: [goals[0]] } } });
    render(withReport(source, <FunnelsView query={query} />));
    expect(await screen.findByText('No funnels yet.')).toBeInTheDocument();
    expect(screen.getByText('Add at least two goals to build a funnel.')).toBeInTheDocument();
  });

  it('creates a funnel from chosen goals', async () => {
    let posted: unknown;
    const { source } = fakeBackend({
      funnels: (_url, init) => {
        if (init.method === 'POST') {
          posted = JSON.parse(String(init.body));
          return { status: 201, body: funnel };
        }
        return { body: { funnels: posted ? [funnel] : [] } };
      },
      goals: { body: { goals } },
      [`funnels/${funnel.id}/report`]: { body: report },
    });
    render(withReport(source, <FunnelsView query={query} />));
    await screen.findByText('No funnels yet.');
    fireEvent.change(screen.getByLabelText('Name'), { target: { value: 'Purchase' } });
    fireEvent.change(screen.getByLabelText('Step 1'), { target: { value: goals[0]!.id } });
    fireEvent.change(screen.getByLabelText('Step 2'), { target: { value: goals[1]!.id } });
    fireEvent.click(screen.getByRole('button', { name: 'Create funnel' }));
    expect(await screen.findByRole('list', { name: 'Purchase' })).toBeInTheDocument();
    expect(posted).toEqual({ name: 'Purchase', steps: [goals[0]!.id, goals[1]!.id] });
  });

  it('when the report fails, then it says so', async () => {
    const { source } = fakeBackend({
      funnels: { body: { funnels: [funnel] } },
      goals: { body: { goals } },
      [`funnels/${funnel.id}/report`]: apiError(404, 'not_found', 'Funnel not found'),
    });
    render(withReport(source, <FunnelsView query={query} />));
    expect(await screen.findByText('Could not load the funnel report.')).toBeInTheDocument();
  });

  it('when no visit reached step one, then it says so', async () => {
    const empty = { ...report, steps: report.steps.map((s) => ({ ...s, visits: 0, conversionRate: 0 })) };
    const { source } = fakeBackend({
      funnels: { body: { funnels: [funnel] } },
      goals: { body: { goals } },
      [`funnels/${funnel.id}/report`]: { body: empty },
    });
    render(withReport(source, <FunnelsView query={query} />));
    expect(await screen.findByText('No visit reached the first step in this range.')).toBeInTheDocument();
  });

  it('when the lists fail, then it names the funnels', async () => {
    const { source } = fakeBackend({
      funnels: apiError(500, 'internal_error', 'Something broke'),
      goals: { body: { goals } },
    });
    render(withReport(source, <FunnelsView query={query} />));
    expect(await screen.findByText('Could not load the funnels.')).toBeInTheDocument();
  });
});

describe('FunnelsView deleting', () => {
  afterEach(() => jest.restoreAllMocks());

  const backend = (onDelete: () => { status?: number; body?: unknown }) => {
    let deleted = false;
    const result = fakeBackend({
      funnels: (_url, init) => {
        if (init.method === 'DELETE') {
          const answer = onDelete();
          deleted = (answer.status ?? 200) < 300;
          return answer;
        }
        return { body: { funnels: deleted ? [] : [funnel] } };
      },
      goals: { body: { goals } },
      [`funnels/${funnel.id}/report`]: { body: report },
    });
    return result;
  };

  it('when a deletion is confirmed, then the funnel is deleted and the list reloads', async () => {
    const { source, calls } = backend(() => ({ status: 204 }));
    const confirm = jest.spyOn(window, 'confirm').mockReturnValue(true);
    render(withReport(source, <FunnelsView query={query} />));
    fireEvent.click(await screen.findByRole('button', { name: 'Delete funnel Purchase' }));
    expect(await screen.findByText('No funnels yet.')).toBeInTheDocument();
    expect(confirm).toHaveBeenCalledWith('Delete the funnel “Purchase”? Its goals stay.');
    const del = calls.find((c) => c.init.method === 'DELETE')!;
    expect(del.url.pathname).toBe(`/api/v1/sites/0123456789abcdef01234567/funnels/${funnel.id}`);
  });

  it('when the deletion is not confirmed, then nothing is sent', async () => {
    const { source, calls } = backend(() => ({ status: 204 }));
    jest.spyOn(window, 'confirm').mockReturnValue(false);
    render(withReport(source, <FunnelsView query={query} />));
    fireEvent.click(await screen.findByRole('button', { name: 'Delete funnel Purchase' }));
    expect(calls.some((c) => c.init.method === 'DELETE')).toBe(false);
    expect(await screen.findByRole('list', { name: 'Purchase' })).toBeInTheDocument();
  });

  it('when the deletion fails, then it says why and keeps the funnel', async () => {
    const { source } = backend(() => apiError(403, 'forbidden', 'This action needs the admin role on this site'));
    jest.spyOn(window, 'confirm').mockReturnValue(true);
    render(withReport(source, <FunnelsView query={query} />));
    fireEvent.click(await screen.findByRole('button', { name: 'Delete funnel Purchase' }));
    expect((await screen.findByRole('alert')).textContent).toBe(
      'Could not delete “Purchase”: This action needs the admin role on this site',
    );
    expect(await screen.findByRole('list', { name: 'Purchase' })).toBeInTheDocument();
  });
});
