// Integration tier: the service over loopback against the sandbox upstream, counting calls at the sandbox.
import { describe, expect, it } from '@jest/globals';
import { SANDBOX_CONVERSATIONS, SANDBOX_FAULT_IDS, SANDBOX_IDS } from '../sandbox/data.js';
import { ALL_FIELDS, LOCATION_A, LOCATION_B, type Stack, stackPerSuite, startStack } from './support/stack.js';

// Written out independently of src/channel-type.ts, so a mistake there cannot hide here.
const EXPECTED_CHANNEL: Record<number, string> = {
  1: 'PHONE',
  2: 'EMAIL',
  3: 'FACEBOOK_MESSENGER',
  4: 'REVIEW',
  5: 'GROUP_SMS',
  6: 'INTERNAL_CHAT',
};

const QUERY_ONE = `query One($id: ID!) { conversation(id: $id) { ${ALL_FIELDS} } }`;

const stack = stackPerSuite();

describe('reading one conversation', () => {
  it.each(SANDBOX_CONVERSATIONS.map((seeded) => [seeded.body.id, seeded] as const))(
    'returns every field of %s as HighLevel holds it, translated',
    async (id, seeded) => {
      const { status, body } = await stack.graphql(QUERY_ONE, { variables: { id }, token: seeded.location.token });
      const raw = seeded.body;
      expect(status).toBe(200);
      expect(body.errors).toBeUndefined();
      expect(body.data?.conversation).toEqual({
        id: raw.id,
        contactId: raw.contactId,
        locationId: raw.locationId,
        deleted: raw.deleted,
        inbox: raw.inbox,
        type: typeof raw.type === 'number' ? (EXPECTED_CHANNEL[raw.type] ?? 'UNKNOWN') : 'UNKNOWN',
        unreadCount: raw.unreadCount,
        assignedTo: raw.assignedTo ?? null,
        starred: raw.starred ?? false,
      });
      expect(stack.sandbox.callsFor(id)).toBe(1);
    },
  );

  it('covers every ChannelType value with the seeded data', async () => {
    const ids = [
      SANDBOX_IDS.phone,
      SANDBOX_IDS.email,
      SANDBOX_IDS.facebook,
      SANDBOX_IDS.groupSms,
      SANDBOX_IDS.futureChannel,
      SANDBOX_IDS.stringType,
    ];
    const { body } = await stack.graphql(`query($ids: [ID!]!) { conversations(ids: $ids) { type } }`, { variables: { ids } });
    const fromB = await stack.graphql(`query($ids: [ID!]!) { conversations(ids: $ids) { type } }`, {
      variables: { ids: [SANDBOX_IDS.review, SANDBOX_IDS.internalChat] },
      token: LOCATION_B.token,
    });
    const seen = [...(body.data?.conversations as Array<{ type: string }>), ...(fromB.body.data?.conversations as Array<{ type: string }>)];
    expect(new Set(seen.map((c) => c.type))).toEqual(
      new Set(['PHONE', 'EMAIL', 'FACEBOOK_MESSENGER', 'REVIEW', 'GROUP_SMS', 'INTERNAL_CHAT', 'UNKNOWN']),
    );
  });

  it('answers UNKNOWN for a channel it does not know, without failing the object, and logs a warning', async () => {
    const { body } = await stack.graphql(QUERY_ONE, { variables: { id: SANDBOX_IDS.futureChannel } });
    expect(body.errors).toBeUndefined();
    expect(body.data?.conversation).toMatchObject({ id: SANDBOX_IDS.futureChannel, type: 'UNKNOWN' });
    const warnings = stack.logs.map((line) => JSON.parse(line)).filter((entry) => entry.upstreamType === '99');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ level: 40 });
  });

  it('returns null and NOT_FOUND for an id HighLevel does not have', async () => {
    const { status, body } = await stack.graphql(QUERY_ONE, { variables: { id: SANDBOX_IDS.missing } });
    expect(status).toBe(200);
    expect(body.data).toEqual({ conversation: null });
    expect(body.errors?.[0]).toMatchObject({ path: ['conversation'], extensions: { code: 'NOT_FOUND' } });
  });
});

