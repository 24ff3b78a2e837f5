// Calls a subgraph as the platform (service principal), for fields the public API hides.
import { PrincipalSigner, PRINCIPAL_HEADER } from '../../subgraphs/common/principal';
import type { TestStack } from './stack';

export async function asService<T = any>(stack: TestStack, subgraph: string, query: string, variables: Record<string, unknown> = {}): Promise<{ data?: T; errors?: { message: string; extensions?: { code?: string } }[] }> {
  const runtime = stack.platform!.runtimes.find((r) => r.name === subgraph)!;
  const header = new PrincipalSigner(stack.config.platformSecret).sign({ kind: 'service', name: 'test' });
  return runtime.execute({ query, variables }, { [PRINCIPAL_HEADER]: header }) as never;
}
