import { fieldSize } from './field-size';

describe('fieldSize', () => {
  afterEach(() => delete window.clickpathAdmin);
  const on = (wpVersion?: string) => {
    window.clickpathAdmin = { rest: { root: '/wp-json/', nonce: 'n' }, ...(wpVersion ? { wpVersion } : {}) };
  };

  it('when WordPress is older than 6.5, then the 40 px prop is left out (its TextControl would pass it to the <input>)', () => {
    on('6.1.9');
    expect(fieldSize()).toEqual({});
    on('6.4');
    expect(fieldSize()).toEqual({});
  });

  it('when WordPress is 6.5 or newer, or the dashboard runs its own components, then the prop is set', () => {
    on('6.5.5');
    expect(fieldSize()).toEqual({ __next40pxDefaultSize: true });
    on('7.0-alpha');
    expect(fieldSize()).toEqual({ __next40pxDefaultSize: true });
    delete window.clickpathAdmin;
    expect(fieldSize()).toEqual({ __next40pxDefaultSize: true });
  });
});