describe('what reaches HighLevel', () => {
  it('forwards the caller Authorization header as is, with Version, Accept and a User-Agent naming the service', async () => {
    await stack.graphql(`{ conversation(id: "${SANDBOX_IDS.phone}") { id } }`);
    const [request] = stack.sandbox.requests;
    expect(request?.method).toBe('GET');
    expect(request?.path).toBe(`/conversations/${SANDBOX_IDS.phone}`);
    expect(request?.headers.authorization).toBe(`Bearer ${LOCATION_A.token}`);
    expect(request?.headers.version).toBe('2021-07-28');
    expect(request?.headers.accept).toBe('application/json');
    expect(request?.headers['user-agent']).toMatch(/^highlevel-conversations-graphql\/\d+\.\d+\.\d+ node\/\d+/);
  });

  it('reuses upstream connections instead of opening one per call', async () => {
    for (let i = 0; i < 5; i += 1) await stack.graphql(`{ conversation(id: "${SANDBOX_IDS.phone}") { id } }`);
    const connections = new Set(stack.sandbox.requests.map((request) => request.headers.connection));
    expect(connections).toEqual(new Set(['keep-alive']));
  });
});

describe('loading through the per-request DataLoader', () => {
  it('costs exactly k upstream calls for N aliases over k distinct ids', async () => {
    const ids = [SANDBOX_IDS.phone, SANDBOX_IDS.email, SANDBOX_IDS.facebook];
    const aliases = Array.from({ length: 12 }, (_, i) => `a${i}: conversation(id: "${ids[i % ids.length]}") { id unreadCount }`);
    const { body } = await stack.graphql(`{ ${aliases.join('\n')} }`);
    expect(body.errors).toBeUndefined();
    expect(Object.keys(body.data ?? {})).toHaveLength(12);
    expect((body.data?.a4 as { id: string }).id).toBe(SANDBOX_IDS.email);
    expect(stack.sandbox.totalCalls()).toBe(3);
    for (const id of ids) expect(stack.sandbox.callsFor(id)).toBe(1);
  });

  it('issues the calls for distinct ids concurrently', async () => {
    const ids = [SANDBOX_IDS.phone, SANDBOX_IDS.email, SANDBOX_IDS.facebook, SANDBOX_IDS.groupSms];
    for (const id of ids) stack.sandbox.setFault(id, { kind: 'delay', ms: 400 }, { times: 1 });
    const { body } = await stack.graphql(`query($ids: [ID!]!) { conversations(ids: $ids) { id } }`, { variables: { ids } });
    expect(body.errors).toBeUndefined();
    // Every request reached the sandbox before the first one could have been answered.
    const arrivals = stack.sandbox.requests.map((request) => request.at);
    expect(arrivals).toHaveLength(4);
    expect(Math.max(...arrivals) - Math.min(...arrivals)).toBeLessThan(400);
  });

  it('keeps the order of ids in conversations(ids:), with null and an indexed error for each id that fails', async () => {
    const ids = [SANDBOX_IDS.phone, SANDBOX_IDS.missing, SANDBOX_IDS.email, SANDBOX_FAULT_IDS.internalError, SANDBOX_IDS.phone];
    const { status, body } = await stack.graphql(`query($ids: [ID!]!) { conversations(ids: $ids) { id } }`, { variables: { ids } });
    expect(status).toBe(200);
    expect(body.data?.conversations).toEqual([
      { id: SANDBOX_IDS.phone },
      null,
      { id: SANDBOX_IDS.email },
      null,
      { id: SANDBOX_IDS.phone },
    ]);
    const byPath = Object.fromEntries((body.errors ?? []).map((error) => [JSON.stringify(error.path), error.extensions?.code]));
    expect(byPath).toEqual({ '["conversations",1]': 'NOT_FOUND', '["conversations",3]': 'UPSTREAM_ERROR' });
    expect(stack.sandbox.totalCalls()).toBe(4);
  });

  it('fails only the field that failed; the others resolve and HTTP stays 200', async () => {
    const { status, body } = await stack.graphql(
      `{ ok: conversation(id: "${SANDBOX_IDS.phone}") { id } gone: conversation(id: "${SANDBOX_IDS.missing}") { id } }`,
    );
    expect(status).toBe(200);
    expect(body.data).toEqual({ ok: { id: SANDBOX_IDS.phone }, gone: null });
    expect(body.errors).toHaveLength(1);
    expect(body.errors?.[0]?.path).toEqual(['gone']);
  });

  it('never shares data between requests: 40 concurrent requests with two tokens each see only their own', async () => {
    const query = `{ mine: conversation(id: "$MINE") { id locationId } theirs: conversation(id: "$THEIRS") { id } }`;
    const requests = Array.from({ length: 40 }, (_, i) => {
      const [me, mine, theirs] =
        i % 2 === 0
          ? [LOCATION_A, SANDBOX_IDS.phone, SANDBOX_IDS.otherLocation]
          : [LOCATION_B, SANDBOX_IDS.otherLocation, SANDBOX_IDS.phone];
      return stack
        .graphql(query.replace('$MINE', mine).replace('$THEIRS', theirs), { token: me.token })
        .then((answer) => ({ me, mine, answer }));
    });
    for (const { me, mine, answer } of await Promise.all(requests)) {
      expect(answer.body.data?.mine).toEqual({ id: mine, locationId: me.id });
      expect(answer.body.data?.theirs).toBeNull();
      expect(answer.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
    // No cache across requests; concurrent reads may share a call only within one token (coalescing).
    const readsByToken = new Map<string, number>();
    for (const request of stack.sandbox.requests) {
      const token = String(request.headers.authorization);
      readsByToken.set(token, (readsByToken.get(token) ?? 0) + 1);
    }
    expect(new Set(readsByToken.keys())).toEqual(new Set([`Bearer ${LOCATION_A.token}`, `Bearer ${LOCATION_B.token}`]));
    for (const count of readsByToken.values()) expect(count).toBeGreaterThanOrEqual(2);
  });
});

describe('in-flight coalescing across operations', () => {
  const slowRead = async (current: Stack, token: string) =>
    current.graphql(`{ conversation(id: "${SANDBOX_IDS.phone}") { id } }`, { token });

  it('lets concurrent operations with the same token share one upstream call for the same id', async () => {
    stack.sandbox.setFault(SANDBOX_IDS.phone, { kind: 'delay', ms: 300 }, { times: 1 });
    const answers = await Promise.all(Array.from({ length: 5 }, () => slowRead(stack, LOCATION_A.token)));
    for (const answer of answers) expect(answer.body).toEqual({ data: { conversation: { id: SANDBOX_IDS.phone } } });
    expect(stack.sandbox.callsFor(SANDBOX_IDS.phone)).toBe(1);
  });

  it('never shares a call between tokens', async () => {
    stack.sandbox.setFault(SANDBOX_IDS.phone, { kind: 'delay', ms: 300 });
    const [mine, theirs] = await Promise.all([slowRead(stack, LOCATION_A.token), slowRead(stack, LOCATION_B.token)]);
    stack.sandbox.clearFaults();
    expect(mine.body).toEqual({ data: { conversation: { id: SANDBOX_IDS.phone } } });
    expect(theirs.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(stack.sandbox.callsFor(SANDBOX_IDS.phone)).toBe(2);
  });

  it('can be turned off (HIGHLEVEL_COALESCE_INFLIGHT=false)', async () => {
    const separate = await startStack({ config: { upstream: { coalesce: false } } });
    try {
      separate.sandbox.setFault(SANDBOX_IDS.phone, { kind: 'delay', ms: 200 });
      await Promise.all(Array.from({ length: 3 }, () => slowRead(separate, LOCATION_A.token)));
      expect(separate.sandbox.callsFor(SANDBOX_IDS.phone)).toBe(3);
    } finally {
      await separate.stop();
    }
  });
});
