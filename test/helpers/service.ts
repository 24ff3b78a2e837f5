// Calls a subgraph as the platform (service principal), for fields the public API hides.
import { PrincipalSigner, PRINCIPAL_HEADER } from '../../subgraphs/common/principal';
import type { TestStack } from './stack';

export async function asService<T = any>(
  stack: TestStack,
  subgraph: string,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<{ data?: T; errors?: { message: string; extensions?: { code?: string } }[] }> {
  const header = new PrincipalSigner(stack.config.platformSecret).sign({ kind: 'service', name: 'test' });
  if (!stack.platform) {
    // Scaled: the subgraph's own process, over HTTP, as the gateway reaches it.
    const response = await fetch(stack.subgraphUrls![subgraph], {
      method: 'POST',
      headers: { 'content-type': 'application/json', [PRINCIPAL_HEADER]: header },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as never;
  }
  const runtime = stack.platform.runtimes.find((r) => r.name === subgraph)!;
  return runtime.execute({ query, variables }, { [PRINCIPAL_HEADER]: header }) as never;
}
