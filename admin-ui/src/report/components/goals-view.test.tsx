import { fireEvent, render, screen } from '@testing-library/react';
import { createElement } from '@wordpress/element';

import { apiError, fakeBackend, withReport } from '../../testing/fake-backend';
import { GoalsView } from './goals-view';

const query = { from: '2026-01-01', to: '2026-01-31', filters: [] };
const signup = {
  id: 'aaaaaaaaaaaaaaaaaaaaaaaa',
  name: 'Signup',
  kind: 'event',
  match: 'signup',
  propKey: '',
  propValue: '',
};

/** The `stats/goals` answer: every goal with its conversions, as the backend counts them. */
const conversions = (goals: Array<typeof signup>, visits = 10, converted = 0) => ({
  range: { from: query.from, to: query.to },
  visits,
  goals: goals.map((goal) => ({
    ...goal,
    visits: converted,
    visitors: converted,
    conversionRate: visits ? Math.round((1000 * converted) / visits) / 10 : 0,
  })),
  source: 'rollups',
});

describe('GoalsView', () => {
  it('when there are no goals, then it explains goals and offers the form', async () => {
    const { source } = fakeBackend({ 'stats/goals': { body: conversions([]) } });
    render(withReport(source, <GoalsView query={query} />));
    expect(screen.getByRole('status')).toHaveTextContent('Loading goals…');
    expect(await screen.findByText('No goals yet.')).toBeInTheDocument();
    expect(screen.getByRole('form', { name: 'Add a goal' })).toBeInTheDocument();
  });

  it('lists goals with converted visits and the conversion rate, all from one request', async () => {
    const { source, calls } = fakeBackend({ 'stats/goals': { body: conversions([signup], 200, 25) } });
    const filtered = { ...query, filters: [{ dim: 'country' as const, op: 'is' as const, value: 'NL' }] };
    render(withReport(source, <GoalsView query={filtered} />));
    const row = (await screen.findByText('Signup')).closest('tr')!;
    expect(row).toHaveTextContent('event signup');
    expect(row).toHaveTextContent('25');
    expect(row).toHaveTextContent('12.5%');
    expect(calls).toHaveLength(1);
    expect(calls[0]!.url.pathname).toBe('/api/v1/sites/0123456789abcdef01234567/stats/goals');
    expect(calls[0]!.url.searchParams.getAll('filter')).toEqual(['country:is:NL']);
  });

  it('creates a goal and reloads the list', async () => {
    const created: unknown[] = [];
    const { source } = fakeBackend({
      goals: (_url, init) => {
        if (init.method === 'POST') {
          created.push(JSON.parse(String(init.body)));
          return { status: 201, body: signup };
        }
        return { body: { goals: created.length ? [signup] : [] } };
      },
      'stats/goals': () => ({ body: conversions(created.length ? [signup] : []) }),
    });
    const onChange = jest.fn();
    render(withReport(source, <GoalsView query={query} onChange={onChange} />));
    await screen.findByText('No goals yet.');
    fireEvent.change(screen.getByLabelText('Name'), { target: { value: 'Signup' } });
    fireEvent.change(screen.getByLabelText('When a visit'), { target: { value: 'event' } });
    fireEvent.change(screen.getByLabelText('Event name'), { target: { value: 'signup' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add goal' }));
    expect(await screen.findByText('Signup', { selector: 'th' })).toBeInTheDocument();
    expect(created).toEqual([{ name: 'Signup', kind: 'event', match: 'signup' }]);
    expect(onChange).toHaveBeenCalled();
  });

  it('when adding or deleting a goal fails, then it says why and keeps the goal', async () => {
    const { source } = fakeBackend({
      goals: (_url, init) =>
        init.method === 'POST' || init.method === 'DELETE'
          ? apiError(403, 'forbidden', 'This action needs the admin role on this site')
          : { body: { goals: [signup] } },
      'stats/goals': { body: conversions([signup]) },
    });
    jest.spyOn(window, 'confirm').mockReturnValue(true);
    render(withReport(source, <GoalsView query={query} />));
    fireEvent.click(await screen.findByRole('button', { name: 'Delete goal Signup' }));
    expect((await screen.findByRole('alert')).textContent).toBe(
      'Could not delete “Signup”: This action needs the admin role on this site',
    );
    expect(screen.getByText('Signup', { selector: 'th' })).toBeInTheDocument();
    fireEvent.change(screen.getByLabelText('Name'), { target: { value: 'Pricing' } });
    fireEvent.change(screen.getByLabelText('Page path (* matches anything)'), { target: { value: '/pricing' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add goal' }));
    expect(
      await screen.findByText('This action needs the admin role on this site', { selector: 'form p' }),
    ).toHaveAttribute('role', 'alert');
  });

  it('when loading fails, then it names the goals', async () => {
    const { source } = fakeBackend({ 'stats/goals': apiError(403, 'forbidden', 'No access to this site') });
    render(withReport(source, <GoalsView query={query} />));
    expect(await screen.findByText('Could not load the goals.')).toBeInTheDocument();
    expect(
      screen.getByText('Your account may not see this site; ask its owner for access.', { selector: 'p' }),
    ).toBeInTheDocument();
  });
});

describe('GoalsView editing', () => {
  afterEach(() => jest.restoreAllMocks());

  it('when a goal is edited, then only its changes are sent and the list shows the new name', async () => {
    const sent: Array<{ method: string | undefined; path: string; body: unknown }> = [];
    let current = { ...signup, propKey: 'plan', propValue: 'pro' };
    const { source } = fakeBackend({
      goals: (url, init) => {
        sent.push({ method: init.method, path: url.pathname, body: init.body ? JSON.parse(String(init.body)) : null });
        if (init.method === 'PATCH') {
          current = { ...current, ...(JSON.parse(String(init.body)) as object) };
          return { body: current };
        }
        return { body: { goals: [current] } };
      },
      'stats/goals': () => ({ body: conversions([current]) }),
    });
    render(withReport(source, <GoalsView query={query} />));
    fireEvent.click(await screen.findByRole('button', { name: 'Edit goal Signup' }));
    const form = screen.getByRole('form', { name: 'Edit the goal “Signup”' });
    expect(screen.getByLabelText('When a visit')).toBeDisabled();
    expect(screen.getByLabelText('Event name')).toHaveValue('signup');
    fireEvent.change(screen.getByLabelText('Name'), { target: { value: 'Trial signup' } });
    fireEvent.change(screen.getByLabelText('With property (optional)'), { target: { value: '' } });
    fireEvent.submit(form);

    expect(await screen.findByText('Trial signup', { selector: 'th' })).toBeInTheDocument();
    const patch = sent.find((s) => s.method === 'PATCH')!;
    expect(patch.path).toBe(`/api/v1/sites/0123456789abcdef01234567/goals/${signup.id}`);
    // Clearing the property sends it empty; the kind is not editable and is not sent.
    expect(patch.body).toEqual({ name: 'Trial signup', match: 'signup', propKey: '', propValue: '' });
    expect(screen.getByRole('form', { name: 'Add a goal' })).toBeInTheDocument();
  });

  it('when the API refuses an edit, then its message stands under the field and the form stays open', async () => {
    const { source } = fakeBackend({
      goals: (_url, init) =>
        init.method === 'PATCH'
          ? {
              status: 400,
              body: {
                error: {
                  code: 'validation_failed',
                  message: 'Invalid request body',
                  details: [{ path: 'body.match', message: 'must not be empty' }],
                },
              },
            }
          : { body: { goals: [signup] } },
      'stats/goals': { body: conversions([signup]) },
    });
    render(withReport(source, <GoalsView query={query} />));
    fireEvent.click(await screen.findByRole('button', { name: 'Edit goal Signup' }));
    fireEvent.change(screen.getByLabelText('Event name'), { target: { value: '  x ' } });
    fireEvent.submit(screen.getByRole('form', { name: 'Edit the goal “Signup”' }));
    expect(await screen.findByText('Event name must not be empty.')).toBeInTheDocument();
    expect(screen.getByLabelText('Event name')).toHaveAttribute('aria-invalid', 'true');
  });

  it('when a host cannot edit goals, then there is no Edit button', async () => {
    const { source } = fakeBackend({ 'stats/goals': { body: conversions([signup]) } });
    const { updateGoal: _none, ...withoutEdit } = source;
    render(withReport(withoutEdit, <GoalsView query={query} />, 'wordpress'));
    expect(await screen.findByRole('button', { name: 'Delete goal Signup' })).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Edit goal Signup' })).not.toBeInTheDocument();
  });
});
