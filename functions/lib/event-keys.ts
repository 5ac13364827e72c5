/**
 * Names the unknown fields of an event for an error message. A key may be a pasted code or secret
 * (`{"1000.abc.def": ""}`): only short plain names are repeated, the others are counted.
 */
export function describeUnknownKeys(keys: readonly string[]): string {
  const plain = keys.filter((key) => /^[a-z_]{1,32}$/i.test(key));
  const others = keys.length - plain.length;
  return [...plain, ...(others > 0 ? [`${others} other field(s) not shown`] : [])].join(', ');
}
