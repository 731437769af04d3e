import { ApiError } from '../data/errors';
import { fieldErrors, fieldMessage } from './field-errors';

const invalid = (details: unknown) => new ApiError('validation_failed', 'Invalid request body', 400, details);

describe('fieldErrors', () => {
  it("when the API names fields, then each message goes to the form's field of that name", () => {
    const error = invalid([
      { path: 'body.domain', message: 'must be a domain name like example.com (or localhost)' },
      { path: 'body.scopes.0', message: 'Invalid option' },
      { path: 'body.settings.identityMode', message: 'Invalid option' },
      { path: 'body.unknown', message: 'Unrecognized key' },
    ]);

    expect(fieldErrors(error, ['domain', 'scopes', 'settings.identityMode', 'settings'])).toEqual({
      byField: {
        domain: 'must be a domain name like example.com (or localhost)',
        scopes: 'Invalid option',
        'settings.identityMode': 'Invalid option',
      },
      rest: [{ path: 'body.unknown', message: 'Unrecognized key' }],
    });
  });

  it('when a field has several problems, then the first is kept', () => {
    const error = invalid([
      { path: 'body.password', message: 'must be at least 8 characters' },
      { path: 'body.password', message: 'is one of the most common passwords; choose another' },
    ]);
    expect(fieldErrors(error, ['password']).byField).toEqual({ password: 'must be at least 8 characters' });
  });

  it('when the error has no details or is not from the API, then no field gets a message', () => {
    expect(fieldErrors(new ApiError('forbidden', 'Current password is incorrect', 403), ['password'])).toEqual({
      byField: {},
      rest: [],
    });
    expect(fieldErrors(new Error('boom'), ['password']).byField).toEqual({});
    expect(fieldErrors(invalid('not a list'), ['password']).byField).toEqual({});
  });

  it('when a message follows the field name, then the label leads the sentence; a whole sentence stays', () => {
    expect(fieldMessage('Domain', 'must be a domain name like example.com (or localhost)')).toBe(
      'Domain must be a domain name like example.com (or localhost).',
    );
    expect(fieldMessage('Name', 'Too small: expected string to have >=1 characters')).toBe(
      'Too small: expected string to have >=1 characters.',
    );
    expect(fieldMessage('Password', 'Current password is incorrect.')).toBe('Current password is incorrect.');
  });
});
