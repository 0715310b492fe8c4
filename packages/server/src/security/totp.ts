/**
 * TOTP second factor (RFC 6238: SHA-1, 6 digits, 30 s) through `otpauth`: a new secret with
 * its `otpauth://` URI and a QR code (PNG data URL, via `qrcode`) for authenticator apps, and
 * verification that accepts one step of clock drift and never the same step twice.
 */
import { Secret, TOTP } from 'otpauth';
import QRCode from 'qrcode';
import type { RandomSource } from './random-source.js';

export const TOTP_PERIOD_S = 30;
const ISSUER = 'Chartroom';

/** What an authenticator app needs to enrol. */
export interface TotpEnrolment {
  /** Base32 secret (for typing in by hand). */
  secret: string;
  otpauthUri: string;
  /** The URI as a QR code, `data:image/png;base64,…`. */
  qrDataUrl: string;
}

function totp(secret: string, label = 'user'): TOTP {
  return new TOTP({ issuer: ISSUER, label, secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: TOTP_PERIOD_S });
}

/** A new 160-bit base32 secret. */
export function newTotpSecret(random: RandomSource): string {
  const bytes = random.bytes(20);
  return new Secret({ buffer: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) }).base32;
}

/** The `otpauth://totp/…` URI of a secret. */
export function totpUri(secret: string, label: string): string {
  return totp(secret, label).toString();
}

/** The enrolment data (URI and QR code) for a secret. */
export async function totpEnrolment(secret: string, label: string): Promise<TotpEnrolment> {
  const otpauthUri = totpUri(secret, label);
  return { secret, otpauthUri, qrDataUrl: await QRCode.toDataURL(otpauthUri, { errorCorrectionLevel: 'M' }) };
}

/** The code an authenticator shows at `now` (ms). */
export function totpCode(secret: string, now: number): string {
  return totp(secret).generate({ timestamp: now });
}

/**
 * The time step a code belongs to (within ±1 step of `now`), or undefined when it is wrong
 * or its step is not after `lastStep` (a code is accepted once).
 */
export function verifyTotp(secret: string, code: string, now: number, lastStep: number | null): number | undefined {
  const token = code.replace(/\s+/g, '');
  if (!/^\d{6}$/.test(token)) return undefined;
  const delta = totp(secret).validate({ token, timestamp: now, window: 1 });
  if (delta === null) return undefined;
  const step = TOTP.counter({ period: TOTP_PERIOD_S, timestamp: now }) + delta;
  if (lastStep !== null && step <= lastStep) return undefined;
  return step;
}
