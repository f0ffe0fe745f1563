// TinyPay callbacks carry X-Tinypay-Signature: hex HMAC-SHA256 of the raw body with the API key.
import crypto from 'node:crypto';
import { hexSignatureMatches } from '../../../src/providers/digest.ts';

export const callbackSignature = (body: string, apiKey: string) => crypto.createHmac('sha256', apiKey).update(body, 'utf8').digest('hex');

export const signatureMatches = (received: unknown, body: string, apiKey: string) => hexSignatureMatches(received, callbackSignature(body, apiKey));
