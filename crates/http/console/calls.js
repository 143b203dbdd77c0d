// A number's calls: the last call under its row, and in sandbox mode a button that places a
// simulated inbound call. Kept apart from the rest of the console: it depends on issue 12's
// routes (a number's call events; the sandbox's simulated call).

/** Prepares the calls feature for a signed-in API; resolves when it knows what it can show. */
export async function start(_api, _hooks) {}

/** Fills the call line of a number's row (`[data-call-for=id]`). */
export function decorate(_number) {}
