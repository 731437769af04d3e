import { generateSecret, generateURI, verify } from 'otplib';
import QRCode from 'qrcode';

/** TOTP as authenticator apps expect it (RFC 6238): SHA-1, 6 digits, 30-second steps. */

export const TOTP_PERIOD_SECONDS = 30;
/** A code from the step before or after the server's also counts: phone clocks drift, people type slowly. */
const TOLERANCE_SECONDS = TOTP_PERIOD_SECONDS;
const ISSUER = 'Clickpath';

/** A new random secret (160 bits, base32), as authenticator apps take it typed or scanned. */
export const newTotpSecret = (): string => generateSecret();

/** The `otpauth://` URI a QR code carries: issuer Clickpath, labelled with the account's address. */
export const totpUri = (secret: string, email: string): string => generateURI({ issuer: ISSUER, label: email, secret });

/** The URI as an SVG QR code in a data URL, for an `<img>` (the CSP allows data: images). */
export async function qrCodeDataUrl(uri: string): Promise<string> {
  const svg = await QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
  return `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`;
}

/** The time step `epochMs` falls in. */
export const totpStep = (epochMs: number): number => Math.floor(epochMs / 1000 / TOTP_PERIOD_SECONDS);

/**
 * The time step `code` was made for, when it is valid now (one step of drift either way) and
 * newer than `afterStep`; null otherwise. Storing the step returned refuses the code's replay.
 */
export async function matchTotp(
  secret: string,
  code: string,
  afterStep: number | null,
  nowMs = Date.now(),
): Promise<number | null> {
  try {
    const result = await verify({
      secret,
      token: code,
      epoch: Math.floor(nowMs / 1000),
      epochTolerance: TOLERANCE_SECONDS,
      ...(afterStep === null ? {} : { afterTimeStep: afterStep }),
    });
    return result.valid && 'timeStep' in result ? result.timeStep : null;
  } catch {
    // otplib throws on input it refuses outright (a malformed code, a last step ahead of the clock).
    return null;
  }
}
