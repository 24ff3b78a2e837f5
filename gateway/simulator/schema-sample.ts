// A deterministic value conforming to a (simple) JSON Schema, for tool-call arguments and
// json_schema replies. Covers the subset tools use in practice: enum/const, objects (every listed
// property is filled, which strict schemas require), arrays (empty), scalars; anything else is null.
export function sampleFromSchema(schema: unknown): unknown {
  if (typeof schema !== 'object' || schema === null) return null;
  const s = schema as Record<string, unknown>;
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[0];
  if ('const' in s) return s.const;
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  switch (type ?? (s.properties ? 'object' : undefined)) {
    case 'object': {
      const properties = typeof s.properties === 'object' && s.properties !== null ? s.properties : {};
      const value: Record<string, unknown> = {};
      for (const [name, property] of Object.entries(properties)) value[name] = sampleFromSchema(property);
      return value;
    }
    case 'array':
      return [];
    case 'string':
      return 'simulated';
    case 'integer':
    case 'number':
      return typeof s.minimum === 'number' ? Math.ceil(s.minimum) : 1;
    case 'boolean':
      return true;
    default:
      return null;
  }
}
