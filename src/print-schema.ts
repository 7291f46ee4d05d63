// `npm run --silent schema:print`: writes the subgraph SDL to stdout, exactly what `_service { sdl }`
// answers a router, ready for `rover subgraph check` / `rover subgraph publish --schema -`.
import { graphql } from 'graphql';
import { createSchema } from './schema.js';

const result = await graphql({ schema: createSchema(), source: '{ _service { sdl } }' });
const sdl = (result.data?._service as { sdl?: string } | undefined)?.sdl;
if (result.errors?.length || !sdl) {
  process.stderr.write(`Could not print the schema: ${result.errors?.map((error) => error.message).join('; ') ?? 'no SDL'}\n`);
  process.exit(1);
}
process.stdout.write(sdl.endsWith('\n') ? sdl : `${sdl}\n`);
