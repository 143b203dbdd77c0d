// The one map from error answers to the words a person reads.
//
// Every error the API answers is `{ "code", "message", ...details }` (SPEC §5): `code` is
// ours and stable; when Twilio refused, `twilio_code` is Twilio's own number, passed on
// verbatim. A Twilio code with words of its own here wins over our code's words, since it
// says more precisely what happened.
//
// Adding a Twilio error code: one line in TWILIO_MESSAGES. Adding one of our codes: one line
// in CODE_MESSAGES. `{name}` in the words is replaced by the answer's field of that name
// (`used`, `quota`, `current_price`, `field`, `message`, `twilio_code`).

/** Our error codes. */
export const CODE_MESSAGES = {
  validation_failed: 'Please check {field}: {message}',
  unauthorized: 'Your sign-in has expired or the token is not valid. Please sign in again.',
  forbidden: 'Your role may only look at phone numbers. Ask an admin of your workspace to buy or release them.',
  not_found: 'This no longer exists. Refresh the page and try again.',
  phone_number_quota_exceeded: 'Your plan allows {quota} phone numbers and you already have {used}. Release a number or move to a larger plan to buy another.',
  subscription_inactive: 'Your subscription is not active, so numbers cannot be bought. Renew the subscription first.',
  phone_number_unavailable: 'This number is no longer available. Search again and pick another one.',
  regulatory_requirements_missing: 'This number needs regulatory documents (a bundle or an address) that have not been registered for its country and type yet.',
  price_changed: 'The monthly price of this number has just changed to ${current_price}. Check the new price and press Buy again.',
  phone_number_not_active: 'This number is not active yet, so this cannot be done now. Try again in a minute.',
  concurrent_change: 'Someone changed this number at the same moment. Refresh and try again.',
  idempotency_key_reused: 'This request clashed with an earlier one. Please try again.',
  idempotency_key_in_flight: 'The same purchase is still being processed. Wait a moment and refresh.',
  twilio_error: 'Twilio refused the request (Twilio error {twilio_code}).',
  twilio_unavailable: 'Twilio cannot be reached right now. Nothing was changed; try again in a minute.',
  database_unavailable: 'The service cannot reach its database right now. Try again in a minute.',
  payload_too_large: 'That was too much text to send.',
  unsupported_media_type: 'The console sent a request the service does not understand. Reload the page.',
  method_not_allowed: 'The console sent a request the service does not understand. Reload the page.',
  internal: 'Something went wrong on our side. Try again; if it keeps failing, contact support.',
  network: 'The service cannot be reached. Check your connection and try again.',
};

/** Twilio's error codes, as Twilio's error dictionary numbers them. */
export const TWILIO_MESSAGES = {
  20003: 'Twilio did not accept the platform’s credentials. Contact support.',
  20404: 'Twilio has no numbers of this type in this country. Try another type.',
  20429: 'Twilio is busy right now. Wait a few seconds and try again.',
  21404: 'The Twilio account is a trial account and may hold only one number.',
  21421: 'Twilio says this is not a valid phone number.',
  21422: 'Someone else has just taken this number, or Twilio no longer offers it. Search again and pick another one.',
  21451: 'That area code does not exist. Check it and search again.',
  21452: 'No numbers are left with that area code. Try another one.',
  21613: 'This number needs a certification for its country that has not been provided.',
  21615: 'This number needs a local address in its country that has not been registered yet.',
  21631: 'This number needs an address that has not been registered yet.',
  21649: 'This number needs an approved regulatory bundle that has not been registered for its country and type yet.',
  21650: 'This number needs a verified identity document that has not been provided yet.',
  21651: 'The documents on file do not meet this number’s regulatory requirements.',
};

/** Words for an answer whose code is in neither map. */
const UNKNOWN = 'Something went wrong ({code}). Try again; if it keeps failing, contact support.';

function fill(words, details) {
  return words.replace(/\{(\w+)\}/g, (whole, name) => {
    const value = details[name];
    return value === undefined || value === null ? '?' : String(value);
  });
}

/**
 * The words for a failed request.
 * @param {{code?: string, twilio_code?: number, [k: string]: unknown}} body the error answer
 * @param {{status?: number, requestId?: string|null}} context the HTTP status and request id
 * @returns {string}
 */
export function describe(body, context = {}) {
  const details = body && typeof body === 'object' ? body : {};
  const code = typeof details.code === 'string' ? details.code : 'unknown';
  const twilio = details.twilio_code;
  let words;
  if (twilio !== undefined && twilio !== null && TWILIO_MESSAGES[twilio]) {
    words = TWILIO_MESSAGES[twilio];
  } else if (Object.hasOwn(CODE_MESSAGES, code)) {
    words = CODE_MESSAGES[code];
    if (code === 'twilio_error' && (twilio === undefined || twilio === null)) {
      words = 'Twilio refused the request.';
    }
  } else {
    words = UNKNOWN;
  }
  let text = fill(words, { ...details, code });
  // For failures on our side, the request id lets support find the log lines.
  if ((context.status ?? 0) >= 500 && context.requestId) {
    text += ` (Reference: ${context.requestId})`;
  }
  return text;
}
