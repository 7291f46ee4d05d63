// Unit tier: one subscriber's bound on waiting changes, against an in-process event hub.
import { describe, expect, it } from '@jest/globals';
import { ConversationEvents } from '../src/live/conversation-events.js';
import { MAX_WAITING, WaitingChanges } from '../src/live/waiting-changes.js';

function live() {
  const closing = new AbortController();
  let slow = 0;
  const events = new ConversationEvents();
  return { events, closing, slow: () => slow, context: { events, maxLookups: 100, closing: closing.signal, tooSlow: () => (slow += 1) } };
}

const change = (conversationId: string, unreadCount: number) => ({ conversationId, timestamp: Date.now(), fields: { unreadCount } });

describe('WaitingChanges', () => {
  it('hands over the changes of its conversations in order, and none of others', async () => {
    const { events, context } = live();
    const waiting = new WaitingChanges(context, ['a', 'b']);
    await events.publish(change('a', 1));
    await events.publish(change('c', 2));
    await events.publish(change('b', 3));
    await expect(waiting.next()).resolves.toMatchObject({ conversationId: 'a', fields: { unreadCount: 1 } });
    await expect(waiting.next()).resolves.toMatchObject({ conversationId: 'b', fields: { unreadCount: 3 } });
    waiting.stop();
  });

  it('ends, and closes the subscriber, when more than the bound are waiting', async () => {
    const { events, context, slow } = live();
    const waiting = new WaitingChanges(context, ['a']);
    for (let i = 0; i <= MAX_WAITING; i += 1) await events.publish(change('a', i));
    await expect(waiting.next()).resolves.toBeUndefined();
    expect(slow()).toBe(1);
    waiting.stop();
  });

  it('ends a next() already waiting when stopped (the client completed or left)', async () => {
    const { events, context } = live();
    const waiting = new WaitingChanges(context, ['a']);
    const next = waiting.next();
    waiting.stop();
    await expect(next).resolves.toBeUndefined();
    await events.publish(change('a', 1));
    await expect(waiting.next()).resolves.toBeUndefined();
  });

  it('ends when the service drains', async () => {
    const { context, closing } = live();
    const waiting = new WaitingChanges(context, ['a']);
    const next = waiting.next();
    closing.abort();
    await expect(next).resolves.toBeUndefined();
    waiting.stop();
  });
});
