import type { OutgoingMail } from '../mail/mailer';
import { renderMessage } from '../mail/template';

/** The account mail: what each message says, and the dashboard links in it. */

const greeting = (name: string) => (name ? `Hello ${name},` : 'Hello,');

/** A dashboard page with a link token in the hash: it never reaches a server log or a Referer header. */
export const tokenLink = (appUrl: string, page: 'verify-email' | 'reset-password', token: string) =>
  `${appUrl}/#/${page}?token=${token}`;

export function verifyEmailMail(
  appUrl: string,
  to: string,
  { name, token, change }: { name: string; token: string; change: boolean },
): OutgoingMail {
  return {
    to,
    kind: 'verify-email',
    ...renderMessage({
      subject: change ? 'Confirm your new email address for Clickpath' : 'Confirm your email address for Clickpath',
      greeting: greeting(name),
      intro: [
        change
          ? `You asked to use ${to} for your Clickpath account. Your account keeps its current address until you confirm this one.`
          : `Welcome to Clickpath. Please confirm that ${to} is your address: until you do, you can add one site but not invite anyone or join other sites.`,
      ],
      action: { label: 'Confirm this address', url: tokenLink(appUrl, 'verify-email', token) },
      outro: [
        'The link works once, for 48 hours.',
        'If you did not ask for this, ignore this message: nothing changes.',
      ],
    }),
  };
}

export function emailChangeNoticeMail(
  appUrl: string,
  to: string,
  { name, newEmail }: { name: string; newEmail: string },
): OutgoingMail {
  return {
    to,
    kind: 'email-change-notice',
    ...renderMessage({
      subject: 'Your Clickpath email address is being changed',
      greeting: greeting(name),
      intro: [
        `Someone signed in to your Clickpath account asked to change its email address from ${to} to ${newEmail}. The change takes effect only once the new address is confirmed.`,
      ],
      action: { label: 'Review your account', url: `${appUrl}/#/account` },
      outro: [
        'If this was you, there is nothing to do. If it was not, log in, change your password and set your address back: the change is cancelled when you do.',
      ],
    }),
  };
}

export function passwordResetMail(
  appUrl: string,
  to: string,
  { name, token }: { name: string; token: string },
): OutgoingMail {
  return {
    to,
    kind: 'password-reset',
    ...renderMessage({
      subject: 'Choose a new Clickpath password',
      greeting: greeting(name),
      intro: ['Someone asked to reset the password of the Clickpath account that uses this address.'],
      action: { label: 'Choose a new password', url: tokenLink(appUrl, 'reset-password', token) },
      outro: [
        'The link works once, for one hour. Choosing a new password logs you out everywhere.',
        'If you did not ask for this, ignore this message: your password stays as it is.',
      ],
    }),
  };
}

export function passwordChangedMail(appUrl: string, to: string, { name }: { name: string }): OutgoingMail {
  return {
    to,
    kind: 'password-changed',
    ...renderMessage({
      subject: 'Your Clickpath password was changed',
      greeting: greeting(name),
      intro: [
        'The password of your Clickpath account was just reset with a link sent to this address, and every session was logged out.',
      ],
      action: { label: 'Log in', url: `${appUrl}/#/login` },
      outro: ['If this was not you, ask for a new reset link from the login page at once.'],
    }),
  };
}

export function alreadyRegisteredMail(appUrl: string, to: string, { name }: { name: string }): OutgoingMail {
  return {
    to,
    kind: 'already-registered',
    ...renderMessage({
      subject: 'You already have a Clickpath account',
      greeting: greeting(name),
      intro: [
        'Someone tried to sign up for Clickpath with this address, which already has an account. No new account was created and yours is unchanged.',
      ],
      action: { label: 'Forgot your password? Choose a new one', url: `${appUrl}/#/forgot-password` },
      outro: ['If this was not you, ignore this message.'],
    }),
  };
}
