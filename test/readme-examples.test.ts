// Integration tier: every example of the README's "Example queries" section, run against the sandbox,
// answers exactly what the README shows (trace ids, which differ per answer, and `locations`, which the
// README leaves out, aside).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { stackPerSuite } from './support/stack.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const section = readme.slice(readme.indexOf('## Example queries'), readme.indexOf('\n## ', readme.indexOf('## Example queries') + 1));

interface Example {
  title: string;
  query: string;
  variables: Record<string, unknown> | undefined;
  answer: unknown;
}

/** Each ```json block, with the ```graphql block before it (or, for the fault example, the id it names). */
function examples(): Example[] {
  // The section as prose and fenced blocks, in order.
  const blocks: Array<{ before: string; kind: string; body: string }> = [];
  let prose: string[] = [];
  const lines = section.split('\n');
  for (let index = 0; index < lines.length; index += 1) {
    const fence = /^```(\w+)$/.exec(lines[index] as string);
    if (!fence) {
      prose.push(lines[index] as string);
      continue;
    }
    const body: string[] = [];
    for (index += 1; index < lines.length && lines[index] !== '```'; index += 1) body.push(lines[index] as string);
    blocks.push({ before: prose.join('\n').trim(), kind: fence[1] as string, body: body.join('\n') });
    prose = [];
  }
  const found: Example[] = [];
  blocks.forEach((block, index) => {
    if (block.kind !== 'json') return;
    const previous = blocks[index - 1];
    // The first line of the paragraph just above the example.
    const title = (previous?.kind === 'graphql' ? previous.before : block.before).split('\n\n').pop()?.split('\n')[0] ?? '';
    let query: string;
    let variables: Record<string, unknown> | undefined;
    if (previous?.kind === 'graphql') {
      const source = previous.body.split('\n');
      query = source.filter((line) => !line.startsWith('#')).join('\n');
      const declared = source.find((line) => line.startsWith('# variables:'));
      variables = declared ? (JSON.parse(declared.slice('# variables:'.length)) as Record<string, unknown>) : undefined;
    } else {
      const id = /sandbox id `([^`]+)`/.exec(block.before)?.[1];
      if (!id) throw new Error(`README example without a query: ${title}`);
      query = `{ conversation(id: "${id}") { id } }`;
    }
    found.push({ title, query, variables, answer: JSON.parse(block.body) });
  });
  return found;
}

/** Trace ids become a placeholder, `locations` go. */
function comparable(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(comparable);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => key !== 'locations')
      .map(([key, inner]) => [key, key === 'traceId' && typeof inner === 'string' ? 'a trace id' : comparable(inner)]),
  );
}

// One attempt: the rate-limited example's answer is the same after its retry, 10 s later.
const stack = stackPerSuite({ config: { upstream: { maxAttempts: 1 } } });

describe("the README's example queries", () => {
  const all = examples();
  it('are all found', () => {
    expect(all.map((example) => example.title)).toEqual([
      'One conversation, every field:',
      'Several at once: the list keeps the order of `ids`; an id that fails is `null` at its index, with an error',
      'Rate limited (the sandbox id `fault-429` answers 429 with `Retry-After: 7`):',
    ]);
  });

  it.each(all.map((example) => [example.title, example] as const))('answer as documented: %s', async (_title, example) => {
    const { status, body } = await stack.graphql(example.query, example.variables ? { variables: example.variables } : {});
    expect(status).toBe(200);
    expect(comparable(body)).toEqual(comparable(example.answer));
  });
});
