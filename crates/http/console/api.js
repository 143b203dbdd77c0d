// The console's only way to the service: the public /v1 API with a bearer token, the same
// API the product's front end uses (docs/openapi.json describes every request and answer).

/** A request the service answered with an error (or could not be sent at all: status 0). */
export class ApiError extends Error {
  /**
   * @param {number} status HTTP status, 0 when the service could not be reached
   * @param {object} body the error envelope `{ code, message, ... }`
   * @param {string|null} requestId the answer's `X-Request-Id`
   */
  constructor(status, body, requestId) {
    super(body.message ?? `HTTP ${status}`);
    this.status = status;
    this.body = body;
    this.requestId = requestId;
  }

  /** Our stable error code. */
  get code() {
    return this.body.code;
  }
}

/** A random Idempotency-Key (works outside secure contexts too, unlike randomUUID). */
function idempotencyKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return 'console-' + Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The /v1 API of the phone numbers service, for one bearer token. */
export class Api {
  /** @param {string} token the bearer token */
  constructor(token) {
    this.token = token;
  }

  /**
   * Sends a request; resolves to `{ status, data }` on a 2xx answer.
   * @throws {ApiError} on any other answer, or status 0 when the service is unreachable
   */
  async request(method, path, { body, headers = {} } = {}) {
    const init = {
      method,
      headers: { Accept: 'application/json', Authorization: `Bearer ${this.token}`, ...headers },
      cache: 'no-store',
      credentials: 'omit',
    };
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(path, init);
    } catch {
      throw new ApiError(0, { code: 'network', message: 'the service cannot be reached' }, null);
    }
    const requestId = response.headers.get('X-Request-Id');
    let data = null;
    try {
      data = await response.json();
    } catch {
      data = null;
    }
    if (!response.ok) {
      const envelope = data && typeof data === 'object' && typeof data.code === 'string'
        ? data
        : { code: 'internal', message: `HTTP ${response.status}` };
      throw new ApiError(response.status, envelope, requestId);
    }
    return { status: response.status, data };
  }

  /** GET /v1/channels */
  async channels() {
    return (await this.request('GET', '/v1/channels')).data.channels;
  }

  /** POST /v1/channels */
  async createChannel(channel) {
    return (await this.request('POST', '/v1/channels', { body: channel })).data;
  }

  /** GET /v1/phone-numbers?status=all: every number of the tenant, released ones too. */
  async numbers() {
    return (await this.request('GET', '/v1/phone-numbers?status=all')).data.phone_numbers;
  }

  /** GET /v1/phone-numbers/available */
  async available({ country, type, contains, limit = 20 }) {
    const query = new URLSearchParams({ country, type, limit: String(limit) });
    if (contains) query.set('contains', contains);
    return (await this.request('GET', `/v1/phone-numbers/available?${query}`)).data;
  }

  /** GET /v1/phone-numbers/pricing */
  async pricing(country) {
    const query = new URLSearchParams({ country });
    return (await this.request('GET', `/v1/phone-numbers/pricing?${query}`)).data;
  }

  /**
   * POST /v1/phone-numbers/purchase for an offer of a search, at the price it showed.
   * Resolves to `{ status, data }`: 201 bought, 202 pending (Twilio has not confirmed yet).
   */
  purchase(offer, numberType, channelId) {
    const body = {
      phone_number: offer.phone_number,
      number_type: numberType,
      iso_country: offer.iso_country,
      channel_id: channelId,
    };
    if (offer.monthly_price_usd) body.monthly_price_usd = offer.monthly_price_usd;
    return this.request('POST', '/v1/phone-numbers/purchase', {
      body,
      headers: { 'Idempotency-Key': idempotencyKey() },
    });
  }

  /** DELETE /v1/phone-numbers/{id} */
  async release(id) {
    return (await this.request('DELETE', `/v1/phone-numbers/${encodeURIComponent(id)}`)).data;
  }

  /** PATCH /v1/phone-numbers/{id}: attach to a channel, or detach with `null`. */
  async attach(id, channelId) {
    const path = `/v1/phone-numbers/${encodeURIComponent(id)}`;
    return (await this.request('PATCH', path, { body: { channel_id: channelId } })).data;
  }
}
